/**
 * The left-sidebar panel (the view): the runs of the active notebook grouped by cell (newest
 * first), every run of the store, or the team's; a search box; a run's detail; selection for
 * "Compare"; the run actions (also JupyterLab commands, see index.ts). State and polling live
 * in `RunsModel` (model.ts), one row in `runrow.ts`, the detail in `detail.ts`.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RunDetail, RunRow, SeriesReply, postAPI, requestAPI, runPath } from './api';
import { Child, clear, h } from '../shared/dom';
import { renderDetail } from './detail';
import { cellTitle, fmtDuration, lowerIsBetter } from './format';
import { __, _n } from './i18n';
import { RunsModel, Scope } from './model';
import { restoreSource } from './restore';
import { ROW_COLUMNS, RowColumn, renderRunRow, staleBadge } from './runrow';

export interface SidebarSettings {
  pollInterval: number;
  defaultScope: Scope;
  columns: RowColumn[];
  metricsShown: number;
}

export const DEFAULT_SETTINGS: SidebarSettings = {
  pollInterval: 1000,
  defaultScope: 'notebook',
  columns: ROW_COLUMNS,
  metricsShown: 3
};

export interface RunsPanelOptions {
  app: JupyterFrontEnd;
  tracker: INotebookTracker;
  openCompare: (runIds: string[], notebook?: string, scope?: string) => void;
  settings?: SidebarSettings;
}

interface CellInfo {
  index: number;
  title: string;
}

export interface ReplayReply {
  original: string;
  run_id: string | null;
  same: boolean;
  differences: Record<string, unknown[]>;
  unreproducible: string[];
  errors: string[];
}

export class RunsPanel extends Widget {
  constructor(options: RunsPanelOptions) {
    super();
    this._app = options.app;
    this._tracker = options.tracker;
    this._openCompare = options.openCompare;
    this._settings = { ...DEFAULT_SETTINGS, ...(options.settings ?? {}) };
    this.model = new RunsModel({
      notebookPaths: () => this._notebookPaths(),
      pollMs: this._settings.pollInterval,
      scope: this._settings.defaultScope
    });
    this.model.changed.connect(() => this._onModelChanged(), this);
    this.model.tick.connect(() => this._updateLiveDurations(), this);
    this.addClass('nbtrack-panel');

    this._allSwitch = h('input', { type: 'checkbox', class: 'nbtrack-all-switch', 'aria-label': __('Show all runs of the store') });
    this._teamSwitch = h('input', { type: 'checkbox', class: 'nbtrack-team-switch', 'aria-label': __('Show the team store\'s runs') });
    this._allSwitch.addEventListener('change', () => this.setScope(this._allSwitch.checked ? 'all' : 'notebook'));
    this._teamSwitch.addEventListener('change', () =>
      this.setScope(this._teamSwitch.checked ? 'team' : this._allSwitch.checked ? 'all' : 'notebook')
    );
    const refreshButton = h('button', { class: 'nbtrack-icon-button', title: __('Refresh'), 'aria-label': __('Refresh') }, '⟳');
    refreshButton.addEventListener('click', () => void this.refresh());
    this._search = h('input', {
      type: 'search',
      class: 'nbtrack-search jp-mod-styled',
      placeholder: __('Search, or filter: metrics.acc > 0.9'),
      title: __(
        'Words match the name, tags, id, experiment, notebook, status or code of a run.\n' +
          'Filters: COLUMN OPERATOR VALUE, e.g. metrics.accuracy > 0.9, params.model == rf,\n' +
          'status == failed, tags contains baseline; join several with "and".'
      ),
      'aria-label': __('Search runs')
    });
    this._search.addEventListener('input', () => {
      window.clearTimeout(this._searchTimer);
      this._searchTimer = window.setTimeout(() => (this.model.query = this._search.value), 250);
    });
    this._sortSelect = h('select', { class: 'nbtrack-sort', 'aria-label': __('Sort runs'), title: __('Order of runs (groups follow their first run)') });
    this._sortSelect.addEventListener('change', () => (this.model.sort = this._sortSelect.value));
    this._status = h('div', { class: 'nbtrack-statusline', role: 'status' });
    this._list = h('div', { class: 'nbtrack-list', role: 'list' });
    this._compareCount = h('span', { class: 'nbtrack-compare-count' });
    this._compareButton = h('button', { class: 'jp-Button nbtrack-compare-button', title: __('Open a tab comparing the selected runs') }, __('Compare'));
    this._compareButton.addEventListener('click', () => this.compareSelected());
    const clearButton = h('button', { class: 'jp-Button nbtrack-clear-button' }, __('Clear'));
    clearButton.addEventListener('click', () => this.model.clearChecked());
    this._compareBar = h('div', { class: 'nbtrack-comparebar' }, this._compareCount, this._compareButton, clearButton);
    this._detail = h('div', { class: 'nbtrack-detail' });

    this.node.appendChild(
      h(
        'div',
        { class: 'nbtrack-toolbar' },
        h('span', { class: 'nbtrack-title' }, __('nbtrack runs')),
        h('label', { class: 'nbtrack-switch', title: __('Show the runs of every notebook in the store') }, this._allSwitch, __('All runs')),
        h('label', { class: 'nbtrack-switch', title: __('Show the runs of the team store (PostgreSQL)') }, this._teamSwitch, __('Team')),
        refreshButton
      )
    );
    this.node.appendChild(this._search);
    this.node.appendChild(h('div', { class: 'nbtrack-statusrow' }, this._status, this._sortSelect));
    this.node.appendChild(this._list);
    this.node.appendChild(this._compareBar);
    this.node.appendChild(this._detail);
    this._syncSwitches();

    this._tracker.currentChanged.connect(this._onNotebookChanged, this);
    this._tracker.widgetAdded.connect((_, panel) => this._watchRenames(panel));
    this._tracker.forEach(panel => this._watchRenames(panel));
    this._onVisibility = () => {
      if (!document.hidden && this.isVisible) {
        this.model.start();
      }
    };
  }

  readonly model: RunsModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    this._tracker.currentChanged.disconnect(this._onNotebookChanged, this);
    super.dispose();
  }

  /** New settings (from the settings registry): poll interval, scope, columns. */
  configure(settings: Partial<SidebarSettings>): void {
    const before = this._settings.defaultScope;
    this._settings = { ...this._settings, ...settings };
    this.model.pollMs = this._settings.pollInterval;
    if (this._settings.defaultScope !== before) {
      this.setScope(this._settings.defaultScope);
    }
    this._rowCache.clear();
    this._renderList();
  }

  get scope(): Scope {
    return this.model.scope;
  }

  setScope(scope: Scope): void {
    this.model.scope = scope;
    this._syncSwitches();
  }

  /** Re-read the list (and the open run's detail when it may have changed). */
  async refresh(): Promise<void> {
    await this.model.refresh();
  }

  /** Show one run's detail (also used by tests and commands). */
  async showRun(runId: string): Promise<void> {
    this.model.select(runId);
    await this._loadDetail(runId, true);
  }

  /** The run whose detail is open (the commands act on it). */
  get currentRun(): RunDetail | null {
    return this._detailRun;
  }

  compareSelected(): void {
    if (this.model.checked.size >= 2) {
      this._openCompare(Array.from(this.model.checked), this.model.storeHint(), this.model.params().scope);
    } else {
      Notification.info(__('nbtrack: select two or more runs to compare.'), { autoClose: 3000 });
    }
  }

  copyId(run: RunDetail, button?: HTMLButtonElement): void {
    Clipboard.copyToSystem(run.run_id);
    if (button) {
      button.textContent = __('Copied');
      window.setTimeout(() => (button.textContent = __('Copy run id')), 1500);
    }
  }

  /** Re-run the run in a fresh kernel on the server (POST runs/{id}/replay) and say how it went. */
  async replay(run: RunDetail): Promise<ReplayReply | null> {
    const id = Notification.emit(__('nbtrack: replaying run %1 in a fresh kernel…', run.run_id.slice(0, 10)), 'in-progress', {
      autoClose: false
    });
    try {
      const out = await postAPI<ReplayReply>(runPath(run.run_id, 'replay'), { notebook: this.model.storeHint() });
      const diffs = Object.keys(out.differences);
      const message = out.same
        ? __('nbtrack: replay of %1 gave the same metrics (new run %2).', run.run_id.slice(0, 10), (out.run_id ?? '').slice(0, 10))
        : __('nbtrack: replay of %1 differs: %2', run.run_id.slice(0, 10),
            [...diffs, ...out.unreproducible.map(u => __('%1 cannot be re-produced', u)), ...out.errors].join('; ') || __('no run was made'));
      Notification.update({ id, message, type: out.same ? 'success' : 'warning', autoClose: 8000 });
      this._lastReplay = out;
      void this.refresh();
      return out;
    } catch (err) {
      Notification.update({ id, message: (err as Error).message, type: 'error', autoClose: 8000 });
      return null;
    }
  }

  /** Write the cells the run needs as a new notebook (POST runs/{id}/notebook) and open it. */
  async exportNotebook(run: RunDetail): Promise<string | null> {
    try {
      const out = await postAPI<{ path: string }>(runPath(run.run_id, 'notebook'), { notebook: this.model.storeHint() });
      await this._app.commands.execute('docmanager:open', { path: out.path });
      return out.path;
    } catch (err) {
      Notification.error((err as Error).message, { autoClose: 8000 });
      return null;
    }
  }

  get lastReplay(): ReplayReply | null {
    return this._lastReplay;
  }

  // -- lifecycle: poll only while visible ---------------------------------------------

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.start();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.stop();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    document.addEventListener('visibilitychange', this._onVisibility);
    if (this.isVisible) {
      this.model.start();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    document.removeEventListener('visibilitychange', this._onVisibility);
    this.model.stop();
    super.onBeforeDetach(msg);
  }

  private _syncSwitches(): void {
    this._teamSwitch.checked = this.model.scope === 'team';
    this._allSwitch.checked = this.model.scope === 'all';
    this._allSwitch.disabled = this.model.scope === 'team';
  }

  private _onModelChanged(): void {
    this._renderList();
    const selected = this.model.selected;
    if (selected) {
      const row = this.model.runs.find(r => r.run_id === selected);
      const shown = this._detailRun;
      if (row && shown && (row.status === 'running' || row.status !== shown.status)) {
        void this._loadDetail(selected, false);
      }
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
    if (this.model.scope === 'notebook' && this.isVisible) {
      this.model.limit = 200;
      void this.refresh();
    }
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
    const m = this.model;
    clear(this._status);
    this.node.classList.toggle('nbtrack-mod-error', !!m.error);
    if (m.error) {
      this._status.appendChild(h('span', { class: 'nbtrack-error' }, m.error));
      return;
    }
    const path = m.notebookPath();
    if (m.scope === 'notebook' && !path) {
      this._status.textContent = __('Open a notebook to see its runs, or switch on "All runs".');
      return;
    }
    const where = m.scope === 'notebook' ? path ?? '' : m.scope === 'team' ? __('team store') : __('all notebooks');
    const shown = m.runs.length;
    const count = shown < m.total ? __('%1 of %2 runs', shown, m.total) : _n('%1 run', '%1 runs', m.total, m.total);
    const running = m.runs.filter(r => r.status === 'running').length;
    this._status.appendChild(h('span', {}, `${count} · ${where}`));
    if (running) {
      this._status.appendChild(h('span', { class: 'nbtrack-running-count' }, ` · ${__('%1 running', running)}`));
    }
  }

  private _cellInfo(): Map<string, CellInfo> {
    const out = new Map<string, CellInfo>();
    const panel = this._tracker.currentWidget;
    if (!panel || this.model.scope !== 'notebook') {
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
    for (const run of this.model.runs) {
      Object.keys(run.metrics).forEach(k => keys.add(k));
    }
    const current = this.model.sort.replace(/^[-+]/, '');
    if (current.startsWith('metrics.')) {
      keys.add(current.slice('metrics.'.length));
    }
    const options: [string, string][] = [
      ['-run_id', __('Newest first')],
      ['run_id', __('Oldest first')],
      ['-duration_s', __('Longest first')],
      ...Array.from(keys)
        .sort()
        .map(k => [`${lowerIsBetter(k) ? '' : '-'}metrics.${k}`, __('Best %1', k)] as [string, string])
    ];
    const signature = options.map(o => o[0]).join('\n');
    if (signature !== this._sortSignature) {
      this._sortSignature = signature;
      clear(this._sortSelect);
      for (const [value, label] of options) {
        this._sortSelect.appendChild(h('option', { value }, label));
      }
    }
    this._sortSelect.value = this.model.sort;
  }

  private _renderList(): void {
    const m = this.model;
    this._renderStatus();
    this._renderSortOptions();
    const scroll = this._list.scrollTop;
    clear(this._list);
    const cells = this._cellInfo();
    const groups = new Map<string, RunRow[]>();
    for (const run of m.runs) {
      const key =
        m.scope === 'notebook'
          ? run.cell_id ?? '(no cell)'
          : `${run.notebook_path ?? run.notebook ?? ''}\u0000${run.cell_id ?? '(no cell)'}`;
      const list = groups.get(key);
      if (list) {
        list.push(run);
      } else {
        groups.set(key, [run]);
      }
    }
    if (!m.runs.length && !m.error) {
      if (m.scope !== 'notebook' || m.notebookPath()) {
        this._list.appendChild(
          h(
            'div',
            { class: 'nbtrack-empty' },
            m.query
              ? __('No run matches this search.')
              : m.scope === 'notebook'
                ? __('No runs for this notebook yet. Run a cell that starts with %%track (after %load_ext nbtrack).')
                : __('The store has no runs yet.')
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
    if (m.runs.length < m.total) {
      const more = h('button', { class: 'jp-Button nbtrack-more' }, __('Show more (%1 older)', m.total - m.runs.length));
      more.addEventListener('click', () => m.showMore());
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
    const scope = this.model.scope;
    const badge: Child =
      scope === 'notebook'
        ? info
          ? h('span', { class: 'nbtrack-cell-badge', title: __('Position of the cell in the notebook') }, __('cell %1', info.index + 1))
          : h('span', { class: 'nbtrack-cell-badge nbtrack-gone', title: __('This cell is no longer in the notebook') }, __('deleted cell'))
        : h('span', { class: 'nbtrack-cell-badge', title: first.notebook ?? '' }, first.notebook_path ?? first.notebook ?? __('no notebook'));
    // Rows and headers are reused while unchanged, so a refresh (every second while a run logs)
    // does not replace the element under the mouse between mousedown and click.
    const headSig = [key, title, collapsed, runs.length, scope, info?.index ?? null, first.notebook_path, first.notebook].join('\u0001');
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
    const m = this.model;
    // A row is rebuilt only when something it shows changed: its data (the same reply object
    // when the list did not change), its selection, or the "ago" text (every 30 s).
    const sig = [m.selected === run.run_id, m.checked.has(run.run_id), Math.floor((Date.now() + m.skew) / 30000)].join();
    const hit = this._rowCache.get(run.run_id);
    const fresh = hit && hit.sig === sig && hit.data === rowKey(run);
    const el = fresh ? hit.el : renderRunRow(run, {
      selected: m.selected === run.run_id,
      checked: m.checked.has(run.run_id),
      now: Date.now() + m.skew,
      columns: new Set(this._settings.columns),
      metricsShown: this._settings.metricsShown,
      onCheck: on => m.setChecked(run.run_id, on),
      onOpen: () => void this.showRun(run.run_id)
    });
    this._nextRowCache.set(run.run_id, { sig, data: rowKey(run), el });
    return el;
  }

  private _renderCompareBar(): void {
    // Selections are kept across searches (a run checked, then filtered out, stays checked).
    const n = this.model.checked.size;
    this._compareBar.classList.toggle('nbtrack-visible', n > 0);
    this._compareCount.textContent = __('%1 selected', n);
    this._compareButton.disabled = n < 2;
    this._compareButton.textContent = __('Compare');
    this._compareButton.title = n >= 2 ? __('Open a tab comparing the %1 selected runs', n) : __('Select two or more runs to compare');
  }

  private _updateLiveDurations(): void {
    const now = Date.now() + this.model.skew;
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
      this._detail.appendChild(h('div', { class: 'nbtrack-loading' }, __('Loading run…')));
    }
    let run: RunDetail;
    let series: SeriesReply | null = null;
    const params = this.model.params();
    try {
      run = await requestAPI<RunDetail>(runPath(runId), params);
      if (Object.keys(run.series_keys).length) {
        series = await requestAPI<SeriesReply>(runPath(run.run_id, 'series'), { ...params, points: 200 });
      }
    } catch (err) {
      if (generation === this._detailGeneration) {
        clear(this._detail);
        this._detail.appendChild(h('div', { class: 'nbtrack-error' }, (err as Error).message));
      }
      return;
    }
    if (generation !== this._detailGeneration || this.model.selected !== runId) {
      return;
    }
    // the list row knows whether the run is stale (the read model derives it when runs are read)
    const row = this.model.runs.find(r => r.run_id === run.run_id);
    if (row && run.stale === undefined) {
      run.stale = row.stale;
      run.stale_reason = row.stale_reason;
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
          copyId: (r, button) => this.copyId(r, button),
          restore: r => this.restore(r),
          replay: this.model.scope === 'team' ? null : r => void this.replay(r),
          exportNotebook: this.model.scope === 'team' ? null : r => void this.exportNotebook(r),
          close: () => this.closeDetail()
        },
        this._closedSections,
        this.model.skew,
        params.notebook,
        staleBadge(run)
      )
    );
    this._detail.scrollTop = scroll;
  }

  closeDetail(): void {
    this._detailRun = null;
    this._detailGeneration++;
    clear(this._detail);
    this._detail.classList.remove('nbtrack-visible');
    this.model.select(null);
  }

  /** Activate the run's notebook (opening it if needed), select its cell and scroll to it. */
  async goToCell(run: RunRow): Promise<void> {
    if (!run.cell_id) {
      Notification.warning(__('nbtrack: this run has no cell id (it was not made by a notebook cell).'), { autoClose: 4000 });
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
      Notification.warning(__('nbtrack: cannot open the notebook %1 of this run.', run.notebook_path ?? run.notebook ?? ''), { autoClose: 5000 });
      return;
    }
    await panel.context.ready;
    this._app.shell.activateById(panel.id);
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(c => c.model.id === run.cell_id);
    if (index < 0) {
      Notification.warning(__('nbtrack: the cell that made this run is no longer in the notebook.'), { autoClose: 5000 });
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
      Notification.warning(__('nbtrack: open a notebook to restore this run into.'), { autoClose: 4000 });
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
  private readonly _openCompare: (runIds: string[], notebook?: string, scope?: string) => void;
  private _settings: SidebarSettings;
  private readonly _allSwitch: HTMLInputElement;
  private readonly _teamSwitch: HTMLInputElement;
  private readonly _search: HTMLInputElement;
  private readonly _status: HTMLDivElement;
  private readonly _list: HTMLDivElement;
  private readonly _compareBar: HTMLDivElement;
  private readonly _compareCount: HTMLSpanElement;
  private readonly _compareButton: HTMLButtonElement;
  private readonly _detail: HTMLDivElement;
  private readonly _sortSelect: HTMLSelectElement;
  private readonly _onVisibility: () => void;
  private _currentPanel: NotebookPanel | null = null;
  private _searchTimer = 0;
  private _detailGeneration = 0;
  private _detailRun: RunDetail | null = null;
  private _lastReplay: ReplayReply | null = null;
  private _collapsed = new Set<string>();
  private _closedSections = new Set<string>(['Context']);
  private _formerPaths = new WeakMap<NotebookPanel, Set<string>>();
  private _rowCache = new Map<string, RowCacheEntry>();
  private _nextRowCache = new Map<string, RowCacheEntry>();
  private _headCache = new Map<string, { sig: string; el: HTMLElement }>();
  private _nextHeadCache = new Map<string, { sig: string; el: HTMLElement }>();
  private _sortSignature = '';
}

interface RowCacheEntry {
  sig: string;
  data: string;
  el: HTMLElement;
}

/** What a row shows of a run, as one string (rows are rebuilt when it changes). */
function rowKey(run: RunRow): string {
  return JSON.stringify(run);
}
