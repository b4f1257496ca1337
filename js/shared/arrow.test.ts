import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readArrow, toBytes } from './arrow';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));

describe('readArrow (pyarrow-written streams, js/shared/testdata/make_fixtures.py)', () => {
  it('decodes every column type the kernel sends into plain values', () => {
    const t = readArrow(fixture('mixed.arrow'));
    expect(t).not.toBeNull();
    expect(t!.numRows).toBe(3);
    expect(t!.names).toEqual(['run_id', 'big', 'value', 'ok', 'tags', 'steps', 'started_at', 'status']);
    const rows = t!.rows();
    expect(rows[0]).toEqual({
      run_id: 'r1', big: 1, value: 1234567.891, ok: true, tags: ['a', 'b'], steps: [1, 2],
      started_at: Date.UTC(2025, 11, 3, 14, 2, 5), status: 'finished'
    });
    // a 64-bit int that a double cannot hold stays exact, as a bigint
    expect(rows[1].big).toBe(2n ** 63n - 1n);
    expect(rows[1].value).toBeNaN();
    expect(rows[1].tags).toEqual([]);
    expect(rows[1].status).toBe('failed');
    expect(rows[2]).toMatchObject({ run_id: null, big: null, value: -Infinity, ok: null, tags: null, started_at: 0 });
  });

  it('reads columns by name, int64 as numbers', () => {
    const t = readArrow(fixture('mixed.arrow'))!;
    expect(Array.from(t.column('status')!)).toEqual(['finished', 'failed', 'finished']);
    expect(Array.from(t.column('big')!)).toEqual([1, 2n ** 63n - 1n, null]);
    expect(t.column('nope')).toBeUndefined();
  });

  it('joins record batches', () => {
    const t = readArrow(fixture('two_batches.arrow'))!;
    expect(t.numRows).toBe(2);
    expect(Array.from(t.column('step')!)).toEqual([0, 1]);
    expect(Array.from(t.column('value')!)).toEqual([0.5, 0.25]);
  });

  it('takes the buffer shapes anywidget hands over', () => {
    const bytes = fixture('two_batches.arrow');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(readArrow(view)!.numRows).toBe(2);
    expect(readArrow(bytes.slice().buffer)!.numRows).toBe(2);
    expect(readArrow(null)).toBeNull();
    expect(toBytes(new Uint8Array(0)).byteLength).toBe(0);
  });

  it('fails loudly on bytes that are not Arrow', () => {
    expect(() => readArrow(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow();
  });
});
