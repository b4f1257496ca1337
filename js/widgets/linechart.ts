// The run card's live chart: one small hand-drawn SVG line chart per series key (no vega, so the
// card's bundle stays a few tens of KB). Min/max labels on both axes, a polyline, the last value.
// All text goes through textContent; numbers only go into attributes.
import { Frame } from "./arrow";
import { h, clear, fmt } from "./dom";

const SVG = "http://www.w3.org/2000/svg";
const W = 240, H = 104;
const L = 50, R = 8, T = 6, B = 18; // plot margins: y labels left, x labels below
const PW = W - L - R, PH = H - T - B;

function s(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text != null) el.textContent = text;
  return el;
}

/** A short axis label: 4 significant digits, exponent for very large or small numbers. */
export function short(v: number): string {
  if (!isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e6 || a < 1e-3) return v.toExponential(2).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
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

function drawPanel(p: Panel, ser: Series) {
  const { steps: xs, values: ys } = ser;
  const n = xs.length;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    if (xs[i] < x0) x0 = xs[i];
    if (xs[i] > x1) x1 = xs[i];
    if (ys[i] < y0) y0 = ys[i];
    if (ys[i] > y1) y1 = ys[i];
  }
  const [lo, hi] = y0 === y1 ? [y0 - (Math.abs(y0) || 1) * 0.05, y1 + (Math.abs(y1) || 1) * 0.05] : [y0, y1];
  const sx = x1 > x0 ? PW / (x1 - x0) : 0;
  const sy = PH / (hi - lo);
  const px = (x: number) => (sx ? L + (x - x0) * sx : L + PW / 2);
  const py = (y: number) => T + PH - (y - lo) * sy;
  const pts = new Array(n);
  for (let i = 0; i < n; i++) pts[i] = `${px(xs[i]).toFixed(1)},${py(ys[i]).toFixed(1)}`;
  p.line.setAttribute("points", pts.join(" "));
  p.line.setAttribute("data-n", String(n));
  const lastY = ys[n - 1];
  p.dot.setAttribute("cx", px(xs[n - 1]).toFixed(1));
  p.dot.setAttribute("cy", py(lastY).toFixed(1));
  const text = [short(y1), short(y0), short(x0), short(x1)];
  p.labels.forEach((el, i) => (el.textContent = text[i]));
  p.last.textContent = `${fmt(lastY)} @ ${fmt(xs[n - 1])}`;
  p.svg.setAttribute("aria-label", `${ser.key}: ${n} points, last ${fmt(lastY)}`);
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
