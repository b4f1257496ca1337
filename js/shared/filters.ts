/**
 * The filter grammar as the front ends type it (the kernel and the server parse it again and
 * bind every value as a parameter: this only decides what is a filter and what is free text).
 */

/** The operators of the shared grammar (store/runs_view.py), in the order a menu lists them. */
export const OPERATORS = [
  '==', '!=', '>', '>=', '<', '<=', 'contains', 'not contains', 'startswith',
  'in', 'not in', 'is null', 'is not null'
] as const;

export type Operator = (typeof OPERATORS)[number];

const FILTER_RE =
  /^[A-Za-z_][\w.]*\s*(==|!=|>=|<=|=|>|<|!~|~|\s(contains|not contains|startswith|starts with|in|not in|is null|is not null)(\s|$))/i;

/** Whether one part of a search box is a structured filter (`metrics.acc > 0.9`). */
export function isFilter(part: string): boolean {
  return FILTER_RE.test(part.trim());
}

/**
 * A search box: free text, or structured filters (`metrics.accuracy > 0.9`, `params.model ==
 * rf`, `status == failed`, `tags contains x`), several joined with `and` or `;`. Parts that are
 * not filters stay free text.
 */
export function parseSearch(text: string): { q: string; filters: string[] } {
  const parts = text
    .split(/\s+and\s+|;/i)
    .map(p => p.trim())
    .filter(Boolean);
  const filters = parts.filter(isFilter);
  if (!filters.length) {
    return { q: text.trim(), filters: [] };
  }
  return { q: parts.filter(p => !isFilter(p)).join(' '), filters };
}

export interface FilterSpec {
  column: string;
  op: Operator;
  value: unknown;
}

/**
 * The filter the table's toolbar builds from its column, operator and value boxes: lists for
 * `in`/`not in`, numbers for numeric columns, quotes stripped; null when the value is missing.
 */
export function buildFilter(column: string, op: Operator, text: string, numeric: boolean): FilterSpec | null {
  const raw = text.trim();
  if (!column) {
    return null;
  }
  if (op === 'is null' || op === 'is not null') {
    return { column, op, value: null };
  }
  if (raw === '') {
    return null;
  }
  let value: unknown = raw;
  if (op === 'in' || op === 'not in') {
    value = raw
      .split(',')
      .map(v => v.trim())
      .filter(Boolean);
  } else if (numeric && !Number.isNaN(Number(raw))) {
    value = Number(raw);
  } else if (/^(['"]).*\1$/.test(raw)) {
    value = raw.slice(1, -1);
  }
  return { column, op, value };
}

/** A filter as its chip shows it. */
export function filterText(f: { column: string; op: string; value?: unknown }, fmt: (v: unknown) => string): string {
  return f.op === 'is null' || f.op === 'is not null' ? `${f.column} ${f.op}` : `${f.column} ${f.op} ${fmt(f.value)}`;
}
