/**
 * The sidebar's state and live updates, without any DOM: which runs to list (scope, search,
 * sort, page), the last reply, the selection, and polling.
 *
 * Live updates: while the panel is visible (and the browser tab too) it asks the server every
 * `pollMs` whether the store changed (`GET changes?since=TOKEN`: a few stat calls, no DuckDB)
 * and re-reads the list only when it did, or every few seconds while a run is running (so a run
 * whose kernel died shows as crashed). A hidden panel does not poll at all. Views listen to
 * `changed` (the list, status or selection changed) and `tick` (each poll: live durations).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { RunRow, RunsReply, requestAPI } from './api';
import { parseSearch, parseTime } from './format';

export type Scope = 'notebook' | 'all' | 'team';

export const PAGE = 200;
const RUNNING_REFRESH_MS = 2500;

export interface RunsModelOptions {
  /** The active notebook's path and the paths it had before renames (empty: none open). */
  notebookPaths: () => string[];
  pollMs?: number;
  scope?: Scope;
}

export class RunsModel {
  constructor(options: RunsModelOptions) {
    this._notebookPaths = options.notebookPaths;
    this.pollMs = options.pollMs ?? 1000;
    this._scope = options.scope ?? 'notebook';
  }

  /** The list, status or selection changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Each poll (about once per `pollMs`): live durations may move. */
  get tick(): ISignal<this, void> {
    return this._tick;
  }

  pollMs: number;
  runs: RunRow[] = [];
  total = 0;
  error: string | null = null;
  /** Server clock minus the browser's, in ms. */
  skew = 0;
  limit = PAGE;
  selected: string | null = null;
  readonly checked = new Set<string>();

  get scope(): Scope {
    return this._scope;
  }

  set scope(scope: Scope) {
    if (scope !== this._scope) {
      this._scope = scope;
      this.limit = PAGE;
      this._token = null;
      void this.refresh();
    }
  }

  get query(): string {
    return this._q;
  }

  set query(q: string) {
    this._q = q.trim();
    this.limit = PAGE;
    void this.refresh();
  }

  get sort(): string {
    return this._sort;
  }

  set sort(sort: string) {
    this._sort = sort;
    this.limit = PAGE;
    void this.refresh();
  }

  notebookPath(): string | null {
    return this._notebookPaths()[0] ?? null;
  }

  /** The notebook whose store to read: the active one for its own runs; the root's store
   * (or the team store) otherwise. */
  storeHint(): string | undefined {
    return this._scope === 'notebook' ? this.notebookPath() ?? undefined : undefined;
  }

  /** Request parameters every route takes: which store, and the team scope. */
  params(): Record<string, string | undefined> {
    return { notebook: this.storeHint(), scope: this._scope === 'team' ? 'team' : undefined };
  }

  showMore(): void {
    this.limit += PAGE;
    void this.refresh();
  }

  setChecked(runId: string, on: boolean): void {
    if (on) {
      this.checked.add(runId);
    } else {
      this.checked.delete(runId);
    }
    this._changed.emit();
  }

  clearChecked(): void {
    this.checked.clear();
    this._changed.emit();
  }

  select(runId: string | null): void {
    this.selected = runId;
    this._changed.emit();
  }

  /** Re-read the list. */
  async refresh(): Promise<void> {
    const generation = ++this._generation;
    const path = this.notebookPath();
    if (this._scope === 'notebook' && !path) {
      this.runs = [];
      this.total = 0;
      this.error = null;
      this._changed.emit();
      return;
    }
    try {
      const search = parseSearch(this._q);
      const reply = await requestAPI<RunsReply>('runs', {
        ...this.params(),
        notebook: this._scope === 'notebook' ? this._notebookPaths() : undefined,
        q: search.q,
        sort: this._sort,
        filter: search.filters.length ? JSON.stringify(search.filters) : undefined,
        limit: this.limit
      });
      if (generation !== this._generation) {
        return;
      }
      const now = parseTime(reply.now);
      this.skew = now === null ? 0 : now - Date.now();
      this.runs = reply.runs;
      this.total = reply.total;
      this.error = null;
    } catch (err) {
      if (generation !== this._generation) {
        return;
      }
      this.error = (err as Error).message;
    }
    this._lastRefresh = Date.now();
    this._changed.emit();
  }

  // -- polling: only while a view says it is visible ------------------------------------

  start(): void {
    this.stop();
    const loop = ++this._pollLoop;
    void this._poll(loop, true);
  }

  stop(): void {
    this._pollLoop++;
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private async _poll(loop: number, force = false): Promise<void> {
    this._timer = null;
    if (loop !== this._pollLoop) {
      return;
    }
    if (!document.hidden) {
      this._tick.emit();
      try {
        const reply = await requestAPI<{ token: string; changed: boolean }>('changes', {
          since: this._token ?? '',
          ...this.params()
        });
        if (loop !== this._pollLoop) {
          return;
        }
        const changed = reply.token !== this._token;
        this._token = reply.token;
        const running = this.runs.some(r => r.status === 'running');
        if (force || changed || (running && Date.now() - this._lastRefresh > RUNNING_REFRESH_MS)) {
          await this.refresh();
        }
      } catch (err) {
        this.error = (err as Error).message;
        this._changed.emit();
      }
    }
    if (loop === this._pollLoop) {
      this._timer = window.setTimeout(() => void this._poll(loop), this.pollMs);
    }
  }

  dispose(): void {
    this.stop();
    Signal.clearData(this);
  }

  private readonly _notebookPaths: () => string[];
  private readonly _changed = new Signal<this, void>(this);
  private readonly _tick = new Signal<this, void>(this);
  private _scope: Scope;
  private _q = '';
  private _sort = '-run_id';
  private _token: string | null = null;
  private _timer: number | null = null;
  private _pollLoop = 0;
  private _generation = 0;
  private _lastRefresh = 0;
}
