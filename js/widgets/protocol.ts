// The one request/response protocol with the kernel (mirror of nbtrack/widgets/protocol.py).
// Request:  model.send({type, uuid, ...args})
// Reply:    {uuid, tables: [names], ...fields} + one Arrow IPC buffer per name, or {uuid, error}.
import { readIPC, Frame } from "./arrow";

export type Table = Frame;

export interface Model {
  get(name: string): any;
  set(name: string, value: any): void;
  save_changes(): void;
  send(content: any, callbacks?: any, buffers?: ArrayBuffer[]): void;
  on(event: string, cb: (...args: any[]) => void): void;
  off(event: string, cb?: (...args: any[]) => void): void;
}

export interface Reply {
  fields: Record<string, any>;
  tables: Record<string, Table>;
}

export class KernelError extends Error {
  traceback?: string;
}

export function toBytes(v: any): Uint8Array {
  if (!v) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (v instanceof DataView) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(0);
}

export function readArrow(v: any): Frame | null {
  const bytes = toBytes(v);
  return bytes.byteLength ? readIPC(bytes) : null;
}

/** Rows of an Arrow table as plain objects (lists become arrays). */
export function rows(table: Frame | null | undefined): Record<string, any>[] {
  return table ? table.rows() : [];
}

let counter = 0;

export class Channel {
  private pending = new Map<string, { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: any }>();
  private listener: (msg: any, buffers: any[]) => void;
  onPush: ((fields: any, tables: Record<string, Table>) => void) | null = null;

  constructor(private model: Model) {
    this.listener = (msg: any, buffers: any[]) => this.receive(msg, buffers || []);
    model.on("msg:custom", this.listener);
  }

  request(type: string, args: Record<string, any> = {}, timeoutMs = 60000): Promise<Reply> {
    const uuid = `${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(uuid);
        reject(new KernelError(`nbtrack: no answer from the kernel to "${type}" (is it busy or stopped?)`));
      }, timeoutMs);
      this.pending.set(uuid, { resolve, reject, timer });
      this.model.send({ ...args, type, uuid });
    });
  }

  private receive(msg: any, buffers: any[]) {
    if (!msg || typeof msg !== "object") return;
    const entry = msg.uuid != null ? this.pending.get(msg.uuid) : undefined;
    if (!entry) {
      if (msg.type === "push" && this.onPush) this.onPush(msg, decodeTables(msg, buffers));
      return;
    }
    this.pending.delete(msg.uuid);
    clearTimeout(entry.timer);
    if (msg.error) {
      const err = new KernelError(String(msg.error));
      err.traceback = msg.traceback;
      entry.reject(err);
      return;
    }
    try {
      entry.resolve({ fields: msg, tables: decodeTables(msg, buffers) });
    } catch (e: any) {
      entry.reject(new KernelError(`nbtrack: could not read the kernel's reply: ${e?.message ?? e}`));
    }
  }

  close() {
    this.model.off("msg:custom", this.listener);
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}

function decodeTables(msg: any, buffers: any[]): Record<string, Table> {
  const out: Record<string, Table> = {};
  (msg.tables || []).forEach((name: string, i: number) => {
    const t = readArrow(buffers[i]);
    if (t) out[name] = t;
  });
  return out;
}
