/**
 * The left-sidebar panel: the runs of the active notebook grouped by cell (newest first), or
 * every run of the store; a search box; a run's detail; selection for "Compare".
 *
 * Live updates: while the panel is visible (and the browser tab too) it asks the server every
 * second whether the store changed (`GET changes?since=TOKEN`: a few stat calls, no DuckDB) and
 * re-reads the list only when it did, or every few seconds while a run is running (so a run
 * whose kernel died shows as crashed). A hidden panel does not poll at all.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RunDetail, RunRow, RunsReply, SeriesReply, num, requestAPI, runPath } from './api';
import { Child, clear, h } from '../shared/dom';
import { renderDetail, statusBadge } from './detail';
import { cellTitle, fmtAgo, fmtDuration, fmtNumber, fmtValue, lowerIsBetter, parseSearch, parseTime } from './format';
import { restoreSource } from './restore';

const POLL_MS = 1000;
const RUNNING_REFRESH_MS = 2500;
const PAGE = 200;
const MAIN_METRICS = 3;

export interface RunsPanelOptions {
  app: JupyterFrontEnd;
  tracker: INotebookTracker;
  openCompare: (runIds: string[], notebook?: string) => void;
}

interface CellInfo {
  index: number;
  title: string;
}

export class RunsPanel extends Widget {
  constructor(options: RunsPanelOptions) {
    super();
    this._app = options.app;
    this._tracker = options.tracker;
    this._openCompare = options.openCompare;
    this.addClass('nbtrack-panel');

    this._allSwitch = h('input', { type: 'checkbox', class: 'nbtrack-all-switch', 'aria-label': 'Show all runs of the store' });
    this._allSwitch.addEventListener('change', () => {
      this._mode = this._allSwitch.checked ? 'all' : 'notebook';
      this._limit = PAGE;
      void this.refresh();
    });
    const refreshButton = h('button', { class: 'nbtrack-icon-button', title: 'Refresh', 'aria-label': 'Refresh' }, '⟳');
    refreshButton.addEventListener('click', () => void this.refresh());
    this._search = h('input', {
      type: 'search',
      class: 'nbtrack-search jp-mod-styled',
      placeholder: 'Search, or filter: metrics.acc > 0.9',
      title:
        'Words match the name, tags, id, experiment, notebook, status or code of a run.\n' +
        'Filters: COLUMN OPERATOR VALUE, e.g. metrics.accuracy > 0.9, params.model == rf,\n' +
        'status == failed, tags contains baseline; join several with "and".',
      'aria-label': 'Search runs'
    });
    this._search.addEventListener('input', () => {
      window.clearTimeout(this._searchTimer);
      this._searchTimer = window.setTimeout(() => {
        this._q = this._search.value.trim();
        this._limit = PAGE;
        void this.refresh();
      }, 250);
    });
    this._sortSelect = h('select', { class: 'nbtrack-sort', 'aria-label': 'Sort runs', title: 'Order of runs (groups follow their first run)' });
    this._sortSelect.addEventListener('change', () => {
      this._sort = this._sortSelect.value;
      this._limit = PAGE;
      void this.refresh();
    });
    this._status = h('div', { class: 'nbtrack-statusline', role: 'status' });
    this._list = h('div', { class: 'nbtrack-list', role: 'list' });
    this._compareCount = h('span', { class: 'nbtrack-compare-count' });
    this._compareButton = h('button', { class: 'jp-Button nbtrack-compare-button', title: 'Open a tab comparing the selected runs' }, 'Compare');
    this._compareButton.addEventListener('click', () => {
      if (this._checked.size >= 2) {
        this._openCompare(Array.from(this._checked), this._storeHint());
      }
    });
    const clearButton = h('button', { class: 'jp-Button nbtrack-clear-button' }, 'Clear');
    clearButton.addEventListener('click', () => {
      this._checked.clear();
      this._renderList();
    });
    this._compareBar = h('div', { class: 'nbtrack-comparebar' }, this._compareCount, this._compareButton, clearButton);
    this._detail = h('div', { class: 'nbtrack-detail' });

    this.node.appendChild(
      h(
        'div',
        { class: 'nbtrack-toolbar' },
        h('span', { class: 'nbtrack-title' }, 'nbtrack runs'),
        h('label', { class: 'nbtrack-switch', title: 'Show the runs of every notebook in the store' }, this._allSwitch, 'All runs'),
        refreshButton
      )
    );
    this.node.appendChild(this._search);
    this.node.appendChild(h('div', { class: 'nbtrack-statusrow' }, this._status, this._sortSelect));
    this.node.appendChild(this._list);
    this.node.appendChild(this._compareBar);
    this.node.appendChild(this._detail);

    this._tracker.currentChanged.connect(this._onNotebookChanged, this);
    this._tracker.widgetAdded.connect((_, panel) => this._watchRenames(panel));
    this._tracker.forEach(panel => this._watchRenames(panel));
    this._onVisibility = () => {
      if (!document.hidden && this.isVisible) {
        this._startPolling();
      }
    };
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopPolling();
    this._tracker.currentChanged.disconnect(this._onNotebookChanged, this);
    super.dispose();
  }

  /** Re-read the list (and the open run's detail when it may have changed). */
  async refresh(): Promise<void> {
    const generation = ++this._generation;
    const path = this._notebookPath();
    if (this._mode === 'notebook' && !path) {
      this._runs = [];
      this._total = 0;
      this._error = null;
      this._renderList();
      return;
    }
    try {
      const search = parseSearch(this._q);
      const reply = await requestAPI<RunsReply>('runs', {
        notebook: this._mode === 'notebook' ? this._notebookPaths() : undefined,
        q: search.q,
        sort: this._sort,
        filter: search.filters.length ? JSON.stringify(search.filters) : undefined,
        limit: this._limit
      });
      if (generation !== this._generation) {
        return;
      }
      const now = parseTime(reply.now);
      this._skew = now === null ? 0 : now - Date.now();
      this._runs = reply.runs;
      this._total = reply.total;
      this._error = null;
    } catch (err) {
      if (generation !== this._generation) {
        return;
      }
      this._error = (err as Error).message;
    }
    this._lastRefresh = Date.now();
    this._renderList();
    if (this._selected) {
      const row = this._runs.find(r => r.run_id === this._selected);
      const shown = this._detailRun;
      if (row && shown && (row.status === 'running' || row.status !== shown.status)) {
        void this._loadDetail(this._selected, false);
      }
    }
  }

  /** Show one run's detail (also used by tests and commands). */
  async showRun(runId: string): Promise<void> {
    this._selected = runId;
    this._renderList();
    await this._loadDetail(runId, true);
  }

  // -- lifecycle: poll only while visible ---------------------------------------------

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._startPolling();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._stopPolling();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    document.addEventListener('visibilitychange', this._onVisibility);
    if (this.isVisible) {
      this._startPolling();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    document.removeEventListener('visibilitychange', this._onVisibility);
    this._stopPolling();
    super.onBeforeDetach(msg);
  }

  private _startPolling(): void {
    this._stopPolling();
    const loop = ++this._pollLoop;
    void this._tick(loop, true);
  }

  private _stopPolling(): void {
    this._pollLoop++;
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private async _tick(loop: number, force = false): Promise<void> {
    this._timer = null;
    if (loop !== this._pollLoop || !this.isVisible) {
      return;
    }
    if (!document.hidden) {
      this._updateLiveDurations();
      try {
        const reply = await requestAPI<{ token: string; changed: boolean }>('changes', {
          since: this._token ?? '',
          notebook: this._storeHint()
        });
        if (loop !== this._pollLoop) {
          return;
        }
        const changed = reply.token !== this._token;
        this._token = reply.token;
        const running = this._runs.some(r => r.status === 'running');
        if (force || changed || (running && Date.now() - this._lastRefresh > RUNNING_REFRESH_MS)) {
          await this.refresh();
        }
      } catch (err) {
        this._error = (err as Error).message;
        this._renderStatus();
      }
    }
    if (loop === this._pollLoop && this.isVisible) {
      this._timer = window.setTimeout(() => void this._tick(loop), POLL_MS);
    }
  }

  private _onNotebookChanged(): void {
    if (this._currentPanel) {
      this._currentPanel.context.pathChanged.disconnect(this._onNotebookChanged, this);
    }
    this._currentPanel = this._tracker.currentWidget;
    if (this._currentPanel) {
      this._currentPanel.context.pathChanged.connect(this._onNotebookChanged, this);
    }
    if (this._mode === 'notebook' && this.isVisible) {
      this._limit = PAGE;
      void this.refresh();
    }
  }

  /** The notebook whose store to read: the active one in "this notebook" mode; the root's
   * store for "All runs". */
  private _storeHint(): string | undefined {
    return this._mode === 'notebook' ? this._notebookPath() ?? undefined : undefined;
  }

  private _notebookPath(): string | null {
    return this._tracker.currentWidget?.context.path ?? null;
  }

  /** The current path of the active notebook and the paths it had before renames in this
   * session: its kernel keeps reporting the path the notebook had when the kernel started. */
  private _notebookPaths(): string[] {
    const panel = this._tracker.currentWidget;
    if (!panel) {
      return [];
    }
    return [panel.context.path, ...Array.from(this._formerPaths.get(panel) ?? [])];
  }

  private _watchRenames(panel: NotebookPanel): void {
    let last = panel.context.path;
    panel.context.pathChanged.connect((_, path) => {
      if (path !== last) {
        const former = this._formerPaths.get(panel) ?? new Set<string>();
        former.add(last);
        former.delete(path);
        this._formerPaths.set(panel, former);
        last = path;
      }
    });
  }

  // -- rendering ----------------------------------------------------------------------

  private _renderStatus(): void {
    clear(this._status);
    this.node.classList.toggle('nbtrack-mod-error', !!this._error);
    if (this._error) {
      this._status.appendChild(h('span', { class: 'nbtrack-error' }, this._error));
      return;
    }
    const path = this._notebookPath();
    if (this._mode === 'notebook' && !path) {
      this._status.textContent = 'Open a notebook to see its runs, or switch on "All runs".';
      return;
    }
    const where = this._mode === 'notebook' ? path ?? '' : 'all notebooks';
    const shown = this._runs.length;
    const count = shown < this._total ? `${shown} of ${this._total} runs` : `${this._total} run${this._total === 1 ? '' : 's'}`;
    const running = this._runs.filter(r => r.status === 'running').length;
    this._status.appendChild(h('span', {}, `${count} · ${where}`));
    if (running) {
      this._status.appendChild(h('span', { class: 'nbtrack-running-count' }, ` · ${running} running`));
    }
  }

  private _cellInfo(): Map<string, CellInfo> {
    const out = new Map<string, CellInfo>();
    const panel = this._tracker.currentWidget;
    if (!panel || this._mode !== 'notebook') {
      return out;
    }
    const cells = panel.content.model?.cells;
    if (!cells) {
      return out;
    }
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      out.set(cell.id, { index: i, title: cellTitle(cell.sharedModel.getSource()) });
    }
    return out;
  }

  private _renderSortOptions(): void {
    const keys = new Set<string>();
    for (const run of this._runs) {
      Object.keys(run.metrics).forEach(k => keys.add(k));
    }
    const current = this._sort.replace(/^[-+]/, '');
    if (current.startsWith('metrics.')) {
      keys.add(current.slice('metrics.'.length));
    }
    const options: [string, string][] = [
      ['-run_id', 'Newest first'],
      ['run_id', 'Oldest first'],
      ['-duration_s', 'Longest first'],
      ...Array.from(keys)
        .sort()
        .map(k => [`${lowerIsBetter(k) ? '' : '-'}metrics.${k}`, `Best ${k}`] as [string, string])
    ];
    const signature = options.map(o => o[0]).join('\n');
    if (signature !== this._sortSignature) {
      this._sortSignature = signature;
      clear(this._sortSelect);
      for (const [value, label] of options) {
        this._sortSelect.appendChild(h('option', { value }, label));
      }
    }
    this._sortSelect.value = this._sort;
  }

  private _renderList(): void {
    this._renderStatus();
    this._renderSortOptions();
    const scroll = this._list.scrollTop;
    clear(this._list);
    const cells = this._cellInfo();
    const groups = new Map<string, RunRow[]>();
    for (const run of this._runs) {
      const key =
        this._mode === 'notebook'
          ? run.cell_id ?? '(no cell)'
          : `${run.notebook_path ?? run.notebook ?? ''}\u0000${run.cell_id ?? '(no cell)'}`;
      const list = groups.get(key);
      if (list) {
        list.push(run);
      } else {
        groups.set(key, [run]);
      }
    }
    if (!this._runs.length && !this._error) {
      const path = this._notebookPath();
      if (this._mode === 'all' || path) {
        this._list.appendChild(
          h(
            'div',
            { class: 'nbtrack-empty' },
            this._q
              ? 'No run matches this search.'
              : this._mode === 'notebook'
                ? 'No runs for this notebook yet. Run a cell that starts with %%track (after %load_ext nbtrack).'
                : 'The store has no runs yet.'
          )
        );
      }
    }
    this._nextRowCache = new Map();
    this._nextHeadCache = new Map();
    for (const [key, runs] of groups) {
      this._list.appendChild(this._renderGroup(key, runs, cells));
    }
    this._rowCache = this._nextRowCache;
    this._headCache = this._nextHeadCache;
    if (this._runs.length < this._total) {
      const more = h('button', { class: 'jp-Button nbtrack-more' }, `Show more (${this._total - this._runs.length} older)`);
      more.addEventListener('click', () => {
        this._limit += PAGE;
        void this.refresh();
      });
      this._list.appendChild(more);
    }
    this._list.scrollTop = scroll;
    this._renderCompareBar();
  }

  private _renderGroup(key: string, runs: RunRow[], cells: Map<string, CellInfo>): HTMLElement {
    const first = runs[0];
    const info = first.cell_id ? cells.get(first.cell_id) : undefined;
    const title = info ? info.title : cellTitle(first.source_head);
    const collapsed = this._collapsed.has(key);
    const badge: Child =
      this._mode === 'notebook'
        ? info
          ? h('span', { class: 'nbtrack-cell-badge', title: 'Position of the cell in the notebook' }, `cell ${info.index + 1}`)
          : h('span', { class: 'nbtrack-cell-badge nbtrack-gone', title: 'This cell is no longer in the notebook' }, 'deleted cell')
        : h('span', { class: 'nbtrack-cell-badge', title: first.notebook ?? '' }, first.notebook_path ?? first.notebook ?? 'no notebook');
    // Rows and headers are reused while unchanged, so a refresh (every second while a run logs)
    // does not replace the element under the mouse between mousedown and click.
    const headSig = JSON.stringify([key, title, collapsed, runs.length, this._mode, info?.index ?? null,
      first.notebook_path, first.notebook]);
    let header = this._headCache.get(key)?.sig === headSig ? this._headCache.get(key)!.el : null;
    if (!header) {
      header = this._renderGroupHead(key, title, collapsed, badge, runs.length);
    }
    this._nextHeadCache.set(key, { sig: headSig, el: header });
    const group = h('div', { class: 'nbtrack-group', 'data-cell-id': first.cell_id ?? '' }, header);
    if (!collapsed) {
      for (const run of runs) {
        group.appendChild(this._cachedRun(run));
      }
    }
    return group;
  }

  private _renderGroupHead(key: string, title: string, collapsed: boolean, badge: Child, count: number): HTMLElement {
    const header = h(
      'div',
      {
        class: 'nbtrack-group-head',
        role: 'button',
        tabindex: 0,
        'aria-expanded': String(!collapsed),
        title: `${title}\n(click to ${collapsed ? 'expand' : 'collapse'})`
      },
      h('span', { class: 'nbtrack-twisty' }, collapsed ? '▸' : '▾'),
      h('span', { class: 'nbtrack-group-title' }, title),
      badge,
      h('span', { class: 'nbtrack-count' }, String(count))
    );
    const toggle = () => {
      if (this._collapsed.has(key)) {
        this._collapsed.delete(key);
      } else {
        this._collapsed.add(key);
      }
      this._renderList();
    };
    header.addEventListener('click', toggle);
    header.addEventListener('keydown', ev => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        toggle();
      }
    });
    return header;
  }

  private _cachedRun(run: RunRow): HTMLElement {
    const sig = JSON.stringify([run, this._selected === run.run_id, this._checked.has(run.run_id),
      Math.floor((Date.now() + this._skew) / 30000)]);
    const hit = this._rowCache.get(run.run_id);
    const el = hit && hit.sig === sig ? hit.el : this._renderRun(run);
    this._nextRowCache.set(run.run_id, { sig, el });
    return el;
  }

  private _renderRun(run: RunRow): HTMLElement {
    const started = parseTime(run.started_at);
    const now = Date.now() + this._skew;
    const live = run.status === 'running' && started !== null;
    const duration = live ? (now - (started as number)) / 1000 : num(run.duration_s);
    const metrics = Object.entries(run.metrics);
    const check = h('input', {
      type: 'checkbox',
      class: 'nbtrack-check',
      title: 'Select for comparison',
      'aria-label': `Select run ${run.run_id} for comparison`,
      checked: this._checked.has(run.run_id)
    });
    check.addEventListener('click', ev => ev.stopPropagation());
    check.addEventListener('change', () => {
      if (check.checked) {
        this._checked.add(run.run_id);
      } else {
        this._checked.delete(run.run_id);
      }
      this._renderCompareBar();
    });
    const row = h(
      'div',
      {
        class: `nbtrack-run nbtrack-run-${run.status}${this._selected === run.run_id ? ' nbtrack-selected' : ''}`,
        role: 'listitem',
        tabindex: 0,
        'data-run-id': run.run_id,
        'data-status': run.status,
        title: `${run.name ?? ''} ${run.run_id}`.trim()
      },
      check,
      h('span', { class: `nbtrack-dot nbtrack-status-${run.status}`, title: run.status }),
      h(
        'div',
        { class: 'nbtrack-run-main' },
        h(
          'div',
          { class: 'nbtrack-run-line' },
          h('span', { class: 'nbtrack-run-name' }, run.name ?? `run ${run.run_id.slice(0, 8)}`),
          run.name ? h('span', { class: 'nbtrack-run-id' }, run.run_id.slice(0, 8)) : null
        ),
        metrics.length
          ? h(
              'div',
              { class: 'nbtrack-run-metrics', title: metrics.map(([k, v]) => `${k} = ${fmtNumber(v)}`).join('\n') },
              metrics.slice(0, MAIN_METRICS).map(([k, v]) =>
                h('span', { class: 'nbtrack-metric' }, h('span', { class: 'nbtrack-metric-key' }, k), ' ', fmtNumber(v))
              ),
              metrics.length > MAIN_METRICS ? h('span', { class: 'nbtrack-more-metrics' }, `+${metrics.length - MAIN_METRICS}`) : null
            )
          : null,
        run.error_type
          ? h('div', { class: 'nbtrack-run-error', title: run.error_message ?? '' }, `${run.error_type}: ${run.error_message ?? ''}`)
          : null,
        h(
          'div',
          { class: 'nbtrack-run-meta' },
          statusBadge(run.status),
          h('span', { class: 'nbtrack-started', title: run.started_at ?? '' }, fmtAgo(started, now)),
          h('span', { class: 'nbtrack-duration', 'data-live-start': live ? String(started) : undefined }, fmtDuration(duration)),
          run.tags.map(t => h('span', { class: 'nbtrack-tag' }, t)),
          Object.keys(run.params).length
            ? h(
                'span',
                { class: 'nbtrack-params-hint', title: Object.entries(run.params).map(([k, v]) => `${k} = ${fmtValue(v)}`).join('\n') },
                Object.entries(run.params)
                  .slice(0, 2)
                  .map(([k, v]) => `${k}=${fmtValue(v)}`)
                  .join(' ')
              )
            : null
        )
      )
    );
    row.addEventListener('click', () => void this.showRun(run.run_id));
    row.addEventListener('keydown', ev => {
      if (ev.target !== row) {
        return;
      }
      if (ev.key === 'Enter') {
        void this.showRun(run.run_id);
      } else if (ev.key === ' ') {
        ev.preventDefault();
        check.checked = !check.checked;
        check.dispatchEvent(new Event('change'));
      }
    });
    return row;
  }

  private _renderCompareBar(): void {
    // Forget selections no longer listed only when they are not needed: keep them across searches.
    const n = this._checked.size;
    this._compareBar.classList.toggle('nbtrack-visible', n > 0);
    this._compareCount.textContent = `${n} selected`;
    this._compareButton.disabled = n < 2;
    this._compareButton.textContent = 'Compare';
    this._compareButton.title = n >= 2 ? `Open a tab comparing the ${n} selected runs` : 'Select two or more runs to compare';
  }

  private _updateLiveDurations(): void {
    const now = Date.now() + this._skew;
    for (const el of Array.from(this.node.querySelectorAll<HTMLElement>('[data-live-start]'))) {
      const start = Number(el.dataset.liveStart);
      if (Number.isFinite(start)) {
        el.textContent = fmtDuration((now - start) / 1000);
      }
    }
  }

  // -- detail -------------------------------------------------------------------------

  private async _loadDetail(runId: string, scrollTop: boolean): Promise<void> {
    const generation = ++this._detailGeneration;
    if (scrollTop || !this._detailRun || this._detailRun.run_id !== runId) {
      clear(this._detail);
      this._detail.classList.add('nbtrack-visible');
      this._detail.appendChild(h('div', { class: 'nbtrack-loading' }, 'Loading run…'));
    }
    let run: RunDetail;
    let series: SeriesReply | null = null;
    const hint = this._storeHint();
    try {
      run = await requestAPI<RunDetail>(runPath(runId), { notebook: hint });
      if (Object.keys(run.series_keys).length) {
        series = await requestAPI<SeriesReply>(runPath(run.run_id, 'series'), { points: 200, notebook: hint });
      }
    } catch (err) {
      if (generation === this._detailGeneration) {
        clear(this._detail);
        this._detail.appendChild(h('div', { class: 'nbtrack-error' }, (err as Error).message));
      }
      return;
    }
    if (generation !== this._detailGeneration || this._selected !== runId) {
      return;
    }
    const scroll = scrollTop ? 0 : this._detail.scrollTop;
    this._detailRun = run;
    clear(this._detail);
    this._detail.classList.add('nbtrack-visible');
    this._detail.appendChild(
      renderDetail(
        run,
        series,
        {
          goToCell: r => void this.goToCell(r),
          copyId: (r, button) => {
            Clipboard.copyToSystem(r.run_id);
            button.textContent = 'Copied';
            window.setTimeout(() => (button.textContent = 'Copy run id'), 1500);
          },
          restore: r => this.restore(r),
          close: () => {
            this._selected = null;
            this._detailRun = null;
            this._detailGeneration++;
            clear(this._detail);
            this._detail.classList.remove('nbtrack-visible');
            this._renderList();
          }
        },
        this._closedSections,
        this._skew,
        hint
      )
    );
    this._detail.scrollTop = scroll;
  }

  /** Activate the run's notebook (opening it if needed), select its cell and scroll to it. */
  async goToCell(run: RunRow): Promise<void> {
    if (!run.cell_id) {
      Notification.warning('nbtrack: this run has no cell id (it was not made by a notebook cell).', { autoClose: 4000 });
      return;
    }
    let panel: NotebookPanel | null = null;
    const current = this._tracker.currentWidget;
    if (current && (run.notebook_path === null || current.context.path === run.notebook_path) && this._hasCell(current, run.cell_id)) {
      panel = current;
    }
    if (!panel) {
      panel = this._tracker.find(p => p.context.path === run.notebook_path) ?? null;
    }
    if (!panel && run.notebook_path) {
      try {
        const widget = await this._app.commands.execute('docmanager:open', { path: run.notebook_path });
        panel = widget instanceof NotebookPanel ? widget : this._tracker.find(p => p.context.path === run.notebook_path) ?? null;
      } catch {
        panel = null;
      }
    }
    if (!panel) {
      Notification.warning(`nbtrack: cannot open the notebook ${run.notebook_path ?? run.notebook ?? ''} of this run.`, { autoClose: 5000 });
      return;
    }
    await panel.context.ready;
    this._app.shell.activateById(panel.id);
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(c => c.model.id === run.cell_id);
    if (index < 0) {
      Notification.warning('nbtrack: the cell that made this run is no longer in the notebook.', { autoClose: 5000 });
      return;
    }
    notebook.mode = 'command';
    notebook.deselectAll();
    notebook.activeCellIndex = index;
    await notebook.scrollToItem(index, 'center').catch(() => undefined);
    // Scrolling a windowed notebook can re-render cells: select again, then focus the cell so
    // keyboard commands apply to it (focusing a cell also makes it the active one).
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    const cell = notebook.widgets[index];
    cell.node.scrollIntoView({ block: 'center' });
    cell.node.focus();
  }

  private _hasCell(panel: NotebookPanel, cellId: string): boolean {
    const cells = panel.content.model?.cells;
    if (!cells) {
      return false;
    }
    for (let i = 0; i < cells.length; i++) {
      if (cells.get(i).id === cellId) {
        return true;
      }
    }
    return false;
  }

  /** Insert, below the active cell of the current notebook, a %%track cell re-running the run. */
  restore(run: RunDetail): void {
    const panel = this._tracker.currentWidget;
    if (!panel) {
      Notification.warning('nbtrack: open a notebook to restore this run into.', { autoClose: 4000 });
      return;
    }
    const notebook = panel.content;
    if (notebook.activeCellIndex < 0 && notebook.widgets.length) {
      notebook.activeCellIndex = notebook.widgets.length - 1;
    }
    NotebookActions.insertBelow(notebook);
    if (notebook.activeCell && notebook.activeCell.model.type !== 'code') {
      NotebookActions.changeCellType(notebook, 'code');
    }
    const cell = notebook.activeCell;
    if (!cell) {
      return;
    }
    cell.model.sharedModel.setSource(restoreSource(run));
    this._app.shell.activateById(panel.id);
    void notebook.scrollToItem(notebook.activeCellIndex, 'center').catch(() => undefined);
  }

  private readonly _app: JupyterFrontEnd;
  private readonly _tracker: INotebookTracker;
  private readonly _openCompare: (runIds: string[], notebook?: string) => void;
  private readonly _allSwitch: HTMLInputElement;
  private readonly _search: HTMLInputElement;
  private readonly _status: HTMLDivElement;
  private readonly _list: HTMLDivElement;
  private readonly _compareBar: HTMLDivElement;
  private readonly _compareCount: HTMLSpanElement;
  private readonly _compareButton: HTMLButtonElement;
  private readonly _detail: HTMLDivElement;
  private readonly _onVisibility: () => void;
  private _currentPanel: NotebookPanel | null = null;
  private _mode: 'notebook' | 'all' = 'notebook';
  private _q = '';
  private _limit = PAGE;
  private _searchTimer = 0;
  private _token: string | null = null;
  private _runs: RunRow[] = [];
  private _total = 0;
  private _error: string | null = null;
  private _skew = 0;
  private _timer: number | null = null;
  private _pollLoop = 0;
  private _generation = 0;
  private _detailGeneration = 0;
  private _lastRefresh = 0;
  private _selected: string | null = null;
  private _detailRun: RunDetail | null = null;
  private _checked = new Set<string>();
  private _collapsed = new Set<string>();
  private _closedSections = new Set<string>(['Context']);
  private _formerPaths = new WeakMap<NotebookPanel, Set<string>>();
  private _rowCache = new Map<string, { sig: string; el: HTMLElement }>();
  private _nextRowCache = new Map<string, { sig: string; el: HTMLElement }>();
  private _headCache = new Map<string, { sig: string; el: HTMLElement }>();
  private _nextHeadCache = new Map<string, { sig: string; el: HTMLElement }>();
  private _sort = '-run_id';
  private _sortSignature = '';
  private readonly _sortSelect: HTMLSelectElement;
}
