import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fmtAgo, fmtDuration, fmtNumber, fmtTime, fmtValue } from './format';

interface Case {
  value: number | string | null;
  kind?: string;
  text: string;
}
const cases = JSON.parse(readFileSync(new URL('./format_cases.json', import.meta.url), 'utf8')) as {
  numbers: Case[];
  durations: Case[];
  times: { epoch_s: number; tz: string; text: string }[];
};

/** A case's value as the front end receives it: a double (JSON / Arrow float64) or a bigint. */
function value(c: Case): number | bigint | null {
  if (c.kind === 'int') {
    return BigInt(c.value as string);
  }
  if (typeof c.value === 'string') {
    return c.value === 'inf' ? Infinity : c.value === '-inf' ? -Infinity : Number(c.value);
  }
  return c.value;
}

describe('fmtNumber: the shared table (same as tests/test_format.py)', () => {
  for (const c of cases.numbers) {
    it(`${String(c.value)} -> ${c.text}`, () => {
      const v = value(c) as number | bigint;
      expect(fmtNumber(v)).toBe(c.text);
      expect(fmtValue(v)).toBe(c.text);
      if (typeof v === 'bigint') {
        // the same int as a double (how JSON delivers it) reads the same
        expect(fmtNumber(Number(v))).toBe(c.text);
      }
    });
  }
});

describe('fmtDuration: the shared table', () => {
  for (const c of cases.durations) {
    it(`${String(c.value)} -> ${c.text}`, () => {
      expect(fmtDuration(value(c) as number | null)).toBe(c.text);
    });
  }
});

describe('times', () => {
  it('fmtTime uses local time, seconds included', () => {
    for (const c of cases.times) {
      // the runner sets TZ=UTC (package.json "test"), so this is the UTC wall clock
      expect(fmtTime(c.epoch_s * 1000)).toBe(c.text);
    }
    expect(fmtTime(null)).toBe('—');
  });
  it('fmtAgo steps from just now to a date', () => {
    const now = Date.UTC(2025, 11, 3, 12, 0, 0);
    expect(fmtAgo(now - 10_000, now)).toBe('just now');
    expect(fmtAgo(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(fmtAgo(now - 3 * 3600_000, now)).toBe('3 h ago');
    expect(fmtAgo(now - 2 * 86400_000, now)).toBe('2 d ago');
    expect(fmtAgo(now - 30 * 86400_000, now)).toBe('2025-11-03');
  });
});

describe('fmtValue', () => {
  it('shows what Python users expect', () => {
    expect(fmtValue(null)).toBe('—');
    expect(fmtValue(true)).toBe('True');
    expect(fmtValue('<b>x</b>')).toBe('<b>x</b>');
    expect(fmtValue([1234567.891, 'a'])).toBe('[1.235e+6, a]');
    expect(fmtValue({ a: 1 })).toBe('{"a":1}');
  });
});
