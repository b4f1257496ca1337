/** One run in the sidebar's list: status, name, main metrics, stale badge, time, params. */
import { RunRow, num } from './api';
import { h } from '../shared/dom';
import { statusBadge } from './detail';
import { fmtAgo, fmtDuration, fmtNumber, fmtValue, parseTime } from './format';
import { __ } from './i18n';

/** What a row shows besides its name (the settings' "columns"). */
export type RowColumn = 'metrics' | 'started' | 'duration' | 'tags' | 'params';
export const ROW_COLUMNS: RowColumn[] = ['metrics', 'started', 'duration', 'tags', 'params'];

export interface RowOptions {
  selected: boolean;
  checked: boolean;
  now: number;
  columns: Set<RowColumn>;
  metricsShown: number;
  onCheck: (on: boolean) => void;
  onOpen: () => void;
}

/** The stale badge (issue 12): present when the read model flags the run, with its reason. */
export function staleBadge(run: { stale?: boolean | null; stale_reason?: string | null }): HTMLElement | null {
  if (!run.stale) {
    return null;
  }
  const reason = run.stale_reason || __('something this run read has changed since');
  return h('span', { class: 'nbtrack-stale', title: reason, 'data-stale-reason': reason }, __('stale'));
}

export function renderRunRow(run: RunRow, o: RowOptions): HTMLElement {
  const started = parseTime(run.started_at);
  const live = run.status === 'running' && started !== null;
  const duration = live ? (o.now - (started as number)) / 1000 : num(run.duration_s);
  const metrics = Object.entries(run.metrics);
  const params = Object.entries(run.params);
  const check = h('input', {
    type: 'checkbox',
    class: 'nbtrack-check',
    title: __('Select for comparison'),
    'aria-label': __('Select run %1 for comparison', run.run_id),
    checked: o.checked
  });
  check.addEventListener('click', ev => ev.stopPropagation());
  check.addEventListener('change', () => o.onCheck(check.checked));
  const show = (c: RowColumn) => o.columns.has(c);
  const row = h(
    'div',
    {
      class: `nbtrack-run nbtrack-run-${run.status}${o.selected ? ' nbtrack-selected' : ''}`,
      role: 'listitem',
      tabindex: 0,
      'data-run-id': run.run_id,
      'data-status': run.status,
      title: `${run.name ?? ''} ${run.run_id}`.trim()
    },
    check,
    h('span', { class: `nbtrack-dot nbtrack-status-${run.status}`, title: run.status }),
    h(
      'div',
      { class: 'nbtrack-run-main' },
      h(
        'div',
        { class: 'nbtrack-run-line' },
        h('span', { class: 'nbtrack-run-name' }, run.name ?? __('run %1', run.run_id.slice(0, 8))),
        run.name ? h('span', { class: 'nbtrack-run-id' }, run.run_id.slice(0, 8)) : null,
        staleBadge(run)
      ),
      show('metrics') && metrics.length
        ? h(
            'div',
            { class: 'nbtrack-run-metrics', title: metrics.map(([k, v]) => `${k} = ${fmtNumber(v)}`).join('\n') },
            metrics.slice(0, o.metricsShown).map(([k, v]) =>
              h('span', { class: 'nbtrack-metric', 'data-key': k }, h('span', { class: 'nbtrack-metric-key' }, k), ' ', fmtNumber(v))
            ),
            metrics.length > o.metricsShown ? h('span', { class: 'nbtrack-more-metrics' }, `+${metrics.length - o.metricsShown}`) : null
          )
        : null,
      run.error_type
        ? h('div', { class: 'nbtrack-run-error', title: run.error_message ?? '' }, `${run.error_type}: ${run.error_message ?? ''}`)
        : null,
      h(
        'div',
        { class: 'nbtrack-run-meta' },
        statusBadge(run.status),
        show('started') ? h('span', { class: 'nbtrack-started', title: run.started_at ?? '' }, fmtAgo(started, o.now)) : null,
        show('duration')
          ? h('span', { class: 'nbtrack-duration', 'data-live-start': live ? String(started) : undefined }, fmtDuration(duration))
          : null,
        show('tags') ? run.tags.map(t => h('span', { class: 'nbtrack-tag' }, t)) : null,
        show('params') && params.length
          ? h(
              'span',
              { class: 'nbtrack-params-hint', title: params.map(([k, v]) => `${k} = ${fmtValue(v)}`).join('\n') },
              params
                .slice(0, 2)
                .map(([k, v]) => `${k}=${fmtValue(v)}`)
                .join(' ')
            )
          : null
      )
    )
  );
  row.addEventListener('click', () => o.onOpen());
  row.addEventListener('keydown', ev => {
    if (ev.target !== row) {
      return;
    }
    if (ev.key === 'Enter') {
      o.onOpen();
    } else if (ev.key === ' ') {
      ev.preventDefault();
      check.checked = !check.checked;
      check.dispatchEvent(new Event('change'));
    }
  });
  return row;
}

/** Does a row drawn for `drawn` show `run` unchanged? Compares, field by field, what
 * `renderRunRow` reads and nothing else (the source head, notebook and cell are not shown), with
 * no serialisation: the list is re-read every second while a run logs, and a reused row keeps
 * the element under the mouse between mousedown and click. */
export function rowShowsSame(drawn: RunRow, run: RunRow): boolean {
  return (
    drawn === run ||
    (drawn.run_id === run.run_id &&
      drawn.name === run.name &&
      drawn.status === run.status &&
      drawn.started_at === run.started_at &&
      drawn.duration_s === run.duration_s &&
      drawn.error_type === run.error_type &&
      drawn.error_message === run.error_message &&
      drawn.stale === run.stale &&
      drawn.stale_reason === run.stale_reason &&
      sameEntries(drawn.tags, run.tags) &&
      sameEntries(drawn.metrics, run.metrics) &&
      sameEntries(drawn.params, run.params))
  );
}

/** Same keys in the same order (a row shows the first few) with the same values. */
function sameEntries(a: object, b: object): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(y);
  let i = 0;
  for (const k in x) {
    if (keys[i++] !== k || !sameValue(x[k], y[k])) {
      return false;
    }
  }
  return i === keys.length;
}

/** Params may be lists or dicts (JSON values): those are compared by their text. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b));
}
