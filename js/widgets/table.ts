// The run table: one page at a time from the kernel (sorting, filtering, paging in DuckDB).
import { Channel, rows } from "../shared/protocol";
import { h, clear, errorBox } from "../shared/dom";
import { fmtValue, fmtDuration, fmtTime } from "../shared/format";
import { OPERATORS, buildFilter, filterText, type Operator } from "../shared/filters";
import { renderCompareInto, renderDiffInto } from "./compare";
import { staleBadge } from "./card";
import type { TableModel, TableTraits, TableFilter } from "./models";

const POLL_MS = 2000;

interface Column { name: string; kind: string }
type Row = Record<string, unknown>;

/** The text of one cell, by column (durations, times, notebook file names) or value. */
export function cellText(column: Column, v: unknown): string {
  if (column.name === "duration_s") return fmtDuration(typeof v === "number" ? v : null);
  if (column.kind === "time" && typeof v === "number") return fmtTime(v);
  if (column.name === "notebook" && typeof v === "string" && v) return v.split(/[\\/]/).pop() ?? v;
  return fmtValue(v);
}

export function renderTable(model: TableModel, el: HTMLElement): () => void {
  const ch = new Channel(model);
  const root = h("div", { class: "nbt nbt-table" });
  el.appendChild(root);

  let columns: Column[] = [];
  let data: Row[] = [];
  let total = 0;
  let offset = 0;
  let version = "";
  let hiddenByDiff: string[] = [];
  let seq = 0;
  let closed = false;

  const search = h("input", { type: "text", placeholder: "search name, tags, id", class: "nbt-search", value: model.get("search") || "" });
  const colSel = h("select", { class: "nbt-f-col", title: "column" });
  const opSel = h("select", { class: "nbt-f-op", title: "operator" }, OPERATORS.map((o) => h("option", { value: o, text: o })));
  const valIn = h("input", { type: "text", placeholder: "value", class: "nbt-f-val" });
  const addBtn = h("button", { class: "nbt-f-add", text: "+ filter", title: "add this condition" });
  const diffToggle = h("input", { type: "checkbox", class: "nbt-diffonly", checked: !!model.get("diff_only") });
  const colsBtn = h("button", { text: "columns ▾", class: "nbt-cols-btn" });
  const colsMenu = h("div", { hidden: true });
  const compareBtn = h("button", { class: "nbt-compare-btn", text: "Compare", disabled: true });
  const diffBtn = h("button", { class: "nbt-diff-btn", text: "Diff", disabled: true, title: "select exactly two runs" });
  const chips = h("div", { class: "nbt-toolbar nbt-chips" });
  const status = h("span", { class: "nbt-muted nbt-count" });
  const prev = h("button", { text: "‹ prev", class: "nbt-prev" });
  const next = h("button", { text: "next ›", class: "nbt-next" });
  const errors = h("div", {});
  const scroll = h("div", { class: "nbt-scroll" });
  const panel = h("div", { class: "nbt-panel" });
  root.append(
    h("div", { class: "nbt-toolbar" }, search, colSel, opSel, valIn, addBtn,
      h("label", {}, diffToggle, " differences only"),
      h("span", { class: "nbt-columns" }, colsBtn, colsMenu), compareBtn, diffBtn),
    chips, errors, scroll,
    h("div", { class: "nbt-toolbar" }, prev, next, status), panel,
  );

  const pageSize = () => Math.max(1, Number(model.get("page_size")) || 50);
  const selected = () => new Set<string>(model.get("selected") || []);

  function setTrait<K extends keyof TableTraits>(name: K, value: TableTraits[K]): void {
    model.set(name, value);
    model.save_changes();
  }

  async function load(resetOffset = false) {
    if (resetOffset) offset = 0;
    const my = ++seq;
    const t0 = performance.now();
    try {
      const reply = await ch.request("page", {
        filters: model.get("filters") || [], search: model.get("search") || "",
        sort: model.get("sort") || [], offset, limit: pageSize(), diff_only: !!model.get("diff_only"),
      });
      if (my !== seq || closed) return; // a newer request superseded this one
      clear(errors);
      const f = reply.fields as { columns?: Column[]; total?: number; hidden?: string[]; complete?: boolean; version?: string };
      columns = f.columns || [];
      total = f.total || 0;
      hiddenByDiff = f.hidden || [];
      if (f.complete) version = f.version || version;
      data = rows(reply.tables.rows);
      root.setAttribute("data-roundtrip-ms", (performance.now() - t0).toFixed(1));
      if (!f.complete) setTimeout(() => !closed && load(), 300);
      draw();
    } catch (e) {
      if (my !== seq || closed) return;
      clear(errors);
      errors.append(errorBox(e));
      drawChips(); // so a bad filter can be removed
    }
  }

  function visibleColumns(): Column[] {
    const hidden = new Set<string>([...(model.get("hidden_columns") || []), ...hiddenByDiff]);
    const pinned: string[] = model.get("pinned") || [];
    const vis = columns.filter((c) => !hidden.has(c.name) || pinned.includes(c.name));
    const pins = pinned.map((p) => vis.find((c) => c.name === p)).filter(Boolean) as Column[];
    return [...pins, ...vis.filter((c) => !pinned.includes(c.name))];
  }

  function draw() {
    // filter column choices
    const cur = colSel.value;
    clear(colSel);
    for (const c of columns) colSel.append(h("option", { value: c.name, text: c.name }));
    if (cur && columns.some((c) => c.name === cur)) colSel.value = cur;
    else colSel.value = (columns.find((c) => c.name.startsWith("metrics.")) || columns.find((c) => c.name === "status"))?.name ?? "";
    drawChips();
    drawColumnsMenu();
    const sel = selected();
    const sort = (model.get("sort") || [])[0];
    const pinned: string[] = model.get("pinned") || [];
    const cols = visibleColumns();
    const table = h("table", { class: "nbt-grid" });
    const headRow = h("tr", {}, h("th", { class: "pinned", style: { left: "0px" } },
      h("input", { type: "checkbox", title: "select this page", class: "nbt-selpage",
        checked: data.length > 0 && data.every((r) => sel.has(String(r.run_id))),
        onchange: (ev: Event) => togglePage((ev.target as HTMLInputElement).checked) })));
    cols.forEach((c) => {
      const arrow = sort && sort.column === c.name ? (sort.dir === "desc" ? " ▼" : " ▲") : "";
      headRow.append(h("th", {
        class: pinned.includes(c.name) ? "pinned" : "", "data-col": c.name, title: `sort by ${c.name}`,
        text: label(c.name) + arrow, onclick: () => sortBy(c.name),
      }));
    });
    const body = h("tbody", {});
    for (const r of data) {
      const id = String(r.run_id);
      const tr = h("tr", { class: sel.has(id) ? "sel" : "", "data-run": id });
      tr.append(h("td", { class: "pinned", style: { left: "0px" } }, h("input", {
        type: "checkbox", checked: sel.has(id), onchange: (ev: Event) => toggle(id, (ev.target as HTMLInputElement).checked),
      })));
      for (const c of cols) {
        const v = r[c.name];
        const td = h("td", {
          class: (c.kind === "number" ? "num " : "") + (pinned.includes(c.name) ? "pinned" : ""),
          text: cellText(c, v),
          title: v === null || v === undefined ? "" : Array.isArray(v) ? v.join(", ") : String(v),
        });
        if (c.name === "status") {
          td.classList.add(`nbt-status-${String(v)}`);
          const badge = staleBadge(r.stale, r.stale_reason);
          if (badge) td.append(" ", badge);
        }
        tr.append(td);
      }
      body.append(tr);
    }
    table.append(h("thead", {}, headRow), body);
    clear(scroll);
    scroll.append(table);
    if (!data.length) scroll.append(h("div", { class: "nbt-muted", style: { padding: "6px" }, text: total ? "" : "no runs match" }));
    fixPinnedOffsets(table);
    const from = total ? offset + 1 : 0;
    status.textContent = `${from.toLocaleString()}–${Math.min(offset + data.length, total).toLocaleString()} of ${total.toLocaleString()} runs` +
      (sel.size ? ` · ${sel.size} selected` : "") + (hiddenByDiff.length ? ` · ${hiddenByDiff.length} identical columns hidden` : "");
    prev.disabled = offset <= 0;
    next.disabled = offset + data.length >= total;
    compareBtn.disabled = sel.size < 1;
    diffBtn.disabled = sel.size !== 2;
  }

  function fixPinnedOffsets(table: HTMLElement): void {
    requestAnimationFrame(() => {
      const heads = Array.from(table.querySelectorAll<HTMLElement>("thead th"));
      let left = 0;
      const lefts: number[] = [];
      heads.forEach((th, i) => {
        lefts[i] = left;
        if (th.classList.contains("pinned")) left += th.offsetWidth;
      });
      table.querySelectorAll("tr").forEach((tr) => {
        Array.from(tr.children).forEach((cell, i) => {
          if (cell instanceof HTMLElement && cell.classList.contains("pinned")) cell.style.left = `${lefts[i]}px`;
        });
      });
    });
  }

  function label(name: string): string {
    return name === "duration_s" ? "duration" : name === "started_at" ? "started" : name;
  }

  function drawChips(): void {
    clear(chips);
    const filters: TableFilter[] = model.get("filters") || [];
    filters.forEach((f, i) => {
      const text = filterText(f, fmtValue);
      chips.append(h("span", { class: "nbt-chip" }, h("span", { text }),
        h("button", { text: "×", title: "remove filter", onclick: () => {
          setTrait("filters", filters.filter((_, j) => j !== i));
        } })));
    });
  }

  function drawColumnsMenu() {
    clear(colsMenu);
    const hidden = new Set<string>(model.get("hidden_columns") || []);
    const pinned: string[] = model.get("pinned") || [];
    for (const c of columns) {
      const show = h("input", { type: "checkbox", checked: !hidden.has(c.name), onchange: (ev: Event) => {
        const next = new Set<string>(model.get("hidden_columns") || []);
        if ((ev.target as HTMLInputElement).checked) next.delete(c.name); else next.add(c.name);
        setTrait("hidden_columns", Array.from(next));
        draw();
      } });
      const pin = h("input", { type: "checkbox", title: "pin", checked: pinned.includes(c.name), onchange: (ev: Event) => {
        const cur: string[] = model.get("pinned") || [];
        setTrait("pinned", (ev.target as HTMLInputElement).checked ? [...cur, c.name] : cur.filter((p) => p !== c.name));
        draw();
      } });
      colsMenu.append(h("label", {}, show, " ", pin, "📌 ", h("span", { text: label(c.name) })));
    }
  }

  function sortBy(col: string) {
    const cur = (model.get("sort") || [])[0];
    const dir = cur && cur.column === col && cur.dir === "desc" ? "asc" : cur && cur.column === col ? "desc" :
      (columns.find((c) => c.name === col)?.kind === "number" ? "desc" : "asc");
    setTrait("sort", [{ column: col, dir }]);
  }

  function toggle(id: string, on: boolean) {
    const s = selected();
    if (on) s.add(id); else s.delete(id);
    setTrait("selected", Array.from(s));
    draw();
  }

  function togglePage(on: boolean) {
    const s = selected();
    for (const r of data) {
      if (on) s.add(String(r.run_id)); else s.delete(String(r.run_id));
    }
    setTrait("selected", Array.from(s));
    draw();
  }

  function addFilter(): void {
    if (!colSel.value) return;
    const numeric = columns.find((c) => c.name === colSel.value)?.kind === "number";
    const f = buildFilter(colSel.value, opSel.value as Operator, valIn.value, numeric);
    if (!f) { valIn.focus(); return; }
    setTrait("filters", [...(model.get("filters") || []), f]);
    valIn.value = "";
  }

  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { setTrait("search", search.value); }, 200);
  });
  addBtn.addEventListener("click", addFilter);
  valIn.addEventListener("keydown", (ev) => { if (ev.key === "Enter") addFilter(); });
  diffToggle.addEventListener("change", () => { setTrait("diff_only", diffToggle.checked); });
  colsBtn.addEventListener("click", () => { colsMenu.hidden = !colsMenu.hidden; });
  prev.addEventListener("click", () => { offset = Math.max(0, offset - pageSize()); load(); });
  next.addEventListener("click", () => { if (offset + pageSize() < total) { offset += pageSize(); load(); } });
  compareBtn.addEventListener("click", () => {
    clear(panel);
    renderCompareInto(ch, panel, Array.from(selected()));
  });
  diffBtn.addEventListener("click", () => {
    clear(panel);
    renderDiffInto(ch, panel, Array.from(selected()));
  });

  const onSelected = () => draw();
  const onQuery = () => load(true);
  model.on("change:selected", onSelected);
  model.on("change:filters", onQuery);
  model.on("change:sort", onQuery);
  model.on("change:search", onQuery);
  model.on("change:diff_only", onQuery);

  // New runs: ask the kernel every 2 s whether the store changed (a cheap stat), then reload.
  const poll = setInterval(async () => {
    if (closed || document.hidden) return;
    try {
      const r = await ch.request("poll", {}, 10000);
      const v = typeof r.fields.version === "string" ? r.fields.version : "";
      if (v && version && v !== version) void load();
      else if (v && !version) version = v;
    } catch (_) { /* the kernel is busy: try again later */ }
  }, POLL_MS);

  load(true);
  return () => {
    closed = true;
    clearInterval(poll);
    model.off("change:selected", onSelected);
    model.off("change:filters", onQuery);
    model.off("change:sort", onQuery);
    model.off("change:search", onQuery);
    model.off("change:diff_only", onQuery);
    ch.close();
  };
}
