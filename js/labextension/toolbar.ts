/**
 * The top of the panel: the title bar (the "All runs" and "Team" switches, refresh), the search
 * box (a word search or filters, sent 250 ms after the last key) and the status row (the status
 * line and the sort menu). It says what the user asked for through its callbacks; the panel
 * passes that to the model.
 */
import { clear, h } from '../shared/dom';
import type { RunRow } from './api';
import { lowerIsBetter } from './format';
import { __ } from './i18n';
import type { Scope } from './model';
import { ListState, renderStatusLine, statusLine } from './states';

export interface ToolbarOptions {
  onScope(scope: Scope): void;
  onRefresh(): void;
  onQuery(query: string): void;
  onSort(sort: string): void;
}

const SEARCH_DELAY_MS = 250;

/** The sort menu's choices (value, label): time and duration, then "Best <metric>" for every
 * metric of the listed runs (and the one sorted by, even when no listed run has it). */
export function sortOptions(runs: RunRow[], sort: string): [string, string][] {
  const keys = new Set<string>();
  for (const run of runs) {
    Object.keys(run.metrics).forEach(k => keys.add(k));
  }
  const current = sort.replace(/^[-+]/, '');
  if (current.startsWith('metrics.')) {
    keys.add(current.slice('metrics.'.length));
  }
  return [
    ['-run_id', __('Newest first')],
    ['run_id', __('Oldest first')],
    ['-duration_s', __('Longest first')],
    ...Array.from(keys)
      .sort()
      .map(k => [`${lowerIsBetter(k) ? '' : '-'}metrics.${k}`, __('Best %1', k)] as [string, string])
  ];
}

export class Toolbar {
  constructor(options: ToolbarOptions) {
    this._allSwitch = h('input', { type: 'checkbox', class: 'nbtrack-all-switch', 'aria-label': __('Show all runs of the store') });
    this._teamSwitch = h('input', { type: 'checkbox', class: 'nbtrack-team-switch', 'aria-label': __('Show the team store\'s runs') });
    this._allSwitch.addEventListener('change', () => options.onScope(this._allSwitch.checked ? 'all' : 'notebook'));
    this._teamSwitch.addEventListener('change', () =>
      options.onScope(this._teamSwitch.checked ? 'team' : this._allSwitch.checked ? 'all' : 'notebook')
    );
    const refreshButton = h('button', { class: 'nbtrack-icon-button', title: __('Refresh'), 'aria-label': __('Refresh') }, '⟳');
    refreshButton.addEventListener('click', () => options.onRefresh());
    const search = h('input', {
      type: 'search',
      class: 'nbtrack-search jp-mod-styled',
      placeholder: __('Search, or filter: metrics.acc > 0.9'),
      title: __(
        'Words match the name, tags, id, experiment, notebook, status or code of a run.\n' +
          'Filters: COLUMN OPERATOR VALUE, e.g. metrics.accuracy > 0.9, params.model == rf,\n' +
          'status == failed, tags contains baseline; join several with "and".'
      ),
      'aria-label': __('Search runs')
    });
    search.addEventListener('input', () => {
      window.clearTimeout(this._searchTimer);
      this._searchTimer = window.setTimeout(() => options.onQuery(search.value), SEARCH_DELAY_MS);
    });
    this._sortSelect = h('select', { class: 'nbtrack-sort', 'aria-label': __('Sort runs'), title: __('Order of runs (groups follow their first run)') });
    this._sortSelect.addEventListener('change', () => options.onSort(this._sortSelect.value));
    this._status = h('div', { class: 'nbtrack-statusline', role: 'status' });
    this.nodes = [
      h(
        'div',
        { class: 'nbtrack-toolbar' },
        h('span', { class: 'nbtrack-title' }, __('nbtrack runs')),
        h('label', { class: 'nbtrack-switch', title: __('Show the runs of every notebook in the store') }, this._allSwitch, __('All runs')),
        h('label', { class: 'nbtrack-switch', title: __('Show the runs of the team store (PostgreSQL)') }, this._teamSwitch, __('Team')),
        refreshButton
      ),
      search,
      h('div', { class: 'nbtrack-statusrow' }, this._status, this._sortSelect)
    ];
  }

  /** The title bar, the search box and the status row, in this order. */
  readonly nodes: HTMLElement[];

  /** The switches show the scope (the team scope has no "all runs" of its own). */
  showScope(scope: Scope): void {
    this._teamSwitch.checked = scope === 'team';
    this._allSwitch.checked = scope === 'all';
    this._allSwitch.disabled = scope === 'team';
  }

  /** The status line and the sort menu for the model's current list. */
  render(m: ListState & { sort: string }): void {
    renderStatusLine(this._status, statusLine(m));
    const options = sortOptions(m.runs, m.sort);
    // rebuilt only when the choices change, so an open menu is not replaced under the mouse
    const signature = options.map(o => o[0]).join('\n');
    if (signature !== this._sortSignature) {
      this._sortSignature = signature;
      clear(this._sortSelect);
      for (const [value, label] of options) {
        this._sortSelect.appendChild(h('option', { value }, label));
      }
    }
    this._sortSelect.value = m.sort;
  }

  private readonly _allSwitch: HTMLInputElement;
  private readonly _teamSwitch: HTMLInputElement;
  private readonly _sortSelect: HTMLSelectElement;
  private readonly _status: HTMLDivElement;
  private _searchTimer = 0;
  private _sortSignature = '';
}
