/**
 * "Compare": a main-area tab with the selected runs' curves overlaid (one chart per series
 * key) and a params/metrics table where rows that differ stand out and the best value of each
 * metric is marked.
 */
import { Widget } from '@lumino/widgets';

import { num } from './api';
import { Line, lineChart } from './charts';
import { Loaded, loadRuns } from './compareload';
import { Child, clear, h } from '../shared/dom';
import { statusBadge } from './detail';
import { fmtDate, fmtDuration, fmtNumber, fmtValue, lowerIsBetter, parseTime } from './format';

export class CompareView extends Widget {
  /** `notebook`: where the runs were listed (selects the store, see api.ts); `scope`:
   * 'team' when they were listed from the team store. */
  constructor(
    readonly runIds: string[],
    readonly notebook?: string,
    readonly scope?: string
  ) {
    super();
    this.addClass('nbtrack-compare');
    this.node.appendChild(h('div', { class: 'nbtrack-loading' }, `Loading ${runIds.length} runs…`));
    void this.load();
  }

  async load(): Promise<void> {
    let loaded: Loaded[];
    try {
      loaded = await loadRuns(this.runIds, { notebook: this.notebook, scope: this.scope });
    } catch (err) {
      clear(this.node);
      this.node.appendChild(h('div', { class: 'nbtrack-error' }, (err as Error).message));
      return;
    }
    this._loaded = loaded;
    this.render();
  }

  render(): void {
    const loaded = this._loaded;
    clear(this.node);
    const onlyDiff = h('input', { type: 'checkbox', checked: this._onlyDiff, class: 'nbtrack-only-diff' });
    onlyDiff.addEventListener('change', () => {
      this._onlyDiff = onlyDiff.checked;
      this.render();
    });
    this.node.appendChild(
      h(
        'div',
        { class: 'nbtrack-compare-head' },
        h('h2', {}, `Comparing ${loaded.length} runs`),
        h(
          'div',
          { class: 'nbtrack-legend' },
          loaded.map(l =>
            h(
              'span',
              { class: 'nbtrack-legend-item', title: l.run.run_id },
              h('span', { class: 'nbtrack-swatch', style: `background:${l.color}` }),
              l.run.name ?? l.run.run_id.slice(0, 8),
              ' ',
              h('code', {}, l.run.run_id.slice(0, 8))
            )
          )
        )
      )
    );
    // Curves: one chart per series key, each run a colour.
    const keys = Array.from(new Set(loaded.flatMap(l => Object.keys(l.series?.series ?? {})))).sort();
    const charts = h('div', { class: 'nbtrack-charts' });
    for (const key of keys) {
      const lines: Line[] = [];
      for (const l of loaded) {
        const s = l.series?.series[key];
        if (s) {
          lines.push({ label: `${l.run.name ?? l.run.run_id.slice(0, 8)} (${l.run.run_id.slice(0, 8)})`, color: l.color, steps: s.steps, values: s.values });
        }
      }
      charts.appendChild(h('div', { class: 'nbtrack-chart-box', 'data-key': key }, lineChart(key, lines)));
    }
    if (keys.length) {
      this.node.appendChild(h('h3', {}, 'Curves'));
      this.node.appendChild(charts);
    }
    // Table: runs as columns.
    const rows: { section: string; label: string; values: unknown[]; metric?: boolean; display?: Child[] }[] = [];
    rows.push({ section: 'Run', label: 'status', values: loaded.map(l => l.run.status), display: loaded.map(l => statusBadge(l.run.status)) });
    rows.push({ section: 'Run', label: 'started', values: loaded.map(l => fmtDate(parseTime(l.run.started_at))) });
    rows.push({ section: 'Run', label: 'duration', values: loaded.map(l => fmtDuration(num(l.run.duration_s))) });
    rows.push({ section: 'Run', label: 'notebook', values: loaded.map(l => l.run.notebook_path ?? l.run.notebook ?? '—') });
    rows.push({ section: 'Run', label: 'experiment', values: loaded.map(l => l.run.experiment ?? '—') });
    const paramKeys = Array.from(new Set(loaded.flatMap(l => Object.keys(l.run.params)))).sort();
    for (const k of paramKeys) {
      rows.push({ section: 'Params', label: k, values: loaded.map(l => (k in l.run.params ? l.run.params[k] : undefined)) });
    }
    const metricKeys = Array.from(new Set(loaded.flatMap(l => Object.keys(l.run.metrics)))).sort();
    for (const k of metricKeys) {
      rows.push({ section: 'Metrics', label: k, metric: true, values: loaded.map(l => (k in l.run.metrics ? l.run.metrics[k] : undefined)) });
    }
    const inputKeys = Array.from(new Set(loaded.flatMap(l => Object.keys(l.run.inputs)))).sort();
    for (const k of inputKeys) {
      rows.push({
        section: 'Inputs',
        label: k,
        values: loaded.map(l => {
          const v = l.run.inputs[k];
          return v ? v.value ?? `${v.type ?? ''} ${v.shape ?? ''} #${(v.fingerprint ?? '').slice(0, 10)}`.trim() : undefined;
        })
      });
    }
    const table = h(
      'table',
      { class: 'nbtrack-compare-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, ''),
          loaded.map(l =>
            h('th', { title: l.run.run_id }, h('span', { class: 'nbtrack-swatch', style: `background:${l.color}` }), l.run.name ?? l.run.run_id.slice(0, 8))
          )
        )
      )
    );
    const body = h('tbody', {});
    let section = '';
    let differing = 0;
    for (const row of rows) {
      const texts = row.values.map(v => (v === undefined ? '—' : row.metric ? fmtNumber(v) : fmtValue(v)));
      const differs = new Set(row.values.map(v => JSON.stringify(v ?? null))).size > 1;
      if (differs) {
        differing++;
      }
      if (this._onlyDiff && !differs && row.section !== 'Run') {
        continue;
      }
      if (row.section !== section) {
        section = row.section;
        body.appendChild(h('tr', { class: 'nbtrack-section-row' }, h('th', { colspan: loaded.length + 1 }, section)));
      }
      let best = -1;
      if (row.metric) {
        const nums = row.values.map(v => num(v));
        const lower = lowerIsBetter(row.label);
        nums.forEach((n, i) => {
          if (n !== null && Number.isFinite(n) && (best < 0 || (lower ? n < (nums[best] as number) : n > (nums[best] as number)))) {
            best = i;
          }
        });
        if (!differs) {
          best = -1;
        }
      }
      body.appendChild(
        h(
          'tr',
          { class: differs ? 'nbtrack-differs' : '' },
          h('th', {}, row.label),
          texts.map((t, i) =>
            h('td', { class: i === best ? 'nbtrack-best' : '', title: i === best ? 'best' : undefined }, row.display ? row.display[i] : t)
          )
        )
      );
    }
    table.appendChild(body);
    this.node.appendChild(
      h(
        'div',
        { class: 'nbtrack-compare-tablehead' },
        h('h3', {}, 'Parameters and metrics'),
        h('label', {}, onlyDiff, `Only differences (${differing})`)
      )
    );
    this.node.appendChild(table);
  }

  private _loaded: Loaded[] = [];
  private _onlyDiff = false;
}
