/**
 * What the panel says about the list: the status line (how many runs, from where, how many
 * running; or the server's error; or a hint when no notebook is open) and the empty list's
 * message. The texts are pure functions of the model's state; the render functions only place them.
 */
import { clear, h } from '../shared/dom';
import { __, _n } from './i18n';
import type { RunsModel } from './model';

/** The part of the model these texts read. */
export type ListState = Pick<RunsModel, 'scope' | 'query' | 'error' | 'runs' | 'total' | 'notebookPath'>;

export type StatusLine =
  | { kind: 'error'; text: string }
  | { kind: 'hint'; text: string }
  | { kind: 'count'; text: string; running: number };

export function statusLine(m: ListState): StatusLine {
  if (m.error) {
    return { kind: 'error', text: m.error };
  }
  const path = m.notebookPath();
  if (m.scope === 'notebook' && !path) {
    return { kind: 'hint', text: __('Open a notebook to see its runs, or switch on "All runs".') };
  }
  const where = m.scope === 'notebook' ? path ?? '' : m.scope === 'team' ? __('team store') : __('all notebooks');
  const shown = m.runs.length;
  const count = shown < m.total ? __('%1 of %2 runs', shown, m.total) : _n('%1 run', '%1 runs', m.total, m.total);
  return { kind: 'count', text: `${count} · ${where}`, running: m.runs.filter(r => r.status === 'running').length };
}

export function renderStatusLine(el: HTMLElement, line: StatusLine): void {
  clear(el);
  if (line.kind === 'error') {
    el.appendChild(h('span', { class: 'nbtrack-error' }, line.text));
  } else if (line.kind === 'hint') {
    el.textContent = line.text;
  } else {
    el.appendChild(h('span', {}, line.text));
    if (line.running) {
      el.appendChild(h('span', { class: 'nbtrack-running-count' }, ` · ${__('%1 running', line.running)}`));
    }
  }
}

/** The list's message when it has no runs (null: it has some, or the status line says why not). */
export function emptyMessage(m: ListState): string | null {
  if (m.runs.length || m.error || (m.scope === 'notebook' && !m.notebookPath())) {
    return null;
  }
  if (m.query) {
    return __('No run matches this search.');
  }
  return m.scope === 'notebook'
    ? __('No runs for this notebook yet. Run a cell that starts with %%track (after %load_ext nbtrack).')
    : __('The store has no runs yet.');
}

export function renderEmpty(message: string): HTMLElement {
  return h('div', { class: 'nbtrack-empty' }, message);
}
