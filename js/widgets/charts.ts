// Vega-Lite rendering with the bundled vega-embed (no CDN). Specs come from the kernel without
// rows; the rows come as Arrow tables and are put back as named datasets here. The charts take
// their colours from the JupyterLab theme (vega's own defaults are for a white page).
import embed, { type EmbedOptions, type Result, type VisualizationSpec } from "vega-embed";
import { rows } from "../shared/protocol";
import type { Frame } from "../shared/arrow";

function themeConfig(el: HTMLElement): Record<string, unknown> {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const text = v("--jp-ui-font-color1", "#222"), muted = v("--jp-ui-font-color2", "#666");
  const grid = v("--jp-border-color2", "#ddd");
  return {
    background: "transparent",
    axis: { labelColor: muted, titleColor: text, gridColor: grid, domainColor: grid, tickColor: grid },
    legend: { labelColor: muted, titleColor: text },
    title: { color: text },
    view: { stroke: grid },
  };
}

export async function drawChart(el: HTMLElement, spec: VisualizationSpec, data: Record<string, Frame | Record<string, unknown>[] | undefined>): Promise<Result> {
  const withData = spec as VisualizationSpec & { datasets?: Record<string, unknown[]> };
  const datasets: Record<string, unknown[]> = { ...(withData.datasets || {}) };
  for (const [name, t] of Object.entries(data)) datasets[name] = Array.isArray(t) ? t : rows(t);
  const options: EmbedOptions = {
    actions: { export: true, source: false, compiled: false, editor: false },
    renderer: "svg",
    config: themeConfig(el),
  };
  return embed(el, { ...withData, datasets } as VisualizationSpec, options);
}
