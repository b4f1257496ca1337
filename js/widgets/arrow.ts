// A small reader for the Arrow IPC *stream* format, for the column types the kernel sends:
// Null, Bool, Int (8-64 bit), FloatingPoint (32/64), Utf8, LargeUtf8, Binary (as bytes),
// Timestamp/Date (as numbers), List, LargeList, Struct. No compression, no dictionaries.
// apache-arrow's JS library would add ~200 KB to a bundle that ships in every widget's state.

export class Frame {
  constructor(public names: string[], public columns: any[][], public numRows: number) {}

  /** One plain object per row. */
  rows(): Record<string, any>[] {
    const out: Record<string, any>[] = new Array(this.numRows);
    for (let i = 0; i < this.numRows; i++) {
      const r: Record<string, any> = {};
      for (let j = 0; j < this.names.length; j++) r[this.names[j]] = this.columns[j][i];
      out[i] = r;
    }
    return out;
  }

  column(name: string): any[] | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : this.columns[i];
  }
}

interface FieldDesc { name: string; type: number; bitWidth: number; signed: boolean; precision: number; children: FieldDesc[] }

class FB {
  // minimal flatbuffer table access
  constructor(public v: DataView) {}
  u8(p: number) { return this.v.getUint8(p); }
  i16(p: number) { return this.v.getInt16(p, true); }
  i32(p: number) { return this.v.getInt32(p, true); }
  u32(p: number) { return this.v.getUint32(p, true); }
  i64(p: number) { return Number(this.v.getBigInt64(p, true)); }
  field(table: number, id: number): number {
    const vt = table - this.i32(table);
    const vtSize = this.v.getUint16(vt, true);
    const slot = 4 + 2 * id;
    if (slot >= vtSize) return 0;
    const off = this.v.getUint16(vt + slot, true);
    return off ? table + off : 0;
  }
  deref(p: number) { return p + this.u32(p); }
  table(table: number, id: number): number {
    const p = this.field(table, id);
    return p ? this.deref(p) : 0;
  }
  vector(table: number, id: number): [number, number] {
    const p = this.field(table, id);
    if (!p) return [0, 0];
    const v = this.deref(p);
    return [v + 4, this.u32(v)];
  }
  string(table: number, id: number): string {
    const p = this.field(table, id);
    if (!p) return "";
    const s = this.deref(p);
    const n = this.u32(s);
    return new TextDecoder().decode(new Uint8Array(this.v.buffer, this.v.byteOffset + s + 4, n));
  }
}

const T = { Null: 1, Int: 2, Float: 3, Binary: 4, Utf8: 5, Bool: 6, Date: 8, Time: 9, Timestamp: 10, List: 12, Struct: 13, LargeBinary: 19, LargeUtf8: 20, LargeList: 21 };

function readField(fb: FB, f: number): FieldDesc {
  const [cv, cn] = fb.vector(f, 5);
  const children: FieldDesc[] = [];
  for (let i = 0; i < cn; i++) children.push(readField(fb, fb.deref(cv + 4 * i)));
  const tt = fb.field(f, 2);
  const type = tt ? fb.u8(tt) : 0;
  const tt2 = fb.table(f, 3);  // type parameters live in the schema message: read them now
  let bitWidth = 64, signed = true, precision = 2;
  if (type === T.Int && tt2) {
    const bw = fb.field(tt2, 0);
    bitWidth = bw ? fb.i32(bw) : 0;
    const sg = fb.field(tt2, 1);
    signed = sg ? fb.u8(sg) === 1 : false;
  } else if (type === T.Float && tt2) {
    const pr = fb.field(tt2, 0);
    precision = pr ? fb.i16(pr) : 0;
  } else if (type === T.Date && tt2) {
    const unit = fb.field(tt2, 0);
    bitWidth = unit && fb.i16(unit) === 1 ? 64 : 32; // DateUnit: DAY = 0 (int32), MILLISECOND = 1 (int64)
  } else if (type === T.Time && tt2) {
    const bw = fb.field(tt2, 1);
    bitWidth = bw ? fb.i32(bw) : 32;
  }
  return { name: fb.string(f, 0), type, bitWidth, signed, precision, children };
}

interface BatchCursor { nodes: [number, number][]; buffers: [number, number][]; body: DataView; n: number; b: number }

function bit(view: DataView, off: number, i: number) {
  return (view.getUint8(off + (i >> 3)) >> (i & 7)) & 1;
}

function readColumn(fb: FB, field: FieldDesc, c: BatchCursor): any[] {
  const [length, nullCount] = c.nodes[c.n++];
  const body = c.body;
  const nextBuf = () => c.buffers[c.b++];
  const out: any[] = new Array(length);
  if (field.type === T.Null) { out.fill(null); return out; }
  const [vOff, vLen] = nextBuf();
  const valid = (i: number) => nullCount === 0 || vLen === 0 || bit(body, vOff, i) === 1;
  switch (field.type) {
    case T.Bool: {
      const [dOff] = nextBuf();
      for (let i = 0; i < length; i++) out[i] = valid(i) ? bit(body, dOff, i) === 1 : null;
      return out;
    }
    case T.Int: case T.Date: case T.Time: case T.Timestamp: {
      const [dOff, dLen] = nextBuf();
      const width = field.bitWidth, signed = field.signed;
      const size = width / 8;
      for (let i = 0; i < length; i++) {
        if (!valid(i)) { out[i] = null; continue; }
        const p = dOff + i * size;
        out[i] = width === 8 ? (signed ? body.getInt8(p) : body.getUint8(p))
          : width === 16 ? (signed ? body.getInt16(p, true) : body.getUint16(p, true))
          : width === 32 ? (signed ? body.getInt32(p, true) : body.getUint32(p, true))
          : Number(signed ? body.getBigInt64(p, true) : body.getBigUint64(p, true));
      }
      return out;
    }
    case T.Float: {
      const [dOff] = nextBuf();
      const precision = field.precision;
      for (let i = 0; i < length; i++) {
        if (!valid(i)) { out[i] = null; continue; }
        out[i] = precision === 2 ? body.getFloat64(dOff + 8 * i, true) : precision === 1 ? body.getFloat32(dOff + 4 * i, true) : null;
      }
      return out;
    }
    case T.Utf8: case T.Binary: case T.LargeUtf8: case T.LargeBinary: {
      const large = field.type === T.LargeUtf8 || field.type === T.LargeBinary;
      const [oOff] = nextBuf();
      const [dOff] = nextBuf();
      const dec = new TextDecoder();
      const at = (i: number) => large ? Number(body.getBigInt64(oOff + 8 * i, true)) : body.getInt32(oOff + 4 * i, true);
      for (let i = 0; i < length; i++) {
        if (!valid(i)) { out[i] = null; continue; }
        const s = at(i), e = at(i + 1);
        const bytes = new Uint8Array(body.buffer, body.byteOffset + dOff + s, e - s);
        out[i] = field.type === T.Utf8 || field.type === T.LargeUtf8 ? dec.decode(bytes) : bytes.slice();
      }
      return out;
    }
    case T.List: case T.LargeList: {
      const large = field.type === T.LargeList;
      const [oOff] = nextBuf();
      const values = readColumn(fb, field.children[0], c);
      const at = (i: number) => large ? Number(body.getBigInt64(oOff + 8 * i, true)) : body.getInt32(oOff + 4 * i, true);
      for (let i = 0; i < length; i++) out[i] = valid(i) ? values.slice(at(i), at(i + 1)) : null;
      return out;
    }
    case T.Struct: {
      const kids = field.children.map((ch) => readColumn(fb, ch, c));
      for (let i = 0; i < length; i++) {
        if (!valid(i)) { out[i] = null; continue; }
        const o: Record<string, any> = {};
        field.children.forEach((ch, j) => (o[ch.name] = kids[j][i]));
        out[i] = o;
      }
      return out;
    }
    default:
      throw new Error(`nbtrack: unsupported Arrow type id ${field.type} in column ${field.name}`);
  }
}

/** Decode an Arrow IPC stream (what pyarrow.ipc.new_stream writes). */
export function readIPC(bytes: Uint8Array): Frame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let fields: FieldDesc[] | null = null;
  let columns: any[][] = [];
  let numRows = 0;
  while (pos + 8 <= bytes.byteLength) {
    let len = view.getInt32(pos, true);
    pos += 4;
    if (len === -1) { len = view.getInt32(pos, true); pos += 4; } // continuation marker
    if (len === 0) break; // end of stream
    const meta = new DataView(bytes.buffer, bytes.byteOffset + pos, len);
    const fb = new FB(meta);
    const msg = fb.u32(0);
    const htField = fb.field(msg, 1);
    const headerType = htField ? fb.u8(htField) : 0;
    const header = fb.table(msg, 2);
    const blField = fb.field(msg, 3);
    const bodyLength = blField ? fb.i64(blField) : 0;
    pos += len;
    const body = new DataView(bytes.buffer, bytes.byteOffset + pos, bodyLength);
    pos += bodyLength;
    if (headerType === 1) { // Schema
      const [fv, fn] = fb.vector(header, 1);
      fields = [];
      for (let i = 0; i < fn; i++) fields.push(readField(fb, fb.deref(fv + 4 * i)));
      columns = fields.map(() => []);
    } else if (headerType === 3) { // RecordBatch
      if (!fields) throw new Error("nbtrack: Arrow record batch before its schema");
      if (fb.field(header, 3)) throw new Error("nbtrack: compressed Arrow batches are not supported");
      const n = fb.i64(fb.field(header, 0));
      const [nv, nn] = fb.vector(header, 1);
      const [bv, bn] = fb.vector(header, 2);
      const nodes: [number, number][] = [];
      for (let i = 0; i < nn; i++) nodes.push([fb.i64(nv + 16 * i), fb.i64(nv + 16 * i + 8)]);
      const buffers: [number, number][] = [];
      for (let i = 0; i < bn; i++) buffers.push([fb.i64(bv + 16 * i), fb.i64(bv + 16 * i + 8)]);
      const cursor: BatchCursor = { nodes, buffers, body, n: 0, b: 0 };
      fields.forEach((f, j) => {
        const col = readColumn(fb, f, cursor);
        for (const v of col) columns[j].push(v);
      });
      numRows += n;
    } else if (headerType === 2) {
      throw new Error("nbtrack: dictionary-encoded Arrow columns are not supported");
    }
  }
  if (!fields) throw new Error("nbtrack: no Arrow schema in the kernel's reply");
  return new Frame(fields.map((f) => f.name), columns, numRows);
}
