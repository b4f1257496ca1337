import { describe, expect, it } from 'vitest';
import { sortOptions } from './toolbar';
import { run } from './testdata/runs';

describe('sortOptions (the sidebar\'s sort menu)', () => {
  it('offers time and duration, then the best of every listed metric (loss-like ones lowest first)', () => {
    const runs = [run({ metrics: { val_loss: 0.2, acc: 0.9 } }), run({ metrics: { acc: 0.8, f1: 0.7 } })];
    expect(sortOptions(runs, '-run_id')).toEqual([
      ['-run_id', 'Newest first'],
      ['run_id', 'Oldest first'],
      ['-duration_s', 'Longest first'],
      ['-metrics.acc', 'Best acc'],
      ['-metrics.f1', 'Best f1'],
      ['metrics.val_loss', 'Best val_loss']
    ]);
  });

  it('keeps the metric sorted by when no listed run has it (a search left none)', () => {
    expect(sortOptions([], '-metrics.acc').map(o => o[0])).toEqual(['-run_id', 'run_id', '-duration_s', '-metrics.acc']);
  });
});
