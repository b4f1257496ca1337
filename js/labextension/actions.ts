/**
 * What the user can do with a run (the detail's buttons and the palette's commands, see
 * index.ts): go to its cell, restore it as a new cell, copy its id, replay it in a fresh kernel,
 * export the cells it needs as a notebook. Each says how it went in a notification.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import { RunDetail, RunRow, postAPI, runPath } from './api';
import { __ } from './i18n';
import { restoreSource } from './restore';

export interface ReplayReply {
  original: string;
  run_id: string | null;
  same: boolean;
  differences: Record<string, unknown[]>;
  unreproducible: string[];
  errors: string[];
}

export function copyRunId(run: RunDetail, button?: HTMLButtonElement): void {
  Clipboard.copyToSystem(run.run_id);
  if (button) {
    button.textContent = __('Copied');
    window.setTimeout(() => (button.textContent = __('Copy run id')), 1500);
  }
}

/** Re-run the run in a fresh kernel on the server (POST runs/{id}/replay) and say how it went.
 * `notebook`: whose store to read (the model's store hint). */
export async function replayRun(run: RunDetail, notebook: string | undefined): Promise<ReplayReply | null> {
  const id = Notification.emit(__('nbtrack: replaying run %1 in a fresh kernel…', run.run_id.slice(0, 10)), 'in-progress', {
    autoClose: false
  });
  try {
    const out = await postAPI<ReplayReply>(runPath(run.run_id, 'replay'), { notebook });
    const diffs = Object.keys(out.differences);
    const message = out.same
      ? __('nbtrack: replay of %1 gave the same metrics (new run %2).', run.run_id.slice(0, 10), (out.run_id ?? '').slice(0, 10))
      : __('nbtrack: replay of %1 differs: %2', run.run_id.slice(0, 10),
          [...diffs, ...out.unreproducible.map(u => __('%1 cannot be re-produced', u)), ...out.errors].join('; ') || __('no run was made'));
    Notification.update({ id, message, type: out.same ? 'success' : 'warning', autoClose: 8000 });
    return out;
  } catch (err) {
    Notification.update({ id, message: (err as Error).message, type: 'error', autoClose: 8000 });
    return null;
  }
}

/** Write the cells the run needs as a new notebook (POST runs/{id}/notebook) and open it. */
export async function exportRunNotebook(app: JupyterFrontEnd, run: RunDetail, notebook: string | undefined): Promise<string | null> {
  try {
    const out = await postAPI<{ path: string }>(runPath(run.run_id, 'notebook'), { notebook });
    await app.commands.execute('docmanager:open', { path: out.path });
    return out.path;
  } catch (err) {
    Notification.error((err as Error).message, { autoClose: 8000 });
    return null;
  }
}

/** Activate the run's notebook (opening it if needed), select its cell and scroll to it. */
export async function goToCell(app: JupyterFrontEnd, tracker: INotebookTracker, run: RunRow): Promise<void> {
  if (!run.cell_id) {
    Notification.warning(__('nbtrack: this run has no cell id (it was not made by a notebook cell).'), { autoClose: 4000 });
    return;
  }
  let panel: NotebookPanel | null = null;
  const current = tracker.currentWidget;
  if (current && (run.notebook_path === null || current.context.path === run.notebook_path) && hasCell(current, run.cell_id)) {
    panel = current;
  }
  if (!panel) {
    panel = tracker.find(p => p.context.path === run.notebook_path) ?? null;
  }
  if (!panel && run.notebook_path) {
    try {
      const widget = await app.commands.execute('docmanager:open', { path: run.notebook_path });
      panel = widget instanceof NotebookPanel ? widget : tracker.find(p => p.context.path === run.notebook_path) ?? null;
    } catch {
      panel = null;
    }
  }
  if (!panel) {
    Notification.warning(__('nbtrack: cannot open the notebook %1 of this run.', run.notebook_path ?? run.notebook ?? ''), { autoClose: 5000 });
    return;
  }
  await panel.context.ready;
  app.shell.activateById(panel.id);
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

function hasCell(panel: NotebookPanel, cellId: string): boolean {
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
export function restoreRun(app: JupyterFrontEnd, tracker: INotebookTracker, run: RunDetail): void {
  const panel = tracker.currentWidget;
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
  app.shell.activateById(panel.id);
  void notebook.scrollToItem(notebook.activeCellIndex, 'center').catch(() => undefined);
}
