// compare (curves, scatter, parallel coordinates, params/metrics table) and diff (two runs).
import { Channel, rows } from "../shared/protocol";
import { h, clear, errorBox } from "../shared/dom";
import { fmtValue as fmt, fmtDuration as duration } from "../shared/format";
import { drawChart } from "./charts";
import type { VisualizationSpec } from "vega-embed";

interface ChartEntry { kind: string; title: string; data: string; spec: VisualizationSpec }
type Row = Record<string, unknown>;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function renderCompareInto(ch: Channel, el: HTMLElement, ids?: string[]): Promise<void> {
  const root = h("div", { class: "nbt nbt-compare" }, h("div", { class: "nbt-muted", text: "loading comparison…" }));
  el.appendChild(root);
  try {
    const reply = await ch.request("compare", ids ? { ids } : {});
    clear(root);
    const f = reply.fields as { note?: string; charts?: ChartEntry[]; differs?: string[]; more_keys?: number };
    const runs = rows(reply.tables.runs);
    root.append(h("div", { class: "nbt-section", text: `Comparing ${runs.length} runs` + (f.note ? ` (${f.note})` : "") }));
    const grid = h("div", { class: "nbt-charts" });
    root.append(grid);
    if (!(f.charts || []).some((c) => c.kind === "curve")) {
      grid.append(h("div", { class: "nbt-muted", text: "no series logged with nbtrack.log in these runs" }));
    }
    if (f.more_keys) root.append(h("div", { class: "nbt-muted", text: `+${f.more_keys} more series keys (use nbtrack.charts.metric_chart)` }));
    const draws: Promise<unknown>[] = [];
    for (const c of f.charts || []) {
      const box = h("div", { class: `nbt-chartbox nbt-kind-${c.kind}`, "data-kind": c.kind });
      grid.append(box);
      draws.push(drawChart(box, c.spec, { [c.data]: reply.tables[c.data] }).catch((e) => {
        box.append(errorBox(`chart ${c.title}: ${message(e)}`));
      }));
    }
    root.append(runsTable(runs, new Set(f.differs || [])));
    await Promise.all(draws);
    root.setAttribute("data-ready", "1");
  } catch (e) {
    clear(root);
    root.append(errorBox(e));
  }
}

function runsTable(runs: Row[], differs: Set<string>): HTMLElement {
  // one row per field, one column per run; rows whose values differ are highlighted
  const fields = runs.length ? Object.keys(runs[0]).filter((k) => k !== "run_id") : [];
  const table = h("table", { class: "nbt-grid nbt-runs-table" });
  table.append(h("thead", {}, h("tr", {}, h("th", { text: "" }),
    runs.map((r) => h("th", { text: r.name ? `${r.name} · ${String(r.run_id).slice(0, 10)}` : String(r.run_id).slice(0, 10), title: String(r.run_id) })))));
  const body = h("tbody", {});
  const ordered = [...fields.filter((f) => differs.has(f)), ...fields.filter((f) => !differs.has(f))];
  for (const field of ordered) {
    const d = differs.has(field);
    body.append(h("tr", { class: d ? "differs-row" : "" }, h("th", { text: field, class: d ? "differs" : "" }),
      runs.map((r) => h("td", { text: field === "duration_s" ? duration(r[field] as number | null) : fmt(r[field]), class: (d ? "differs " : "") + (typeof r[field] === "number" ? "num" : "") }))));
  }
  table.append(body);
  return h("div", { class: "nbt-scroll" }, h("div", { class: "nbt-section", text: "params and metrics (differences first, highlighted)" }), table);
}

export async function renderDiffInto(ch: Channel, el: HTMLElement, ids?: string[]): Promise<void> {
  const root = h("div", { class: "nbt nbt-diff" }, h("div", { class: "nbt-muted", text: "loading diff…" }));
  el.appendChild(root);
  try {
    const reply = await ch.request("diff", ids ? { ids } : {});
    clear(root);
    const { a, b, summary } = reply.fields as { a: Row; b: Row; summary?: string[] };
    const name = (r: Row) => `${r.name ? r.name + " · " : ""}${String(r.run_id).slice(0, 12)}`;
    root.append(h("table", { class: "nbt-grid nbt-diff-head" },
      h("tr", {}, h("th", { text: "" }), h("th", { text: `A: ${name(a)}` }), h("th", { text: `B: ${name(b)}` })),
      ["status", "experiment", "notebook", "started_at", "duration_s", "git_commit", "error"].map((k) =>
        h("tr", {}, h("th", { text: k === "duration_s" ? "duration" : k }),
          h("td", { text: k === "duration_s" ? duration(a[k] as number | null) : fmt(a[k]) }),
          h("td", { text: k === "duration_s" ? duration(b[k] as number | null) : fmt(b[k]) })))));
    if (summary && summary.length) {
      root.append(h("ul", { class: "nbt-summary" }, summary.map((s) => h("li", { text: s }))));
    }
    for (const [key, title] of [["params", "params"], ["metrics", "metrics"], ["inputs", "inputs"], ["env", "environment"]]) {
      const data = rows(reply.tables[key]);
      root.append(h("div", { class: "nbt-section", text: title }));
      if (!data.length) { root.append(h("div", { class: "nbt-muted", text: "none" })); continue; }
      root.append(h("table", { class: `nbt-grid nbt-diff-${key}` },
        h("tr", {}, h("th", { text: "" }), h("th", { text: "A" }), h("th", { text: "B" }), h("th", { text: "" })),
        data.map((r) => h("tr", { class: String(r.change) }, h("th", { text: String(r.key) }),
          h("td", { class: String(r.change), text: cell(r.a) }), h("td", { class: String(r.change), text: cell(r.b) }),
          h("td", { class: "nbt-muted", text: r.change === "same" ? "" : String(r.change) })))));
    }
    const src = rows(reply.tables.source);
    root.append(h("div", { class: "nbt-section", text: "source" }));
    if (src.every((r) => r.op === "equal")) root.append(h("div", { class: "nbt-muted", text: "identical source" }));
    root.append(h("div", { class: "nbt-scroll" }, h("table", { class: "nbt-grid nbt-src" },
      src.map((r) => h("tr", { class: String(r.op) },
        h("td", { class: "nbt-muted", text: r.a_no == null ? "" : String(r.a_no) }),
        h("td", { class: String(r.op), text: String(r.a ?? "") }),
        h("td", { class: "nbt-muted", text: r.b_no == null ? "" : String(r.b_no) }),
        h("td", { class: String(r.op), text: String(r.b ?? "") }))))));
    root.setAttribute("data-ready", "1");
  } catch (e) {
    clear(root);
    root.append(errorBox(e));
  }
}

/** A diff cell: the kernel formats values (nbtrack/format.py); missing on one side shows "—". */
function cell(v: unknown): string {
  return v === null || v === undefined ? "—" : String(v);
}
