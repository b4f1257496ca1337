/**
 * The one way the front end talks to the nbtrack server extension (<base_url>/nbtrack/api/).
 * Requests about a notebook pass `notebook` (its path): the server then reads the store a
 * kernel of that notebook uses (a sub-folder may have its own `.nbtrack/`).
 *
 * Numbers that are NaN or infinite arrive as the strings "NaN", "Infinity", "-Infinity"
 * (see server/handlers.py); `num()` reads them back. Timestamps are ISO 8601 UTC strings.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { Num, RequestError, num } from '../shared/protocol';

export { num };
export type { Num };

export interface RunRow {
  run_id: string;
  name: string | null;
  experiment: string | null;
  notebook: string | null;
  /** The notebook's path relative to the server root, when it is under it. */
  notebook_path: string | null;
  cell_id: string | null;
  status: string;
  started_at: string | null;
  ended_at: string | null;
  duration_s: Num | null;
  tags: string[];
  execution_count: number | null;
  error_type: string | null;
  error_message: string | null;
  source_head: string | null;
  params: Record<string, unknown>;
  metrics: Record<string, Num>;
  /** Set by the read model when something the run read changed since (issue 12). */
  stale?: boolean | null;
  stale_reason?: string | null;
}

export interface RunsReply {
  runs: RunRow[];
  total: number;
  limit: number;
  offset: number;
  now: string;
}

export interface RunDetail extends RunRow {
  source: string | null;
  inputs: Record<string, { type?: string; shape?: string; fingerprint?: string; value?: string }>;
  outputs: Record<string, { type?: string; shape?: string; summary?: string }>;
  artifacts: { name: string; mime: string; size: number }[];
  error: { type: string; message: string; traceback: string } | null;
  context: Record<string, unknown>;
  series_keys: Record<string, number>;
  stdout: string | null;
  now: string;
}

export interface SeriesReply {
  run_id: string;
  series: Record<string, { steps: Num[]; values: Num[] }>;
}

/** A failed request to the server extension (`status` 0: the server cannot be reached). */
export class APIError extends RequestError {
  constructor(status: number, message: string) {
    super(message, status);
  }
}

type Params = Record<string, string | number | string[] | undefined | null>;

/** POST to a route (replay, export): the same errors as `requestAPI`. */
export function postAPI<T>(path: string, params: Params = {}): Promise<T> {
  return requestAPI<T>(path, params, 'POST');
}

export async function requestAPI<T>(path: string, params: Params = {}, method: 'GET' | 'POST' = 'GET'): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item !== undefined && item !== null && item !== '') {
        query.append(k, String(item));
      }
    }
  }
  const qs = query.toString();
  const url = URLExt.join(settings.baseUrl, 'nbtrack', 'api', path) + (qs ? `?${qs}` : '');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, { method }, settings);
  } catch (err) {
    throw new APIError(0, `nbtrack: the Jupyter server cannot be reached (${String(err)})`);
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message =
      data && typeof (data as { message?: unknown }).message === 'string'
        ? (data as { message: string }).message
        : response.status === 404 && !data
          ? 'nbtrack: the server extension is not enabled (jupyter server extension enable nbtrack)'
          : `nbtrack: request failed (${response.status} ${response.statusText})`;
    throw new APIError(response.status, message);
  }
  return data as T;
}

export function runPath(runId: string, ...rest: string[]): string {
  return ['runs', encodeURIComponent(runId), ...rest].join('/');
}

/** The bytes of a run's artifact (e.g. a figure) as a Blob. */
export async function requestBlob(path: string, notebook?: string): Promise<Blob> {
  const settings = ServerConnection.makeSettings();
  const qs = notebook ? `?${new URLSearchParams({ notebook }).toString()}` : '';
  const url = URLExt.join(settings.baseUrl, 'nbtrack', 'api', path) + qs;
  const response = await ServerConnection.makeRequest(url, { method: 'GET' }, settings);
  if (!response.ok) {
    throw new APIError(response.status, `nbtrack: cannot load ${path} (${response.status})`);
  }
  return response.blob();
}
