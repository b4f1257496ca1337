import { describe, expect, it } from 'vitest';
import { groupKey, groupRuns } from './runlist';
import { run } from './testdata/runs';

describe('groupRuns (the sidebar lists runs grouped by cell)', () => {
  it('groups a notebook\'s runs by cell, groups in the order of their first run', () => {
    const runs = [
      run({ run_id: 'r4', cell_id: 'b' }),
      run({ run_id: 'r3', cell_id: 'a' }),
      run({ run_id: 'r2', cell_id: 'b' }),
      run({ run_id: 'r1', cell_id: null })
    ];
    const groups = groupRuns(runs, 'notebook');
    expect(Array.from(groups.keys())).toEqual(['b', 'a', '(no cell)']);
    expect(groups.get('b')!.map(r => r.run_id)).toEqual(['r4', 'r2']);
  });

  it('keeps the same cell id of two notebooks apart outside the notebook scope', () => {
    const one = run({ cell_id: 'a', notebook_path: 'one.ipynb' });
    const two = run({ cell_id: 'a', notebook_path: 'two.ipynb' });
    const outside = run({ cell_id: 'a', notebook: '/elsewhere/x.ipynb', notebook_path: null });
    for (const scope of ['all', 'team'] as const) {
      expect(groupRuns([one, two, outside], scope).size).toBe(3);
      expect(groupKey(outside, scope)).toBe('/elsewhere/x.ipynb\u0000a');
    }
    expect(groupRuns([one, two], 'notebook').size).toBe(1);
  });
});
