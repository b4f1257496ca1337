/**
 * The left-sidebar panel: the widget that wires the model to its views. `RunsModel` (model.ts)
 * holds the state and polls; the views draw it: the toolbar, search and status row
 * (toolbar.ts), the grouped run list (runlist.ts, one row in runrow.ts, the empty and error
 * states in states.ts), the compare bar (comparebar.ts) and the open run's detail
 * (detailpane.ts, detail.ts). The run actions live in actions.ts; the panel offers them to the
 * palette's commands (index.ts). It polls only while visible.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import * as actions from './actions';
import type { ReplayReply } from './actions';
import { RunDetail, RunRow } from './api';
import { CompareBar } from './comparebar';
import { DetailPane } from './detailpane';
import { fmtDuration } from './format';
import { __ } from './i18n';
import { RunsModel, Scope } from './model';
import { NotebookWatch } from './notebooks';
import { RunList } from './runlist';
import { ROW_COLUMNS, RowColumn } from './runrow';
import { Toolbar } from './toolbar';

export type { ReplayReply } from './actions';

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

/** A notebook's list starts at this many runs again when another notebook becomes active. */
const NOTEBOOK_LIMIT = 200;

export class RunsPanel extends Widget {
  constructor(options: RunsPanelOptions) {
    super();
    this._app = options.app;
    this._tracker = options.tracker;
    this._openCompare = options.openCompare;
    this._settings = { ...DEFAULT_SETTINGS, ...(options.settings ?? {}) };
    this.model = new RunsModel({
      notebookPaths: () => this._notebooks.paths(),
      pollMs: this._settings.pollInterval,
      scope: this._settings.defaultScope
    });
    this.model.changed.connect(() => this._onModelChanged(), this);
    this.model.tick.connect(() => this._updateLiveDurations(), this);
    this.addClass('nbtrack-panel');

    this._toolbar = new Toolbar({
      onScope: scope => this.setScope(scope),
      onRefresh: () => void this.refresh(),
      onQuery: query => (this.model.query = query),
      onSort: sort => (this.model.sort = sort)
    });
    this._list = new RunList(this.model, {
      cells: () => (this.model.scope === 'notebook' ? this._notebooks.cells() : new Map()),
      rowSettings: () => this._settings,
      onOpen: runId => void this.showRun(runId)
    });
    this._compareBar = new CompareBar({ onCompare: () => this.compareSelected(), onClear: () => this.model.clearChecked() });
    this._detail = new DetailPane(this.model, () => ({
      goToCell: r => void this.goToCell(r),
      copyId: (r, button) => this.copyId(r, button),
      restore: r => this.restore(r),
      replay: this.model.scope === 'team' ? null : r => void this.replay(r),
      exportNotebook: this.model.scope === 'team' ? null : r => void this.exportNotebook(r),
      close: () => this.closeDetail()
    }));
    for (const node of [...this._toolbar.nodes, this._list.node, this._compareBar.node, this._detail.node]) {
      this.node.appendChild(node);
    }
    this._toolbar.showScope(this.model.scope);

    this._notebooks = new NotebookWatch(this._tracker, () => this._onNotebookChanged());
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
    this._notebooks.dispose();
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
    this._list.forgetRows();
    this._render();
  }

  get scope(): Scope {
    return this.model.scope;
  }

  setScope(scope: Scope): void {
    this.model.scope = scope;
    this._toolbar.showScope(this.model.scope);
  }

  /** Re-read the list (and the open run's detail when it may have changed). */
  async refresh(): Promise<void> {
    await this.model.refresh();
  }

  /** Show one run's detail (also used by tests and commands). */
  async showRun(runId: string): Promise<void> {
    this.model.select(runId);
    await this._detail.load(runId, true);
  }

  /** The run whose detail is open (the commands act on it). */
  get currentRun(): RunDetail | null {
    return this._detail.run;
  }

  closeDetail(): void {
    this._detail.close();
    this.model.select(null);
  }

  compareSelected(): void {
    if (this.model.checked.size >= 2) {
      this._openCompare(Array.from(this.model.checked), this.model.storeHint(), this.model.params().scope);
    } else {
      Notification.info(__('nbtrack: select two or more runs to compare.'), { autoClose: 3000 });
    }
  }

  // -- the run actions (actions.ts), on the store the panel reads -----------------------

  copyId(run: RunDetail, button?: HTMLButtonElement): void {
    actions.copyRunId(run, button);
  }

  async replay(run: RunDetail): Promise<ReplayReply | null> {
    const out = await actions.replayRun(run, this.model.storeHint());
    if (out) {
      this._lastReplay = out;
      void this.refresh();
    }
    return out;
  }

  exportNotebook(run: RunDetail): Promise<string | null> {
    return actions.exportRunNotebook(this._app, run, this.model.storeHint());
  }

  goToCell(run: RunRow): Promise<void> {
    return actions.goToCell(this._app, this._tracker, run);
  }

  restore(run: RunDetail): void {
    actions.restoreRun(this._app, this._tracker, run);
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

  // -- wiring -------------------------------------------------------------------------

  private _onModelChanged(): void {
    this._render();
    this._detail.listChanged();
  }

  private _onNotebookChanged(): void {
    if (this.model.scope === 'notebook' && this.isVisible) {
      this.model.limit = NOTEBOOK_LIMIT;
      void this.refresh();
    }
  }

  private _render(): void {
    this.node.classList.toggle('nbtrack-mod-error', !!this.model.error);
    this._toolbar.render(this.model);
    this._list.render();
    this._compareBar.render(this.model.checked.size);
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

  private readonly _app: JupyterFrontEnd;
  private readonly _tracker: INotebookTracker;
  private readonly _openCompare: (runIds: string[], notebook?: string, scope?: string) => void;
  private _settings: SidebarSettings;
  private readonly _notebooks: NotebookWatch;
  private readonly _toolbar: Toolbar;
  private readonly _list: RunList;
  private readonly _compareBar: CompareBar;
  private readonly _detail: DetailPane;
  private readonly _onVisibility: () => void;
  private _lastReplay: ReplayReply | null = null;
}
