/**
 * The grouped run list: one group per cell (per notebook and cell outside the notebook scope),
 * in the order of each group's first run, under a header that collapses it; the empty state;
 * "Show more". Rows and headers are reused while what they show is unchanged, so a refresh
 * (every second while a run logs) does not replace the element under the mouse between
 * mousedown and click.
 */
import { Child, clear, h } from '../shared/dom';
import type { RunRow } from './api';
import { cellTitle } from './format';
import { __ } from './i18n';
import type { RunsModel, Scope } from './model';
import { RowColumn, renderRunRow, rowShowsSame } from './runrow';
import { emptyMessage, renderEmpty } from './states';

/** A cell of the active notebook: its position and title. */
export interface CellInfo {
  index: number;
  title: string;
}

export interface RunListOptions {
  /** The active notebook's cells by id (empty outside the notebook scope). */
  cells(): Map<string, CellInfo>;
  /** What a row shows (the settings). */
  rowSettings(): { columns: RowColumn[]; metricsShown: number };
  onOpen(runId: string): void;
}

const NO_CELL = '(no cell)';

/** The group a run is listed in. */
export function groupKey(run: RunRow, scope: Scope): string {
  return scope === 'notebook' ? run.cell_id ?? NO_CELL : `${run.notebook_path ?? run.notebook ?? ''}\u0000${run.cell_id ?? NO_CELL}`;
}

/** The runs by group, groups in the order of their first run, runs in the list's order. */
export function groupRuns(runs: RunRow[], scope: Scope): Map<string, RunRow[]> {
  const groups = new Map<string, RunRow[]>();
  for (const run of runs) {
    const key = groupKey(run, scope);
    const list = groups.get(key);
    if (list) {
      list.push(run);
    } else {
      groups.set(key, [run]);
    }
  }
  return groups;
}

interface DrawnRow {
  run: RunRow;
  /** selection, check and the 30 s step of the "ago" text when it was drawn */
  sig: string;
  el: HTMLElement;
}

export class RunList {
  constructor(model: RunsModel, options: RunListOptions) {
    this._model = model;
    this._options = options;
  }

  readonly node = h('div', { class: 'nbtrack-list', role: 'list' });

  /** Draw rows afresh next time (the settings changed what a row shows). */
  forgetRows(): void {
    this._rows.clear();
  }

  render(): void {
    const m = this._model;
    const scroll = this.node.scrollTop;
    clear(this.node);
    const cells = this._options.cells();
    const empty = emptyMessage(m);
    if (empty) {
      this.node.appendChild(renderEmpty(empty));
    }
    const rows = new Map<string, DrawnRow>();
    const heads = new Map<string, { sig: string; el: HTMLElement }>();
    for (const [key, runs] of groupRuns(m.runs, m.scope)) {
      this.node.appendChild(this._renderGroup(key, runs, cells, rows, heads));
    }
    this._rows = rows;
    this._heads = heads;
    if (m.runs.length < m.total) {
      const more = h('button', { class: 'jp-Button nbtrack-more' }, __('Show more (%1 older)', m.total - m.runs.length));
      more.addEventListener('click', () => m.showMore());
      this.node.appendChild(more);
    }
    this.node.scrollTop = scroll;
  }

  private _renderGroup(
    key: string,
    runs: RunRow[],
    cells: Map<string, CellInfo>,
    rows: Map<string, DrawnRow>,
    heads: Map<string, { sig: string; el: HTMLElement }>
  ): HTMLElement {
    const first = runs[0];
    const info = first.cell_id ? cells.get(first.cell_id) : undefined;
    const title = info ? info.title : cellTitle(first.source_head);
    const collapsed = this._collapsed.has(key);
    const scope = this._model.scope;
    const headSig = [key, title, collapsed, runs.length, scope, info?.index ?? null, first.notebook_path, first.notebook].join('\u0001');
    const drawn = this._heads.get(key);
    const header = drawn?.sig === headSig ? drawn.el : this._renderGroupHead(key, title, collapsed, groupBadge(first, info, scope), runs.length);
    heads.set(key, { sig: headSig, el: header });
    const group = h('div', { class: 'nbtrack-group', 'data-cell-id': first.cell_id ?? '' }, header);
    if (!collapsed) {
      for (const run of runs) {
        group.appendChild(this._row(run, rows));
      }
    }
    return group;
  }

  private _renderGroupHead(key: string, title: string, collapsed: boolean, badge: Child, count: number): HTMLElement {
    const header = h(
      'div',
      {
        class: 'nbtrack-group-head',
        role: 'button',
        tabindex: 0,
        'aria-expanded': String(!collapsed),
        title: `${title}\n(click to ${collapsed ? 'expand' : 'collapse'})`
      },
      h('span', { class: 'nbtrack-twisty' }, collapsed ? '▸' : '▾'),
      h('span', { class: 'nbtrack-group-title' }, title),
      badge,
      h('span', { class: 'nbtrack-count' }, String(count))
    );
    const toggle = () => {
      if (this._collapsed.has(key)) {
        this._collapsed.delete(key);
      } else {
        this._collapsed.add(key);
      }
      this.render();
    };
    header.addEventListener('click', toggle);
    header.addEventListener('keydown', ev => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        toggle();
      }
    });
    return header;
  }

  /** The row of `run`: the one drawn last time when it shows the same, else a new one. */
  private _row(run: RunRow, rows: Map<string, DrawnRow>): HTMLElement {
    const m = this._model;
    const now = Date.now() + m.skew;
    const selected = m.selected === run.run_id;
    const checked = m.checked.has(run.run_id);
    const sig = [selected, checked, Math.floor(now / 30000)].join();
    const drawn = this._rows.get(run.run_id);
    let el: HTMLElement;
    if (drawn && drawn.sig === sig && rowShowsSame(drawn.run, run)) {
      el = drawn.el;
    } else {
      const settings = this._options.rowSettings();
      el = renderRunRow(run, {
        selected,
        checked,
        now,
        columns: new Set(settings.columns),
        metricsShown: settings.metricsShown,
        onCheck: on => m.setChecked(run.run_id, on),
        onOpen: () => this._options.onOpen(run.run_id)
      });
    }
    rows.set(run.run_id, { run, sig, el });
    return el;
  }

  private readonly _model: RunsModel;
  private readonly _options: RunListOptions;
  private readonly _collapsed = new Set<string>();
  private _rows = new Map<string, DrawnRow>();
  private _heads = new Map<string, { sig: string; el: HTMLElement }>();
}

/** Where the group's cell is: its position in the notebook (or "deleted cell"), or, outside
 * the notebook scope, its notebook. */
function groupBadge(first: RunRow, info: CellInfo | undefined, scope: Scope): HTMLElement {
  if (scope !== 'notebook') {
    return h('span', { class: 'nbtrack-cell-badge', title: first.notebook ?? '' }, first.notebook_path ?? first.notebook ?? __('no notebook'));
  }
  return info
    ? h('span', { class: 'nbtrack-cell-badge', title: __('Position of the cell in the notebook') }, __('cell %1', info.index + 1))
    : h('span', { class: 'nbtrack-cell-badge nbtrack-gone', title: __('This cell is no longer in the notebook') }, __('deleted cell'));
}
