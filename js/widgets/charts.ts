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
