/** Formatting of values, times and durations for display (plain strings). */
import { num } from './api';

export function fmtNumber(x: unknown): string {
  const n = num(x);
  if (n === null) {
    return x === null || x === undefined ? '—' : fmtValue(x);
  }
  if (!Number.isFinite(n)) {
    return String(n);
  }
  if (Number.isInteger(n) && Math.abs(n) < 1e15) {
    return String(n);
  }
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) {
    return n.toExponential(3);
  }
  return String(Number(n.toPrecision(4)));
}

export function fmtValue(x: unknown): string {
  if (x === null || x === undefined) {
    return 'None';
  }
  if (typeof x === 'number') {
    return fmtNumber(x);
  }
  if (typeof x === 'string') {
    return x;
  }
  if (typeof x === 'boolean') {
    return x ? 'True' : 'False';
  }
  return JSON.stringify(x);
}

export function fmtDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '—';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  }
  const m = Math.floor(seconds / 60);
  if (m < 60) {
    return `${m}m ${Math.floor(seconds % 60)}s`;
  }
  const hours = Math.floor(m / 60);
  return `${hours}h ${m % 60}m`;
}

export function parseTime(iso: string | null): number | null {
  if (!iso) {
    return null;
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

export function fmtAgo(ms: number | null, now: number): string {
  if (ms === null) {
    return '—';
  }
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 45) {
    return 'just now';
  }
  if (s < 3600) {
    return `${Math.round(s / 60)} min ago`;
  }
  if (s < 86400) {
    return `${Math.round(s / 3600)} h ago`;
  }
  return new Date(ms).toLocaleDateString();
}

export function fmtDate(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toLocaleString();
}

/** The title of a cell: its first non-blank line after a `%%track` line. */
export function cellTitle(source: string | null | undefined): string {
  const lines = (source ?? '').split('\n').map(l => l.trim());
  const body = lines.filter(
    l => l && !l.startsWith('%%track') && !l.startsWith('# restored from nbtrack run')
  );
  return body[0] ?? lines.find(l => l) ?? (source ? '(empty cell)' : '(no source)');
}

/** A Python literal for a JSON value (params are Python literals in the source). */
export function pyLiteral(x: unknown): string {
  if (x === null || x === undefined) {
    return 'None';
  }
  if (typeof x === 'boolean') {
    return x ? 'True' : 'False';
  }
  if (typeof x === 'number') {
    return Number.isFinite(x) ? String(x) : `float(${JSON.stringify(String(x).toLowerCase())})`;
  }
  if (typeof x === 'string') {
    return JSON.stringify(x); // a JSON string is a valid Python string literal
  }
  if (Array.isArray(x)) {
    return `[${x.map(pyLiteral).join(', ')}]`;
  }
  if (typeof x === 'object') {
    return `{${Object.entries(x as object)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyLiteral(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(String(x));
}

const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|perplexity|time|latency|duration/i;

export function lowerIsBetter(key: string): boolean {
  return LOWER_IS_BETTER.test(key);
}

const FILTER_RE =
  /^[A-Za-z_][\w.]*\s*(==|!=|>=|<=|=|>|<|!~|~|\s(contains|not contains|startswith|starts with|in|not in|is null|is not null)(\s|$))/i;

/**
 * The search box: free text, or structured filters in the shared grammar
 * (`metrics.accuracy > 0.9`, `params.model == rf`, `status == failed`, `tags contains x`),
 * several joined with `and` or `;`. Parts that are not filters stay free text.
 */
export function parseSearch(text: string): { q: string; filters: string[] } {
  const parts = text
    .split(/\s+and\s+|;/i)
    .map(p => p.trim())
    .filter(Boolean);
  const filters = parts.filter(p => FILTER_RE.test(p));
  if (!filters.length) {
    return { q: text.trim(), filters: [] };
  }
  return { q: parts.filter(p => !FILTER_RE.test(p)).join(' '), filters };
}
