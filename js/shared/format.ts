/**
 * The one formatter of values, durations and times for every nbtrack front end (widgets and
 * sidebar). `src/nbtrack/format.py` applies the same rules to text summaries; both are checked
 * against one table of cases (`js/shared/format_cases.json`).
 *
 * Numbers:
 * - NaN -> "NaN", +inf -> "inf", -inf -> "-inf" (Python's spelling: the values come from Python);
 *   zero (also -0.0) -> "0".
 * - integral and |x| < 1e15 -> all digits ("1234567"); nothing is silently rounded away.
 * - |x| >= 1e6 or |x| < 1e-3 -> exponent with 4 significant digits, zeros trimmed ("1.235e+6",
 *   "1e-7", "9.223e+18" for 2**63).
 * - otherwise 4 significant digits but never fewer than the integer digits ("0.1235", "12346"),
 *   trailing zeros trimmed.
 * Ties round half away from zero on the exact binary value (what JavaScript's toFixed does).
 */

const MISSING = '—';

/** A number as nbtrack shows it everywhere (see the rules above). */
export function fmtNumber(x: number | bigint): string {
  if (typeof x === 'bigint') {
    const a = x < 0n ? -x : x;
    return a < 1000000000000000n ? x.toString() : fmtNumber(Number(x));
  }
  if (Number.isNaN(x)) {
    return 'NaN';
  }
  if (!Number.isFinite(x)) {
    return x > 0 ? 'inf' : '-inf';
  }
  if (x === 0) {
    return '0';
  }
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e15) {
    return x.toFixed(0);
  }
  if (a >= 1e6 || a < 1e-3) {
    const [mant, exp] = x.toExponential(3).split('e');
    return `${trimZeros(mant)}e${exp}`;
  }
  // the decimal exponent of the shortest representation (exact, unlike Math.log10)
  const e = Number(a.toExponential().split('e')[1]);
  return trimZeros(x.toFixed(Math.max(0, 3 - e)));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * Any value of a param, metric or column: numbers by `fmtNumber`, null -> "—", booleans as
 * Python writes them, lists element by element, other objects as JSON.
 */
export function fmtValue(x: unknown): string {
  if (x === null || x === undefined) {
    return MISSING;
  }
  if (typeof x === 'number' || typeof x === 'bigint') {
    return fmtNumber(x);
  }
  if (typeof x === 'string') {
    return x;
  }
  if (typeof x === 'boolean') {
    return x ? 'True' : 'False';
  }
  if (x instanceof Date) {
    return fmtTime(x.getTime());
  }
  if (Array.isArray(x) || ArrayBuffer.isView(x)) {
    return `[${Array.from(x as ArrayLike<unknown>, fmtValue).join(', ')}]`;
  }
  try {
    return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(x);
  }
}

/**
 * A duration in seconds: "3 ms", "1.5 s", "42 s", "2m 5s", "1h 2m", "3d 0h"; "—" when missing,
 * negative or not finite.
 */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return MISSING;
  }
  const ms = Math.round(seconds * 1000);
  if (ms < 1000) {
    return `${ms} ms`;
  }
  const short = seconds.toFixed(seconds < 10 ? 1 : 0);
  if (Number(short) < 60) {
    return `${short} s`;
  }
  const total = Math.max(60, Math.floor(seconds)); // 59.6 s rounds up to a minute
  const m = Math.floor(total / 60);
  if (m < 60) {
    return `${m}m ${total % 60}s`;
  }
  const hours = Math.floor(m / 60);
  if (hours < 24) {
    return `${hours}h ${m % 60}m`;
  }
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Milliseconds since the epoch from an ISO 8601 string (null when absent or unreadable). */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) {
    return null;
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A point in time in the viewer's local time: "2026-12-03 14:02:05". */
export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return MISSING;
  }
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** How long ago: "just now", "5 min ago", "3 h ago", "2 d ago", then the date. */
export function fmtAgo(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return MISSING;
  }
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 45) {
    return 'just now';
  }
  if (s < 3600) {
    return `${Math.max(1, Math.round(s / 60))} min ago`;
  }
  if (s < 86400) {
    return `${Math.round(s / 3600)} h ago`;
  }
  if (s < 7 * 86400) {
    return `${Math.floor(s / 86400)} d ago`;
  }
  return fmtTime(ms).slice(0, 10);
}

/** A short axis label: the same rules as `fmtNumber`. */
export const fmtAxis = fmtNumber;

const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|perplexity|time|latency|duration/i;

/** Whether a smaller value of this metric is the better one (same rule as capture/summary.py). */
export function lowerIsBetter(key: string): boolean {
  return LOWER_IS_BETTER.test(key);
}
