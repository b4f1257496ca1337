/**
 * Arrow IPC decoding for the kernel's replies, by @uwdata/flechette (chosen over apache-arrow for
 * a tenth of the bundle size and faster decoding: benchmarks/arrow_decode/README.md).
 *
 * Values come out as plain JavaScript: 64-bit ints as numbers (bigint only beyond 2**53, where a
 * number would be wrong), timestamps and dates as milliseconds since the epoch, lists as arrays,
 * structs as objects, dictionary-encoded strings as strings.
 */
import { tableFromIPC, type Table } from '@uwdata/flechette';

export type Value = unknown;
export type Row = Record<string, Value>;

/** A decoded table: column names, a row count, columns by name and rows as objects. */
export class Frame {
  constructor(private readonly table: Table) {}

  get names(): string[] {
    return this.table.names;
  }

  get numRows(): number {
    return this.table.numRows;
  }

  /** The values of one column (undefined when the table has no such column). */
  column(name: string): ArrayLike<Value> | undefined {
    const values = this.table.getChild(name)?.toArray() as ArrayLike<Value> | undefined;
    if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
      return Array.from(values, plain);
    }
    if (Array.isArray(values) && values.some(v => typeof v === 'bigint')) {
      return values.map(plain);
    }
    return values;
  }

  /** One plain object per row; list values as plain arrays. */
  rows(): Row[] {
    const rows = this.table.toArray() as Row[];
    for (const r of rows) {
      for (const k in r) {
        const v = r[k];
        if (typeof v === 'bigint') {
          r[k] = plain(v);
        } else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
          r[k] = Array.from(v as unknown as ArrayLike<Value>, plain);
        }
      }
    }
    return rows;
  }
}

/** A 64-bit int as a number when a number holds it exactly, else the bigint. */
function plain(v: Value): Value {
  return typeof v === 'bigint' && v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Bytes of an Arrow buffer the way anywidget hands them over (DataView, ArrayBuffer, views). */
export function toBytes(v: unknown): Uint8Array {
  if (!v) {
    return new Uint8Array(0);
  }
  if (v instanceof Uint8Array) {
    return v;
  }
  if (v instanceof ArrayBuffer) {
    return new Uint8Array(v);
  }
  if (ArrayBuffer.isView(v)) {
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  return new Uint8Array(0);
}

/** Decode an Arrow IPC stream (what pyarrow.ipc.new_stream writes); null for no bytes. */
export function readArrow(v: unknown): Frame | null {
  const bytes = toBytes(v);
  if (!bytes.byteLength) {
    return null;
  }
  return new Frame(tableFromIPC(bytes, { useDate: false, useBigInt: true, useProxy: false }));
}
