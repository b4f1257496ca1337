/**
 * Links runs to cells in the saved notebook: when a `%%track` cell finishes, the id of the run
 * it made is appended to the cell's metadata `nbtrack.runs` (the last MAX_LINKS are kept).
 *
 * How the run is found: the server is asked for the runs of that cell id (newest first) and
 * the newest one not linked yet whose execution count matches the cell's is taken: the kernel
 * records the execute request's cell id and the execution count with every run. (IPython 9
 * increments the count before the magic reads it, so a run may carry the cell's count + 1;
 * both are accepted.) The run row reaches the store through the kernel's background writer,
 * so this retries for a few seconds.
 */
import type { ICodeCellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';

import { RunsReply, requestAPI } from './api';
import { parseTime } from './format';

const MAX_LINKS = 100;
const ATTEMPTS = 20;
const RETRY_MS = 400;

/** When each cell's execution was scheduled (browser clock): older runs never match. */
const scheduled = new WeakMap<object, number>();

export function linkRunsToCells(tracker: INotebookTracker): void {
  NotebookActions.executionScheduled.connect((_, { cell }) => {
    scheduled.set(cell.model, Date.now());
  });
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
    void link(model as ICodeCellModel, panel.context.path, count, scheduled.get(model) ?? null);
  });
}

async function link(model: ICodeCellModel, notebook: string, count: number, since: number | null): Promise<void> {
  const cellId = model.id;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      // `notebook` only selects the store (the notebook's folder): runs are matched by cell id,
      // since a kernel started before a rename still reports the notebook's old path.
      const reply = await requestAPI<RunsReply>('runs', { cell_id: cellId, limit: 5, store_of: notebook });
      if (model.isDisposed) {
        return;
      }
      const meta = (model.getMetadata('nbtrack') as Record<string, unknown> | undefined) ?? {};
      const runs = Array.isArray(meta.runs) ? (meta.runs as unknown[]).filter(r => typeof r === 'string') : [];
      const serverNow = parseTime(reply.now);
      const skew = serverNow === null ? 0 : serverNow - Date.now();
      const fresh = reply.runs.filter(r => {
        const started = parseTime(r.started_at);
        return since === null || started === null || started >= since + skew - 1500;
      });
      const run =
        fresh.find(r => r.execution_count === count && !runs.includes(r.run_id)) ??
        fresh.find(r => r.execution_count === count + 1 && !runs.includes(r.run_id)) ??
        fresh.find(r => r.execution_count === count || r.execution_count === count + 1);
      if (run) {
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
