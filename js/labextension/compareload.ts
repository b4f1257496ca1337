/**
 * What the compare tab loads: each run's detail and curves, from the store the runs were
 * listed from (apart from the view, so it can be tested without a DOM).
 */
import { RunDetail, SeriesReply, requestAPI, runPath } from './api';
import { PALETTE } from './charts';

export interface Loaded {
  run: RunDetail;
  series: SeriesReply | null;
  color: string;
}

type Request = <T>(path: string, params: Record<string, string | number | undefined>) => Promise<T>;

/** Each run's detail and curves, asked of the store the runs were listed from: `notebook`
 * selects the local store, `scope` 'team' the team store (the sidebar's Team toggle). */
export async function loadRuns(
  runIds: string[],
  where: { notebook?: string; scope?: string },
  request: Request = requestAPI
): Promise<Loaded[]> {
  const params = { notebook: where.notebook, scope: where.scope === 'team' ? 'team' : undefined };
  return Promise.all(
    runIds.map(async (id, i) => {
      const run = await request<RunDetail>(runPath(id), params);
      const series = Object.keys(run.series_keys).length
        ? await request<SeriesReply>(runPath(run.run_id, 'series'), { ...params, points: 1000 })
        : null;
      return { run, series, color: PALETTE[i % PALETTE.length] };
    })
  );
}

