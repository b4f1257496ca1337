import { describe, expect, it } from 'vitest';
import { loadRuns } from './compareload';

describe('loadRuns (the compare tab\'s requests)', () => {
  const detail = (id: string) => ({ run_id: id, series_keys: { loss: 3 } });

  function recorder() {
    const calls: [string, Record<string, unknown>][] = [];
    const request = async <T,>(path: string, params: Record<string, unknown>): Promise<T> => {
      calls.push([path, params]);
      const id = decodeURIComponent(path.split('/')[1]);
      return (path.endsWith('/series') ? { run_id: id, series: {} } : detail(id)) as T;
    };
    return { calls, request };
  }

  it('asks the team store for runs listed with the Team toggle on: details and curves', async () => {
    const { calls, request } = recorder();
    const loaded = await loadRuns(['a', 'b'], { scope: 'team' }, request);
    expect(loaded.map(l => l.run.run_id)).toEqual(['a', 'b']);
    expect(calls.map(c => c[0]).sort()).toEqual(['runs/a', 'runs/a/series', 'runs/b', 'runs/b/series']);
    for (const [, params] of calls) {
      expect(params.scope).toBe('team');
    }
  });

  it('asks the notebook\'s local store otherwise (no scope sent)', async () => {
    const { calls, request } = recorder();
    await loadRuns(['a'], { notebook: 'nb/x.ipynb' }, request);
    expect(calls).toEqual([
      ['runs/a', { notebook: 'nb/x.ipynb', scope: undefined }],
      ['runs/a/series', { notebook: 'nb/x.ipynb', scope: undefined, points: 1000 }]
    ]);
  });
});
