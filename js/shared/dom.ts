/**
 * The one DOM builder of the nbtrack front ends. Strings always become text nodes or attribute
 * values, never HTML: every user-provided value (run names, params, tracebacks) stays text.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  class?: string;
  /** Text content (instead of children). */
  text?: string | number;
  title?: string;
  style?: string | Partial<Record<string, string>>;
  [name: string]: unknown;
}

/** Set as DOM properties (not attributes), so `checked: false` unchecks. */
const PROPS = new Set(['checked', 'disabled', 'value', 'hidden', 'selected', 'indeterminate']);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || (value === false && !PROPS.has(name))) {
      continue;
    }
    if (name === 'class') {
      el.className = String(value);
    } else if (name === 'text') {
      el.textContent = String(value);
    } else if (name === 'style' && typeof value === 'object') {
      Object.assign(el.style, value);
    } else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    } else if (PROPS.has(name)) {
      (el as unknown as Record<string, unknown>)[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    el.appendChild(
      typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child
    );
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element; numbers only ever go into attributes, strings become text nodes. */
export function svg(
  tag: string,
  attrs: Record<string, string | number> = {},
  ...children: (Node | string)[]
): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  for (const [name, value] of Object.entries(attrs)) {
    el.setAttribute(name, String(value));
  }
  for (const child of children) {
    el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

export function clear(el: Node): void {
  while (el.firstChild) {
    el.removeChild(el.firstChild);
  }
}

/** An error as an alert box; a traceback, when there is one, folded under it. */
export function errorBox(err: unknown, className = 'nbt-error'): HTMLElement {
  const e = err as { message?: unknown; traceback?: unknown } | null;
  const message = e && typeof e === 'object' && 'message' in e ? String(e.message) : String(err);
  const box = h('div', { class: className, role: 'alert' }, h('span', { text: message }));
  if (e && typeof e === 'object' && typeof e.traceback === 'string' && e.traceback) {
    box.appendChild(h('details', {}, h('summary', { text: 'traceback' }), h('pre', { text: e.traceback })));
  }
  return box;
}
