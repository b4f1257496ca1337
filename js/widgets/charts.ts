// Vega-Lite rendering with the bundled vega-embed (no CDN). Specs come from the kernel without
// rows; the rows come as Arrow tables and are put back as named datasets here.
import embed from "vega-embed";
import { rows, Table } from "./protocol";

const OPTIONS: any = {
  actions: { export: true, source: false, compiled: false, editor: false },
  renderer: "svg",
};

export async function drawChart(el: HTMLElement, spec: any, data: Record<string, Table | Record<string, any>[]>) {
  const datasets: Record<string, any[]> = { ...(spec.datasets || {}) };
  for (const [name, t] of Object.entries(data)) datasets[name] = Array.isArray(t) ? t : rows(t);
  const result = await embed(el, { ...spec, datasets }, OPTIONS);
  return result;
}

/** A small live chart of series (key, step, value): one panel per key. */
export function liveSpec(keys: string[]): any {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { name: "series" },
    facet: { field: "key", type: "nominal", title: null, sort: keys },
    columns: Math.min(3, Math.max(1, keys.length)),
    resolve: { scale: { y: "independent", x: "independent" } },
    spec: {
      width: 220,
      height: 110,
      mark: { type: "line", strokeWidth: 1.5, clip: true },
      encoding: {
        x: { field: "step", type: "quantitative", title: null },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
        tooltip: [
          { field: "step", type: "quantitative" },
          { field: "value", type: "quantitative", format: ".5g" },
        ],
      },
    },
    config: { view: { stroke: "#ddd" }, axis: { labelFontSize: 10 }, header: { labelFontSize: 11 } },
  };
}
