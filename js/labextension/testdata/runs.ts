/** A run row as the server's `GET runs` sends it, for the sidebar's unit tests. */
import type { RunRow } from '../api';

/** A finished run, with `over` written over it. */
export function run(over: Partial<RunRow> = {}): RunRow {
  return {
    run_id: '0123456789abcdef',
    name: 'rf',
    experiment: null,
    notebook: '/home/u/nb.ipynb',
    notebook_path: 'nb.ipynb',
    cell_id: 'c1',
    status: 'finished',
    started_at: '2026-12-04T10:00:00Z',
    ended_at: '2026-12-04T10:00:05Z',
    duration_s: 5,
    tags: ['baseline'],
    execution_count: 3,
    error_type: null,
    error_message: null,
    source_head: '%%track\nclf.fit(X, y)',
    params: { n_estimators: 100, layers: [64, 32] },
    metrics: { acc: 0.9, loss: 'NaN' },
    stale: false,
    stale_reason: null,
    ...over
  };
}
