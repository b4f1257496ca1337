/**
 * The open run's detail under the list: loads the run and its series (a later request wins
 * over an earlier one still on its way), keeps it current while the run runs or when its status
 * moves, and closes. What it shows is `renderDetail` (detail.ts).
 */
import { RunDetail, SeriesReply, requestAPI, runPath } from './api';
import { clear, h } from '../shared/dom';
import { DetailActions, renderDetail } from './detail';
import { __ } from './i18n';
import type { RunsModel } from './model';
import { staleBadge } from './runrow';

const SERIES_POINTS = 200;

export class DetailPane {
  /** `actions`: asked at each draw (the replay and export are not offered for the team store). */
  constructor(model: RunsModel, actions: () => DetailActions) {
    this._model = model;
    this._actions = actions;
  }

  readonly node = h('div', { class: 'nbtrack-detail' });

  /** The run shown (null: none). */
  get run(): RunDetail | null {
    return this._run;
  }

  /** The list was read again: re-read the shown run when it runs or its status moved. */
  listChanged(): void {
    const selected = this._model.selected;
    if (selected && this._run) {
      const row = this._model.runs.find(r => r.run_id === selected);
      if (row && (row.status === 'running' || row.status !== this._run.status)) {
        void this.load(selected, false);
      }
    }
  }

  async load(runId: string, scrollTop: boolean): Promise<void> {
    const generation = ++this._generation;
    if (scrollTop || !this._run || this._run.run_id !== runId) {
      clear(this.node);
      this.node.classList.add('nbtrack-visible');
      this.node.appendChild(h('div', { class: 'nbtrack-loading' }, __('Loading run…')));
    }
    let run: RunDetail;
    let series: SeriesReply | null = null;
    const params = this._model.params();
    try {
      run = await requestAPI<RunDetail>(runPath(runId), params);
      if (Object.keys(run.series_keys).length) {
        series = await requestAPI<SeriesReply>(runPath(run.run_id, 'series'), { ...params, points: SERIES_POINTS });
      }
    } catch (err) {
      if (generation === this._generation) {
        clear(this.node);
        this.node.appendChild(h('div', { class: 'nbtrack-error' }, (err as Error).message));
      }
      return;
    }
    if (generation !== this._generation || this._model.selected !== runId) {
      return;
    }
    // the list row knows whether the run is stale (the read model derives it when runs are read)
    const row = this._model.runs.find(r => r.run_id === run.run_id);
    if (row && run.stale === undefined) {
      run.stale = row.stale;
      run.stale_reason = row.stale_reason;
    }
    const scroll = scrollTop ? 0 : this.node.scrollTop;
    this._run = run;
    clear(this.node);
    this.node.classList.add('nbtrack-visible');
    this.node.appendChild(renderDetail(run, series, this._actions(), this._closedSections, this._model.skew, params.notebook, staleBadge(run)));
    this.node.scrollTop = scroll;
  }

  close(): void {
    this._run = null;
    this._generation++;
    clear(this.node);
    this.node.classList.remove('nbtrack-visible');
  }

  private readonly _model: RunsModel;
  private readonly _actions: () => DetailActions;
  private _generation = 0;
  private _run: RunDetail | null = null;
  /** The sections the user closed (kept from one run to the next). */
  private readonly _closedSections = new Set<string>(['Context']);
}
