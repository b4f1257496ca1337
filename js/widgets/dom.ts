// DOM helpers. User data only ever goes through textContent / attribute values, never innerHTML.

type Child = Node | string | number | null | undefined | false;

export function h(tag: string, attrs: Record<string, any> = {}, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k in el && typeof v !== "string") (el as any)[k] = v;
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: HTMLElement, children: (Child | Child[])[]) {
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: HTMLElement) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function fmt(v: any): string {
  if (v == null) return "";
  if (typeof v === "number") {
    if (!isFinite(v)) return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    return Number(v.toPrecision(5)).toString();
  }
  if (Array.isArray(v)) return v.map(fmt).join(", ");
  return String(v);
}

export function duration(s: any): string {
  if (s == null || !isFinite(s)) return "";
  if (s < 60) return `${Number(s).toFixed(s < 10 ? 2 : 1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s - m * 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function errorBox(err: any): HTMLElement {
  const box = h("div", { class: "nbt-error", role: "alert" }, h("span", { text: String(err?.message ?? err) }));
  if (err?.traceback) {
    box.appendChild(h("details", {}, h("summary", { text: "traceback" }), h("pre", { text: err.traceback })));
  }
  return box;
}

// The card's rules (static/card.js ships only these) and the rest (table, compare, diff).
const CARD_CSS = `
.nbt { font: 12px/1.45 var(--jp-ui-font-family, system-ui, sans-serif); color: var(--jp-ui-font-color1, #222); }
.nbt code, .nbt .mono { font-family: var(--jp-code-font-family, monospace); font-size: 11.5px; }
.nbt-error { color: #b42318; background: #fef3f2; border: 1px solid #fecdca; padding: 4px 8px; margin: 4px 0; border-radius: 4px; white-space: pre-wrap; }
.nbt-error pre { max-height: 200px; overflow: auto; font-size: 11px; }
.nbt-card { border-left: 3px solid #888; padding: 4px 10px; margin: 2px 0; }
.nbt-card[data-status=running] { border-color: #0969da; }
.nbt-card[data-status=finished] { border-color: #1a7f37; }
.nbt-card[data-status=failed], .nbt-card[data-status=crashed] { border-color: #cf222e; }
.nbt-card[data-status=interrupted] { border-color: #9a6700; }
.nbt-status { font-weight: 600; text-transform: lowercase; }
.nbt-status-running { color: #0969da; } .nbt-status-finished { color: #1a7f37; }
.nbt-status-failed, .nbt-status-crashed { color: #cf222e; } .nbt-status-interrupted { color: #9a6700; }
.nbt-head > * { margin-right: 8px; }
.nbt-tag { background: var(--jp-layout-color2, #eee); border-radius: 3px; padding: 0 5px; margin-right: 4px; }
.nbt-muted { color: var(--jp-ui-font-color2, #666); }
.nbt-better { color: #1a7f37; } .nbt-worse { color: #cf222e; }
.nbt-chart { margin-top: 4px; }
.nbt-lcs { display: flex; flex-wrap: wrap; gap: 4px 14px; }
.nbt-lc-title { font-size: 11px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 240px; }
.nbt-lc-last { color: var(--jp-ui-font-color2, #666); font-variant-numeric: tabular-nums; }
.nbt-lc-svg { display: block; overflow: visible; }
.nbt-lc-svg text { font-size: 10px; fill: var(--jp-ui-font-color2, #666); font-variant-numeric: tabular-nums; }
.nbt-lc-frame { fill: none; stroke: var(--jp-border-color2, #ddd); }
.nbt-lc-line { fill: none; stroke: #1f77b4; stroke-width: 1.5; stroke-linejoin: round; }
.nbt-lc-dot { fill: #1f77b4; }
`;

const MORE_CSS = `
.nbt-toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
.nbt-toolbar input[type=text], .nbt-toolbar select { font: inherit; padding: 2px 4px; }
.nbt button { font: inherit; padding: 2px 8px; cursor: pointer; }
.nbt-chip { display: inline-flex; gap: 4px; align-items: center; background: var(--jp-layout-color2, #eef); border-radius: 10px; padding: 0 8px; }
.nbt-chip button { border: none; background: none; padding: 0 2px; }
.nbt-scroll { max-height: 460px; overflow: auto; border: 1px solid var(--jp-border-color2, #ddd); }
.nbt-grid { border-collapse: separate; border-spacing: 0; width: max-content; min-width: 100%; }
.nbt-grid th, .nbt-grid td { padding: 2px 8px; border-bottom: 1px solid var(--jp-border-color3, #eee); white-space: nowrap; max-width: 320px; overflow: hidden; text-overflow: ellipsis; text-align: left; background: var(--jp-layout-color1, #fff); }
.nbt-grid th { position: sticky; top: 0; z-index: 2; cursor: pointer; user-select: none; background: var(--jp-layout-color2, #f6f6f6); }
.nbt-grid td.num { text-align: right; font-variant-numeric: tabular-nums; }
.nbt-grid .pinned { position: sticky; z-index: 1; }
.nbt-grid th.pinned { z-index: 3; }
.nbt-grid tr.sel td { background: var(--jp-brand-color3, #dbeafe); }
.nbt-grid tr:hover td { background: var(--jp-layout-color2, #f3f4f6); }
.nbt-grid .differs { background: #fff8c5 !important; }
.nbt-columns { position: relative; }
.nbt-columns > div { position: absolute; z-index: 10; background: var(--jp-layout-color1, #fff); border: 1px solid #ccc; padding: 6px; max-height: 300px; overflow: auto; box-shadow: 0 2px 8px rgba(0,0,0,.15); }
.nbt-columns label { display: block; white-space: nowrap; }
.nbt-charts { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; }
.nbt-section { margin: 8px 0 2px; font-weight: 600; }
.nbt-diff td.changed, .nbt-diff td.replace { background: #fff8c5; }
.nbt-diff td.added, .nbt-diff td.insert { background: #dafbe1; }
.nbt-diff td.removed, .nbt-diff td.delete { background: #ffebe9; }
.nbt-src td { white-space: pre; font-family: var(--jp-code-font-family, monospace); font-size: 11.5px; max-width: 600px; }
.nbt-summary li { color: #9a6700; }
`;

function addStyle(id: string, css: string) {
  if (document.getElementById(id)) return;
  const style = document.createElement("style");
  style.id = id;
  style.textContent = css;
  document.head.appendChild(style);
}

/** The card's CSS (once per page). */
export function injectCss() {
  addStyle("nbtrack-widget-css", CARD_CSS);
}

/** The card's CSS and the table/compare/diff rules (not in the card's bundle). */
export function injectAllCss() {
  injectCss();
  addStyle("nbtrack-widget-css-more", MORE_CSS);
}
