import { describe, expect, it } from 'vitest';
import { ListState, emptyMessage, statusLine } from './states';
import { run } from './testdata/runs';

function state(over: Partial<Omit<ListState, 'notebookPath'>> & { path?: string | null } = {}): ListState {
  const { path = 'nb.ipynb', ...rest } = over;
  return { scope: 'notebook', query: '', error: null, runs: [], total: 0, notebookPath: () => path, ...rest };
}

describe('statusLine (what the sidebar says above the list)', () => {
  it('counts the runs shown, of how many, from where, and how many run', () => {
    const runs = [run({ status: 'running' }), run(), run({ status: 'running' })];
    expect(statusLine(state({ runs, total: 3 }))).toEqual({ kind: 'count', text: '3 runs · nb.ipynb', running: 2 });
    expect(statusLine(state({ runs, total: 10, scope: 'all' }))).toEqual({ kind: 'count', text: '3 of 10 runs · all notebooks', running: 2 });
    expect(statusLine(state({ runs: [run()], total: 1, scope: 'team' }))).toEqual({ kind: 'count', text: '1 run · team store', running: 0 });
  });

  it('shows the server\'s error first, and a hint when no notebook is open', () => {
    expect(statusLine(state({ error: 'nbtrack: no team store', path: null }))).toEqual({ kind: 'error', text: 'nbtrack: no team store' });
    expect(statusLine(state({ path: null })).kind).toBe('hint');
    expect(statusLine(state({ path: null, scope: 'all' })).kind).toBe('count');
  });
});

describe('emptyMessage (the list with no runs)', () => {
  it('says why the list is empty', () => {
    expect(emptyMessage(state())).toMatch(/^No runs for this notebook yet/);
    expect(emptyMessage(state({ query: 'rf' }))).toBe('No run matches this search.');
    expect(emptyMessage(state({ scope: 'all' }))).toBe('The store has no runs yet.');
  });

  it('says nothing when there are runs, or when the status line explains (error, no notebook)', () => {
    expect(emptyMessage(state({ runs: [run()], total: 1 }))).toBeNull();
    expect(emptyMessage(state({ error: 'boom' }))).toBeNull();
    expect(emptyMessage(state({ path: null }))).toBeNull();
  });
});
