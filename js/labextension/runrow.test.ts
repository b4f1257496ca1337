import { describe, expect, it } from 'vitest';
import type { RunRow } from './api';
import { rowShowsSame } from './runrow';
import { run } from './testdata/runs';

describe('rowShowsSame (the sidebar reuses a drawn row while it shows the same)', () => {
  it('reuses the row for the same run read again (a new object from the next reply)', () => {
    expect(rowShowsSame(run(), run())).toBe(true);
    expect(rowShowsSame(run(), JSON.parse(JSON.stringify(run())))).toBe(true);
  });

  it('redraws when anything the row shows changed', () => {
    const changes: Partial<RunRow>[] = [
      { run_id: '0123456789abcdeg' },
      { name: 'svm' },
      { name: null },
      { status: 'running' },
      { started_at: '2026-12-04T10:00:01Z' },
      { duration_s: 6 },
      { duration_s: 'Infinity' },
      { error_type: 'ValueError' },
      { error_message: 'bad input' },
      { stale: true },
      { stale_reason: 'X was redefined in cell 4' },
      { tags: ['baseline', 'best'] },
      { tags: [] },
      { metrics: { acc: 0.91, loss: 'NaN' } },
      { metrics: { acc: 0.9 } },
      { metrics: { loss: 'NaN', acc: 0.9 } }, // a row shows the first metrics: order is shown
      { metrics: { acc: 0.9, loss: 'NaN', f1: 0.5 } },
      { params: { n_estimators: 200, layers: [64, 32] } },
      { params: { n_estimators: 100, layers: [64, 16] } },
      { params: { n_estimators: 100 } }
    ];
    for (const change of changes) {
      expect([change, rowShowsSame(run(), run(change))]).toEqual([change, false]);
    }
  });

  it('ignores what a row does not show (the source head, notebook, cell, end time)', () => {
    const drawn = run();
    const unshown: Partial<RunRow> = {
      source_head: '%%track\nclf.fit(X2, y)',
      notebook: '/home/u/renamed.ipynb',
      notebook_path: 'renamed.ipynb',
      cell_id: 'c2',
      ended_at: '2026-12-04T10:00:06Z',
      execution_count: 4,
      experiment: 'e'
    };
    expect(rowShowsSame(drawn, run(unshown))).toBe(true);
  });
});
