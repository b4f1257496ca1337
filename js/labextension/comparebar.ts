/** The bar under the list while runs are checked: how many, "Compare" (two or more), "Clear".
 * Checked runs stay checked across searches (a run checked, then filtered out, stays checked). */
import { h } from '../shared/dom';
import { __ } from './i18n';

export class CompareBar {
  constructor(options: { onCompare(): void; onClear(): void }) {
    this._count = h('span', { class: 'nbtrack-compare-count' });
    this._button = h('button', { class: 'jp-Button nbtrack-compare-button', title: __('Open a tab comparing the selected runs') }, __('Compare'));
    this._button.addEventListener('click', () => options.onCompare());
    const clearButton = h('button', { class: 'jp-Button nbtrack-clear-button' }, __('Clear'));
    clearButton.addEventListener('click', () => options.onClear());
    this.node = h('div', { class: 'nbtrack-comparebar' }, this._count, this._button, clearButton);
  }

  readonly node: HTMLDivElement;

  render(checked: number): void {
    this.node.classList.toggle('nbtrack-visible', checked > 0);
    this._count.textContent = __('%1 selected', checked);
    this._button.disabled = checked < 2;
    this._button.textContent = __('Compare');
    this._button.title = checked >= 2 ? __('Open a tab comparing the %1 selected runs', checked) : __('Select two or more runs to compare');
  }

  private readonly _count: HTMLSpanElement;
  private readonly _button: HTMLButtonElement;
}
