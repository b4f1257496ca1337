import { describe, expect, it } from 'vitest';
import { OPERATORS, buildFilter, filterText, isFilter, parseSearch } from './filters';

describe('parseSearch (the sidebar search box)', () => {
  it('keeps plain words as free text', () => {
    expect(parseSearch('  rf baseline ')).toEqual({ q: 'rf baseline', filters: [] });
  });
  it('splits structured filters on "and" and ";"', () => {
    expect(parseSearch('metrics.acc > 0.9 and params.model == rf; status == failed')).toEqual({
      q: '',
      filters: ['metrics.acc > 0.9', 'params.model == rf', 'status == failed']
    });
  });
  it('mixes free text and filters', () => {
    expect(parseSearch('baseline and metrics.loss < 0.2')).toEqual({ q: 'baseline', filters: ['metrics.loss < 0.2'] });
  });
  it('knows the word operators, not words that merely start like them', () => {
    expect(isFilter('tags contains x')).toBe(true);
    expect(isFilter('params.opt not in adam,sgd')).toBe(true);
    expect(isFilter('error_type is not null')).toBe(true);
    expect(isFilter('notes inside')).toBe(false);
    expect(isFilter('1abc == 3')).toBe(false);
  });
});

describe('buildFilter (the table toolbar)', () => {
  it('has every operator of the grammar, not in included', () => {
    expect(OPERATORS).toContain('not in');
    expect(OPERATORS).toContain('is not null');
  });
  it('types values', () => {
    expect(buildFilter('metrics.acc', '>', ' 0.9 ', true)).toEqual({ column: 'metrics.acc', op: '>', value: 0.9 });
    expect(buildFilter('params.model', '==', '"rf"', false)).toEqual({ column: 'params.model', op: '==', value: 'rf' });
    expect(buildFilter('params.model', '==', '12', false)).toEqual({ column: 'params.model', op: '==', value: '12' });
    expect(buildFilter('status', 'not in', 'failed, crashed,', false)).toEqual({
      column: 'status', op: 'not in', value: ['failed', 'crashed']
    });
    expect(buildFilter('error_type', 'is null', 'ignored', false)).toEqual({ column: 'error_type', op: 'is null', value: null });
  });
  it('refuses a missing value or column', () => {
    expect(buildFilter('metrics.acc', '>', '  ', true)).toBeNull();
    expect(buildFilter('', '==', 'x', false)).toBeNull();
  });
  it('shows a chip', () => {
    expect(filterText({ column: 'a', op: 'in', value: [1, 2] }, v => JSON.stringify(v))).toBe('a in [1,2]');
    expect(filterText({ column: 'a', op: 'is null' }, String)).toBe('a is null');
  });
});
