/**
 * The notebooks the panel follows: the active one (its path and the paths it had before renames
 * in this session: its kernel keeps reporting the path the notebook had when the kernel
 * started), its cells' positions and titles, and when it changes (another notebook, a rename).
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { cellTitle } from './format';
import type { CellInfo } from './runlist';

export class NotebookWatch {
  /** `onChange`: another notebook became the active one, or the active one was renamed. */
  constructor(tracker: INotebookTracker, onChange: () => void) {
    this._tracker = tracker;
    this._onChange = onChange;
    tracker.currentChanged.connect(this._onCurrentChanged, this);
    tracker.widgetAdded.connect((_, panel) => this._watchRenames(panel));
    tracker.forEach(panel => this._watchRenames(panel));
  }

  dispose(): void {
    this._tracker.currentChanged.disconnect(this._onCurrentChanged, this);
  }

  /** The active notebook's current path, then its former ones (empty: none is open). */
  paths(): string[] {
    const panel = this._tracker.currentWidget;
    if (!panel) {
      return [];
    }
    return [panel.context.path, ...Array.from(this._formerPaths.get(panel) ?? [])];
  }

  /** The active notebook's cells by id. */
  cells(): Map<string, CellInfo> {
    const out = new Map<string, CellInfo>();
    const cells = this._tracker.currentWidget?.content.model?.cells;
    if (!cells) {
      return out;
    }
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      out.set(cell.id, { index: i, title: cellTitle(cell.sharedModel.getSource()) });
    }
    return out;
  }

  private _onCurrentChanged(): void {
    if (this._currentPanel) {
      this._currentPanel.context.pathChanged.disconnect(this._onCurrentChanged, this);
    }
    this._currentPanel = this._tracker.currentWidget;
    if (this._currentPanel) {
      this._currentPanel.context.pathChanged.connect(this._onCurrentChanged, this);
    }
    this._onChange();
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

  private readonly _tracker: INotebookTracker;
  private readonly _onChange: () => void;
  private _currentPanel: NotebookPanel | null = null;
  private readonly _formerPaths = new WeakMap<NotebookPanel, Set<string>>();
}
