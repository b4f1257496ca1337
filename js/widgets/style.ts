// The widgets' CSS, injected once per page. Every colour is a JupyterLab theme variable
// (--jp-*), so light and dark themes both read; the fallbacks are for pages without JupyterLab.
const CARD_CSS = `
.nbt { font: 12px/1.45 var(--jp-ui-font-family, system-ui, sans-serif); color: var(--jp-ui-font-color1, #222); }
.nbt code, .nbt .mono { font-family: var(--jp-code-font-family, monospace); font-size: 11.5px; }
.nbt-error { color: var(--jp-error-color1, #b42318); background: var(--jp-rendermime-error-background, transparent); border: 1px solid var(--jp-error-color2, #fecdca); padding: 4px 8px; margin: 4px 0; border-radius: 4px; white-space: pre-wrap; }
.nbt-error pre { max-height: 200px; overflow: auto; font-size: 11px; }
.nbt-card { border-left: 3px solid var(--jp-border-color1, #888); padding: 4px 10px; margin: 2px 0; }
.nbt-card[data-status=running] { border-color: var(--jp-brand-color1, #0969da); }
.nbt-card[data-status=finished] { border-color: var(--jp-success-color1, #1a7f37); }
.nbt-card[data-status=failed], .nbt-card[data-status=crashed] { border-color: var(--jp-error-color1, #cf222e); }
.nbt-card[data-status=interrupted] { border-color: var(--jp-warn-color1, #9a6700); }
.nbt-status { font-weight: 600; text-transform: lowercase; }
.nbt-status-running { color: var(--jp-brand-color1, #0969da); } .nbt-status-finished { color: var(--jp-success-color1, #1a7f37); }
.nbt-status-failed, .nbt-status-crashed { color: var(--jp-error-color1, #cf222e); } .nbt-status-interrupted { color: var(--jp-warn-color1, #9a6700); }
.nbt-head > * { margin-right: 8px; }
.nbt-tag { background: var(--jp-layout-color2, #eee); border-radius: 3px; padding: 0 5px; margin-right: 4px; }
.nbt-stale { color: var(--jp-ui-font-color1, #222); background: color-mix(in srgb, var(--jp-warn-color1, #f0ad4e) 30%, var(--jp-layout-color1, #fff)); border: 1px solid var(--jp-warn-color2, #e0b84a); border-radius: 3px; padding: 0 5px; font-size: 11px; }
.nbt-muted { color: var(--jp-ui-font-color2, #666); }
.nbt-better { color: var(--jp-success-color1, #1a7f37); } .nbt-worse { color: var(--jp-error-color1, #cf222e); }
.nbt-chart { margin-top: 4px; }
.nbt-lcs { display: flex; flex-wrap: wrap; gap: 4px 14px; }
.nbt-lc-title { font-size: 11px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 240px; }
.nbt-lc-last { color: var(--jp-ui-font-color2, #666); font-variant-numeric: tabular-nums; }
.nbt-lc-svg { display: block; overflow: visible; }
.nbt-lc-svg text { font-size: 10px; fill: var(--jp-ui-font-color2, #666); font-variant-numeric: tabular-nums; }
.nbt-lc-frame { fill: none; stroke: var(--jp-border-color2, #ddd); }
.nbt-lc-line { fill: none; stroke: var(--jp-brand-color1, #1f77b4); stroke-width: 1.5; stroke-linejoin: round; }
.nbt-lc-dot { fill: var(--jp-brand-color1, #1f77b4); }
`;

const MORE_CSS = `
.nbt-toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
.nbt-toolbar input[type=text], .nbt-toolbar select { font: inherit; padding: 2px 4px; color: var(--jp-ui-font-color1, inherit); background: var(--jp-input-background, var(--jp-layout-color1, #fff)); border: 1px solid var(--jp-border-color1, #ccc); }
.nbt button { font: inherit; padding: 2px 8px; cursor: pointer; color: var(--jp-ui-font-color1, inherit); background: var(--jp-layout-color2, #f3f3f3); border: 1px solid var(--jp-border-color1, #ccc); border-radius: 2px; }
.nbt button:disabled { color: var(--jp-ui-font-color3, #aaa); cursor: default; }
.nbt-chip { display: inline-flex; gap: 4px; align-items: center; background: var(--jp-layout-color2, #eef); border-radius: 10px; padding: 0 8px; }
.nbt-chip button { border: none; background: none; padding: 0 2px; }
.nbt-scroll { max-height: 460px; overflow: auto; border: 1px solid var(--jp-border-color2, #ddd); }
.nbt-grid { border-collapse: separate; border-spacing: 0; width: max-content; min-width: 100%; }
.nbt-grid th, .nbt-grid td { padding: 2px 8px; border-bottom: 1px solid var(--jp-border-color3, #eee); white-space: nowrap; max-width: 320px; overflow: hidden; text-overflow: ellipsis; text-align: left; background: var(--jp-layout-color1, #fff); }
.nbt-grid th { position: sticky; top: 0; z-index: 2; cursor: pointer; user-select: none; background: var(--jp-layout-color2, #f6f6f6); }
.nbt-grid td.num { text-align: right; font-variant-numeric: tabular-nums; }
.nbt-grid .pinned { position: sticky; z-index: 1; }
.nbt-grid th.pinned { z-index: 3; }
.nbt-grid tr.sel td { background: color-mix(in srgb, var(--jp-brand-color1, #1976d2) 25%, var(--jp-layout-color1, #fff)); }
.nbt-grid tr:hover td { background: var(--jp-layout-color2, #f3f4f6); }
.nbt-grid .differs { background: color-mix(in srgb, var(--jp-warn-color1, #f0ad4e) 22%, var(--jp-layout-color1, #fff)) !important; }
.nbt-columns { position: relative; }
.nbt-columns > div { position: absolute; z-index: 10; background: var(--jp-layout-color1, #fff); border: 1px solid var(--jp-border-color1, #ccc); padding: 6px; max-height: 300px; overflow: auto; box-shadow: var(--jp-elevation-z4, 0 2px 8px rgba(0,0,0,.15)); }
.nbt-columns label { display: block; white-space: nowrap; }
.nbt-charts { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; }
.nbt-section { margin: 8px 0 2px; font-weight: 600; }
.nbt-diff td.changed, .nbt-diff td.replace { background: color-mix(in srgb, var(--jp-warn-color1, #f0ad4e) 22%, var(--jp-layout-color1, #fff)); }
.nbt-diff td.added, .nbt-diff td.insert { background: color-mix(in srgb, var(--jp-success-color1, #1a7f37) 22%, var(--jp-layout-color1, #fff)); }
.nbt-diff td.removed, .nbt-diff td.delete { background: color-mix(in srgb, var(--jp-error-color1, #cf222e) 22%, var(--jp-layout-color1, #fff)); }
.nbt-src td { white-space: pre; font-family: var(--jp-code-font-family, monospace); font-size: 11.5px; max-width: 600px; }
.nbt-summary li { color: var(--jp-warn-color0, #9a6700); }
.nbt-chartbox svg text { fill: var(--jp-ui-font-color1, #222); }
.nbt-chartbox .vega-embed summary { color: var(--jp-ui-font-color1, #222); }
`;

function addStyle(id: string, css: string): void {
  if (document.getElementById(id)) return;
  const style = document.createElement("style");
  style.id = id;
  style.textContent = css;
  document.head.appendChild(style);
}

/** The card's CSS (once per page). */
export function injectCss(): void {
  addStyle("nbtrack-widget-css", CARD_CSS);
}

/** The card's CSS and the table/compare/diff rules (not in the card's bundle). */
export function injectAllCss(): void {
  injectCss();
  addStyle("nbtrack-widget-css-more", MORE_CSS);
}
