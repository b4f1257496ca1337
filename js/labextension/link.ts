/**
 * Links runs to cells in the saved notebook: when a `%%track` cell finishes, the id of the run
 * it made is appended to the cell's metadata `nbtrack.runs` (the last MAX_LINKS are kept).
 *
 * How the run is found: the server is asked for the runs of that cell id (newest first) and
 * the one whose execution count equals the cell's is taken: the kernel records the execute
 * request's cell id and the execution count with every run. The run row reaches the store
 * through the kernel's background writer, so this retries for a few seconds.
 */
import type { ICodeCellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';

import { RunsReply, requestAPI } from './api';

const MAX_LINKS = 100;
const ATTEMPTS = 20;
const RETRY_MS = 400;

export function linkRunsToCells(tracker: INotebookTracker): void {
  NotebookActions.executed.connect((_, args) => {
    const { notebook, cell } = args;
    const model = cell.model;
    if (model.type !== 'code' || !model.sharedModel.getSource().startsWith('%%track')) {
      return;
    }
    const count = (model as ICodeCellModel).executionCount;
    const panel = tracker.find(p => p.content === notebook);
    if (count === null || !panel) {
      return;
    }
    void link(model as ICodeCellModel, model.id, count);
  });
}

async function link(model: ICodeCellModel, cellId: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const reply = await requestAPI<RunsReply>('runs', { cell_id: cellId, limit: 5 });
      const run = reply.runs.find(r => r.execution_count === count);
      if (run) {
        if (model.isDisposed) {
          return;
        }
        const meta = (model.getMetadata('nbtrack') as Record<string, unknown> | undefined) ?? {};
        const runs = Array.isArray(meta.runs) ? (meta.runs as unknown[]).filter(r => typeof r === 'string') : [];
        if (!runs.includes(run.run_id)) {
          runs.push(run.run_id);
          model.setMetadata('nbtrack', { ...meta, runs: runs.slice(-MAX_LINKS) });
        }
        return;
      }
    } catch {
      // the server extension may be busy or missing: try again, then give up quietly
    }
    await new Promise(resolve => setTimeout(resolve, RETRY_MS));
  }
}
