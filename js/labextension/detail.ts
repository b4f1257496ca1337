/** The detail of one run: actions, then params, metrics (with sparklines), inputs, outputs,
 * error, source, printed output, artifacts and context. Everything is rendered as text. */
import { RunDetail, SeriesReply, num, requestBlob, runPath } from './api';
import { PALETTE, sparkline } from './charts';
import { Child, h } from '../shared/dom';
import { fmtDate, fmtDuration, fmtNumber, fmtValue, parseTime } from './format';
import { __ } from './i18n';

export interface DetailActions {
  goToCell(run: RunDetail): void;
  copyId(run: RunDetail, button: HTMLButtonElement): void;
  restore(run: RunDetail): void;
  /** null: not offered (e.g. for the team store's runs). */
  replay: ((run: RunDetail) => void) | null;
  exportNotebook: ((run: RunDetail) => void) | null;
  close(): void;
}

function table(rows: Child[][], head?: string[]): HTMLTableElement {
  return h(
    'table',
    { class: 'nbtrack-kv' },
    head ? h('thead', {}, h('tr', {}, head.map(c => h('th', {}, c)))) : null,
    h('tbody', {}, rows.map(r => h('tr', {}, r.map(c => h('td', {}, c)))))
  );
}

/** A section's title in the user's language (`name` stays the key its open/closed state is kept
 * under); literal `__()` calls so that the strings can be extracted for translation. */
function sectionTitle(name: string): string {
  switch (name) {
    case 'Params': return __('Params');
    case 'Metrics': return __('Metrics');
    case 'Inputs': return __('Inputs');
    case 'Outputs': return __('Outputs');
    case 'Source': return __('Source');
    case 'Printed output': return __('Printed output');
    case 'Figures': return __('Figures');
    case 'Artifacts': return __('Artifacts');
    case 'Context': return __('Context');
    default: return name;
  }
}

function section(
  name: string,
  count: number | null,
  closed: Set<string>,
  ...body: Child[]
): HTMLDetailsElement {
  const el = h(
    'details',
    { class: 'nbtrack-section', 'data-section': name, open: !closed.has(name) },
    h('summary', {}, sectionTitle(name), count !== null ? h('span', { class: 'nbtrack-count' }, String(count)) : null),
    ...body
  );
  el.addEventListener('toggle', () => {
    if (el.open) {
      closed.delete(name);
    } else {
      closed.add(name);
    }
  });
  return el;
}

function contextValue(v: unknown): string {
  if (v === null || v === undefined) {
    return '—';
  }
  if (typeof v === 'object') {
    return JSON.stringify(v, null, 1);
  }
  return fmtValue(v);
}

const IMAGE_MIMES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/svg+xml']);

/** An <img> of an artifact, loaded with the session's credentials. As an <img>, an SVG never
 * runs script; the server also serves artifacts under a sandboxing CSP. */
function artifactImage(runId: string, name: string, notebook?: string): HTMLElement {
  const img = h('img', { class: 'nbtrack-figure', alt: name, title: name });
  requestBlob(runPath(runId, 'artifacts', encodeURIComponent(name)), notebook)
    .then(blob => {
      const url = URL.createObjectURL(blob);
      img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
      img.addEventListener('error', () => URL.revokeObjectURL(url), { once: true });
      img.src = url;
    })
    .catch(() => img.replaceWith(h('div', { class: 'nbtrack-empty' }, `${name}: cannot be loaded`)));
  return img;
}

function fmtBytes(n: number): string {
  if (n < 1024) {
    return `${n} B`;
  }
  if (n < 1024 * 1024) {
    return `${(n / 1024).toFixed(1)} KB`;
  }
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function statusBadge(status: string): HTMLSpanElement {
  return h('span', { class: `nbtrack-badge nbtrack-status-${status}`, title: __('status: %1', status) }, status);
}

export function renderDetail(
  run: RunDetail,
  series: SeriesReply | null,
  actions: DetailActions,
  closed: Set<string>,
  skewMs: number,
  notebook?: string,
  stale: HTMLElement | null = null
): HTMLElement {
  const started = parseTime(run.started_at);
  const duration =
    run.status === 'running' && started !== null
      ? (Date.now() + skewMs - started) / 1000
      : num(run.duration_s);
  const goto = h(
    'button',
    {
      class: 'jp-Button nbtrack-action',
      title: run.cell_id ? __('Open the notebook and select the cell that made this run') : __('This run has no cell id'),
      disabled: !run.cell_id || !run.notebook_path,
      'data-action': 'goto'
    },
    __('Go to cell')
  );
  goto.addEventListener('click', () => actions.goToCell(run));
  const copy = h('button', { class: 'jp-Button nbtrack-action', 'data-action': 'copy' }, __('Copy run id'));
  copy.addEventListener('click', () => actions.copyId(run, copy));
  const restore = h(
    'button',
    {
      class: 'jp-Button nbtrack-action',
      title: __('Insert a %%track cell with this run\'s code and parameters below the active cell'),
      'data-action': 'restore'
    },
    __('Restore as new cell')
  );
  restore.addEventListener('click', () => actions.restore(run));
  const replay = actions.replay
    ? h('button', {
        class: 'jp-Button nbtrack-action',
        title: __('Re-run the cells this run needs in a fresh kernel and compare the result'),
        'data-action': 'replay'
      }, __('Replay'))
    : null;
  replay?.addEventListener('click', () => actions.replay?.(run));
  const exportNb = actions.exportNotebook
    ? h('button', {
        class: 'jp-Button nbtrack-action',
        title: __('Write the cells this run needs as a new notebook and open it'),
        'data-action': 'export'
      }, __('Export as notebook'))
    : null;
  exportNb?.addEventListener('click', () => actions.exportNotebook?.(run));
  const close = h('button', { class: 'nbtrack-close', title: __('Close the run detail'), 'aria-label': __('Close') }, '×');
  close.addEventListener('click', () => actions.close());

  const meta: Child[][] = [
    ['run id', h('code', {}, run.run_id)],
    ['status', statusBadge(run.status)],
    ['started', fmtDate(started)],
    [run.status === 'running' ? 'running for' : 'duration', h('span', {
      class: 'nbtrack-duration',
      'data-live-start': run.status === 'running' && started !== null ? String(started) : undefined
    }, fmtDuration(duration))],
    ['notebook', run.notebook_path ?? run.notebook ?? '—'],
    ['cell', run.cell_id ?? '—'],
    ['experiment', run.experiment ?? '—']
  ];
  if (run.tags.length) {
    meta.push(['tags', h('span', {}, run.tags.map(t => h('span', { class: 'nbtrack-tag' }, t)))]);
  }

  const params = Object.entries(run.params);
  const metricKeys = Array.from(new Set([...Object.keys(run.metrics), ...Object.keys(run.series_keys)])).sort();
  const inputs = Object.entries(run.inputs);
  const outputs = Object.entries(run.outputs);
  const ctx = Object.entries(run.context);

  const parts: Child[] = [
    h(
      'div',
      { class: 'nbtrack-detail-head' },
      h('div', { class: 'nbtrack-detail-title' }, run.name ?? `run ${run.run_id.slice(0, 8)}`),
      close
    ),
    h('div', { class: 'nbtrack-actions' }, goto, copy, restore, replay, exportNb),
    stale ? h('div', { class: 'nbtrack-stale-line' }, stale, ' ', run.stale_reason ?? '') : null,
    table(meta)
  ];
  if (run.error) {
    parts.push(
      section(
        'Error',
        null,
        closed,
        h('div', { class: 'nbtrack-error-line' }, `${run.error.type}: ${run.error.message}`),
        h('pre', { class: 'nbtrack-pre nbtrack-traceback' }, run.error.traceback ?? '')
      )
    );
  }
  parts.push(
    section('Params', params.length, closed,
      params.length ? table(params.map(([k, v]) => [h('code', {}, k), fmtValue(v)])) : h('div', { class: 'nbtrack-empty' }, __('No parameters')))
  );
  parts.push(
    section('Metrics', metricKeys.length, closed,
      metricKeys.length
        ? table(
            metricKeys.map((k, i) => {
              const s = series?.series[k];
              return [
                h('code', {}, k),
                h('span', { class: 'nbtrack-num' }, k in run.metrics ? fmtNumber(run.metrics[k]) : '—'),
                s && s.values.length > 1
                  ? sparkline({ label: k, color: PALETTE[i % PALETTE.length], steps: s.steps, values: s.values })
                  : run.series_keys[k] ? `${run.series_keys[k]} point` : ''
              ];
            })
          )
        : h('div', { class: 'nbtrack-empty' }, run.status === 'running' ? __('No metrics yet') : __('No metrics')))
  );
  if (inputs.length) {
    parts.push(
      section('Inputs', inputs.length, closed,
        table(inputs.map(([name, v]) => [h('code', {}, name), v.type ?? '', v.shape ?? '', v.value ?? (v.fingerprint ? `#${v.fingerprint.slice(0, 12)}` : '')]),
          ['name', 'type', 'shape', 'value / fingerprint']))
    );
  }
  if (outputs.length) {
    parts.push(
      section('Outputs', outputs.length, closed,
        table(outputs.map(([name, v]) => [h('code', {}, name), v.type ?? '', v.shape ?? '', v.summary ?? '']),
          ['name', 'type', 'shape', 'summary']))
    );
  }
  parts.push(section('Source', null, closed, h('pre', { class: 'nbtrack-pre nbtrack-source' }, run.source ?? '')));
  if (run.stdout) {
    parts.push(section('Printed output', null, closed, h('pre', { class: 'nbtrack-pre' }, run.stdout)));
  }
  const images = run.artifacts.filter(a => IMAGE_MIMES.has(a.mime));
  if (images.length) {
    parts.push(
      section('Figures', images.length, closed,
        h('div', { class: 'nbtrack-figures' }, images.map(a => artifactImage(run.run_id, a.name, notebook))))
    );
  }
  if (run.artifacts.length) {
    parts.push(
      section('Artifacts', run.artifacts.length, closed,
        table(run.artifacts.map(a => [a.name, a.mime, fmtBytes(a.size)])))
    );
  }
  parts.push(
    section('Context', ctx.length, closed,
      table(ctx.map(([k, v]) => [h('code', {}, k), h('span', { class: 'nbtrack-ctx' }, contextValue(v))])))
  );
  return h('div', { class: 'nbtrack-detail-body', 'data-run-id': run.run_id }, ...parts);
}
