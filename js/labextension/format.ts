/**
 * The sidebar's text helpers. Numbers, values, durations and times are formatted by the one
 * shared formatter (js/shared/format.ts); this adds reading the API's wire numbers ("NaN",
 * "Infinity" strings) and the cell helpers only the sidebar needs.
 */
import { num } from './api';
import { fmtNumber as fmtNum, fmtValue as fmtVal, fmtTime } from '../shared/format';

export { fmtDuration, fmtAgo, parseTime, lowerIsBetter } from '../shared/format';
export { parseSearch } from '../shared/filters';

/** A number from the API (wire strings for NaN/inf included); other values by `fmtValue`. */
export function fmtNumber(x: unknown): string {
  const n = num(x);
  return n === null ? fmtVal(x) : fmtNum(n);
}

export function fmtValue(x: unknown): string {
  return num(x) !== null && typeof x === 'string' ? fmtNumber(x) : fmtVal(x);
}

/** A point in time (ms since the epoch) in local time. */
export const fmtDate = fmtTime;

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

