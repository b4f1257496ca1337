// The run card: status, duration, params, final metrics (delta, best) and a live chart.
// No vega here: the card ships as its own small bundle (card_entry.ts -> static/card.js), which
// every tracked cell sends to the browser; the live chart is a hand-drawn SVG (linechart.ts).
// Param and metric values arrive as text formatted by nbtrack/format.py (the same rules as
// js/shared/format.ts).
import { h, clear } from "../shared/dom";
import { fmtDuration } from "../shared/format";
import { readArrow, Frame } from "../shared/arrow";
import { LineCharts, groupSeries } from "./linechart";
import type { CardModel } from "./models";

/** The stale badge (issue 12): shown when the read model flags the run, with its reason. */
export function staleBadge(stale: unknown, reason: unknown): HTMLElement | null {
  if (!stale) return null;
  const text = typeof reason === "string" && reason ? reason : "something this run read has changed since";
  return h("span", { class: "nbt-stale", title: text, "data-stale-reason": text, text: `stale: ${text}` });
}

export function renderCard(model: CardModel, el: HTMLElement): () => void {
  const root = h("div", { class: "nbt nbt-card" });
  const head = h("div", { class: "nbt-head" });
  const body = h("div", {});
  const chartBox = h("div", { class: "nbt-chart" });
  root.append(head, body, chartBox);
  el.appendChild(root);

  const charts = new LineCharts(chartBox);

  function renderInfo(): void {
    const r = model.get("run") || {};
    const status = String(r.status || "running");
    root.setAttribute("data-status", status);
    clear(head);
    head.append(
      h("span", { class: `nbt-status nbt-status-${status}`, text: status }),
      h("span", { class: "nbt-duration", text: fmtDuration(r.duration_s) }),
      h("code", { title: "run id", text: r.run_id || "" }),
    );
    if (r.name) head.append(h("b", { class: "nbt-name", text: r.name }));
    for (const t of r.tags || []) head.append(h("span", { class: "nbt-tag", text: t }));
    const badge = staleBadge(r.stale, r.stale_reason);
    if (badge) head.append(badge);
    clear(body);
    const params = r.params || [];
    if (params.length) {
      const line = h("div", { class: "nbt-params" }, h("span", { class: "nbt-muted", text: "params: " }));
      params.forEach(([k, v], i) => {
        if (i) line.append(", ");
        line.append(h("code", { text: k }), "=", h("span", { text: v }));
      });
      body.append(line);
    }
    for (const m of model.get("metrics") || []) {
      const line = h("div", { class: "nbt-metric" }, h("code", { text: m.key }), " = ", h("b", { text: m.value }));
      if (m.delta) {
        const cls = m.better === true ? "nbt-better" : m.better === false ? "nbt-worse" : "nbt-muted";
        line.append(" ", h("span", { class: cls, text: `(${m.delta}${m.better === true ? " ▲" : m.better === false ? " ▼" : ""})` }));
      }
      if (m.best) line.append(" ", h("span", { class: "nbt-muted", text: m.is_best ? `${m.best} ★` : m.best }));
      body.append(line);
    }
    const live = model.get("live") || {};
    if (status === "running" && live.keys) {
      const line = h("div", { class: "nbt-live nbt-muted" });
      Object.entries(live.keys).forEach(([k, v], i) => {
        if (i) line.append(" · ");
        line.append(h("code", { text: k }), ` ${v.last} (${v.points} pts)`);
      });
      if (live.more_keys) line.append(` · +${live.more_keys} more keys`);
      body.append(line);
    }
    if (r.error) body.append(h("div", { class: "nbt-error", text: `${r.error.type}: ${r.error.message}` }));
  }

  function renderSeries(): void {
    let table: Frame | null;
    try {
      table = readArrow(model.get("series"));
    } catch (e) {
      charts.clear();
      chartBox.append(h("div", { class: "nbt-error", text: `chart: ${e instanceof Error ? e.message : String(e)}` }));
      return;
    }
    if (!table || !table.numRows) return;
    chartBox.querySelector(":scope > .nbt-error")?.remove();
    const points = charts.update(groupSeries(table));
    root.setAttribute("data-points", String(points));
    root.setAttribute("data-updates", String(Number(root.getAttribute("data-updates") || 0) + 1));
  }

  const onInfo = () => renderInfo();
  const onSeries = () => renderSeries();
  model.on("change:run", onInfo);
  model.on("change:metrics", onInfo);
  model.on("change:live", onInfo);
  model.on("change:series", onSeries);
  renderInfo();
  renderSeries();
  return () => {
    model.off("change:run", onInfo);
    model.off("change:metrics", onInfo);
    model.off("change:live", onInfo);
    model.off("change:series", onSeries);
  };
}
