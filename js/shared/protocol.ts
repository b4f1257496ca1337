/**
 * The request protocol of the nbtrack front ends.
 *
 * Widgets talk to their kernel over the widget's comm (mirror of nbtrack/widgets/protocol.py):
 *   request: model.send({type, uuid, ...args})
 *   reply:   {uuid, tables: [names], ...fields} + one Arrow IPC buffer per name, or {uuid, error}.
 * The sidebar talks to the server extension over HTTP (js/labextension/api.ts). Both report a
 * failure as a `RequestError` whose message is shown as it is, and both read numbers that JSON
 * cannot hold with `num`.
 */
import type { AnyModel } from '@anywidget/types';
import { Frame, readArrow } from './arrow';

/** A request that failed: the message is a sentence for the user; `status` is the HTTP status
 * (0 when the server could not be reached) or undefined for a kernel reply. */
export class RequestError extends Error {
  traceback?: string;
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message);
  }
}

/** NaN and infinities travel as strings in JSON (see server/handlers.py). */
export type Num = number | 'NaN' | 'Infinity' | '-Infinity';

/** A number from a JSON reply; null when absent or not numeric. */
export function num(x: unknown): number | null {
  if (typeof x === 'number') {
    return x;
  }
  if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') {
    return Number(x);
  }
  if (x === 'inf' || x === '-inf') {
    return x === 'inf' ? Infinity : -Infinity;
  }
  return null;
}

export type Fields = Record<string, unknown>;

export interface Reply {
  fields: Fields;
  tables: Record<string, Frame>;
}

interface Wire {
  uuid?: string;
  type?: string;
  error?: string;
  traceback?: string;
  tables?: string[];
  [name: string]: unknown;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

let counter = 0;

/** Requests to the widget's kernel side, matched to replies by uuid; pushes go to `onPush`. */
export class Channel {
  private pending = new Map<string, Pending>();
  private readonly listener: (msg: unknown, buffers: DataView[]) => void;
  onPush: ((fields: Fields, tables: Record<string, Frame>) => void) | null = null;

  /** Any widget's model: the channel uses only its custom messages. */
  constructor(private readonly model: Pick<AnyModel, 'on' | 'off' | 'send'>) {
    this.listener = (msg, buffers) => this.receive(msg, buffers || []);
    model.on('msg:custom', this.listener);
  }

  request(type: string, args: Fields = {}, timeoutMs = 60000): Promise<Reply> {
    const uuid = `${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(uuid);
        reject(new RequestError(`nbtrack: no answer from the kernel to "${type}" (is it busy or stopped?)`));
      }, timeoutMs);
      this.pending.set(uuid, { resolve, reject, timer });
      this.model.send({ ...args, type, uuid });
    });
  }

  private receive(raw: unknown, buffers: DataView[]): void {
    if (!raw || typeof raw !== 'object') {
      return;
    }
    const msg = raw as Wire;
    const entry = msg.uuid !== undefined ? this.pending.get(msg.uuid) : undefined;
    if (!entry) {
      if (msg.type === 'push' && this.onPush) {
        this.onPush(msg, decodeTables(msg, buffers));
      }
      return;
    }
    this.pending.delete(msg.uuid as string);
    clearTimeout(entry.timer);
    if (msg.error) {
      const err = new RequestError(String(msg.error));
      err.traceback = msg.traceback;
      entry.reject(err);
      return;
    }
    try {
      entry.resolve({ fields: msg, tables: decodeTables(msg, buffers) });
    } catch (e) {
      entry.reject(new RequestError(`nbtrack: could not read the kernel's reply: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  close(): void {
    this.model.off('msg:custom', this.listener);
    for (const { timer } of this.pending.values()) {
      clearTimeout(timer);
    }
    this.pending.clear();
  }
}

function decodeTables(msg: Wire, buffers: DataView[]): Record<string, Frame> {
  const out: Record<string, Frame> = {};
  (msg.tables || []).forEach((name, i) => {
    const t = readArrow(buffers[i]);
    if (t) {
      out[name] = t;
    }
  });
  return out;
}

/** Rows of a decoded table as plain objects (none for a missing table). */
export function rows(table: Frame | null | undefined): Record<string, unknown>[] {
  return table ? table.rows() : [];
}
