// The run card's live chart: one small hand-drawn SVG line chart per series key (no vega, so the
// card's bundle stays a few tens of KB). Min/max labels on both axes, a polyline, the last value.
// All text goes through textContent; numbers only go into attributes.
import { Frame } from "../shared/arrow";
import { h, clear, svg } from "../shared/dom";
import { fmtNumber } from "../shared/format";
import { extent, scale } from "../shared/chart";

const W = 240, H = 104;
const L = 50, R = 8, T = 6, B = 18; // plot margins: y labels left, x labels below
const PW = W - L - R, PH = H - T - B;

function s(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  return text === undefined ? svg(tag, attrs) : svg(tag, attrs, text);
}

interface Panel { box: HTMLElement; last: HTMLElement; svg: SVGElement; line: SVGElement; dot: SVGElement; labels: SVGElement[] }

export interface Series { key: string; steps: number[]; values: number[] }

/** Group a (key, step, value) frame by key, in order of first appearance, finite points only. */
export function groupSeries(table: Frame): Series[] {
  const keys = table.column("key") || [], steps = table.column("step") || [], values = table.column("value") || [];
  const out = new Map<string, Series>();
  for (let i = 0; i < table.numRows; i++) {
    const x = Number(steps[i]), y = Number(values[i]);
    if (!isFinite(x) || !isFinite(y)) continue;
    const k = String(keys[i]);
    let ser = out.get(k);
    if (!ser) out.set(k, (ser = { key: k, steps: [], values: [] }));
    ser.steps.push(x);
    ser.values.push(y);
  }
  return [...out.values()];
}

function makePanel(key: string): Panel {
  const last = h("span", { class: "nbt-lc-last" });
  const box = h("div", { class: "nbt-lc", "data-key": key }, h("div", { class: "nbt-lc-title", title: key }, h("code", { text: key }), " ", last));
  const svg = s("svg", { class: "nbt-lc-svg", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img" });
  svg.append(s("rect", { class: "nbt-lc-frame", x: L, y: T, width: PW, height: PH }));
  const labels = [
    s("text", { class: "nbt-lc-ymax", x: L - 4, y: T + 8, "text-anchor": "end" }),
    s("text", { class: "nbt-lc-ymin", x: L - 4, y: T + PH, "text-anchor": "end" }),
    s("text", { class: "nbt-lc-xmin", x: L, y: H - 4, "text-anchor": "start" }),
    s("text", { class: "nbt-lc-xmax", x: L + PW, y: H - 4, "text-anchor": "end" }),
  ];
  const line = s("polyline", { class: "nbt-lc-line", points: "" });
  const dot = s("circle", { class: "nbt-lc-dot", r: 2.5, cx: -10, cy: -10 });
  svg.append(...labels, line, dot);
  box.append(svg as unknown as Node);
  return { box, last, svg, line, dot, labels };
}

/** The raw [min, max] of finite values (the axis labels; extent() widens a flat range). */
function range(values: number[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function drawPanel(p: Panel, ser: Series): void {
  const { steps: xs, values: ys } = ser;
  const n = xs.length;
  const [x0, x1] = range(xs), [y0, y1] = range(ys);
  const flatX = x0 === x1;
  const px = flatX ? () => L + PW / 2 : scale(extent(xs), L, L + PW);
  const py = scale(extent(ys), T + PH, T); // a flat series is drawn mid-plot
  const pts = new Array(n);
  for (let i = 0; i < n; i++) pts[i] = `${px(xs[i]).toFixed(1)},${py(ys[i]).toFixed(1)}`;
  p.line.setAttribute("points", pts.join(" "));
  p.line.setAttribute("data-n", String(n));
  const lastY = ys[n - 1];
  p.dot.setAttribute("cx", px(xs[n - 1]).toFixed(1));
  p.dot.setAttribute("cy", py(lastY).toFixed(1));
  const text = [fmtNumber(y1), fmtNumber(y0), fmtNumber(x0), fmtNumber(x1)];
  p.labels.forEach((el, i) => (el.textContent = text[i]));
  p.last.textContent = `${fmtNumber(lastY)} @ ${fmtNumber(xs[n - 1])}`;
  p.svg.setAttribute("aria-label", `${ser.key}: ${n} points, last ${fmtNumber(lastY)}`);
}

/** Live line charts in `box`, one per key; `update` reuses the panels of keys already drawn. */
export class LineCharts {
  private panels = new Map<string, Panel>();
  constructor(private box: HTMLElement) {
    box.classList.add("nbt-lcs");
  }

  update(series: Series[]): number {
    const seen = new Set<string>();
    let points = 0, idx = 0;
    for (const ser of series) {
      if (!ser.steps.length) continue;
      seen.add(ser.key);
      let p = this.panels.get(ser.key);
      if (!p) {
        p = makePanel(ser.key);
        this.panels.set(ser.key, p);
      }
      const at = this.box.children[idx++];
      if (at !== p.box) this.box.insertBefore(p.box, at || null); // keeps the kernel's key order
      drawPanel(p, ser);
      points += ser.steps.length;
    }
    for (const [k, p] of this.panels) {
      if (!seen.has(k)) {
        p.box.remove();
        this.panels.delete(k);
      }
    }
    return points;
  }

  clear() {
    this.panels.clear();
    clear(this.box);
  }
}
