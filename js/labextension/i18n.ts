/**
 * Translation-ready strings: every user-facing sidebar string goes through `__` (and `_n` for
 * plurals), bound to JupyterLab's ITranslator (domain "nbtrack") when the app has one.
 */
import { nullTranslator, type ITranslator, type TranslationBundle } from '@jupyterlab/translation';

let bundle: TranslationBundle = nullTranslator.load('nbtrack');

export function setTranslator(translator: ITranslator | null): void {
  bundle = (translator ?? nullTranslator).load('nbtrack');
}

/** A translated string; `%1`, `%2`, ... are replaced by the arguments. */
export function __(msgid: string, ...args: (string | number)[]): string {
  return bundle.__(msgid, ...args);
}

/** A translated string with a singular and a plural form. */
export function _n(singular: string, plural: string, n: number, ...args: (string | number)[]): string {
  return bundle._n(singular, plural, n, ...args);
}
