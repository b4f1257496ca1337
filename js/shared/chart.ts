/**
 * The geometry both front ends' hand-drawn SVG line charts share: finite points split into
 * segments at NaN/inf, extents, scales and polyline points. (The widgets' compare view uses
 * vega-lite; the run card and the sidebar draw these small charts without it.)
 */

export interface Point {
  x: number;
  y: number;
}

/** Finite points, split into segments where a step or value is missing, NaN or infinite. */
export function segments(
  steps: ArrayLike<unknown>,
  values: ArrayLike<unknown>,
  toNumber: (v: unknown) => number = Number
): Point[][] {
  const out: Point[][] = [[]];
  for (let i = 0; i < values.length; i++) {
    const x = steps[i] === null || steps[i] === undefined ? NaN : toNumber(steps[i]);
    const y = values[i] === null || values[i] === undefined ? NaN : toNumber(values[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (out[out.length - 1].length) {
        out.push([]);
      }
      continue;
    }
    out[out.length - 1].push({ x, y });
  }
  return out.filter(s => s.length);
}

/** [min, max] of finite values; a flat range is widened so it can be scaled. */
export function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) {
    return [0, 1];
  }
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

/** A linear map of [d0, d1] onto [r0, r1]. */
export function scale([d0, d1]: [number, number], r0: number, r1: number): (v: number) => number {
  const k = (r1 - r0) / (d1 - d0);
  return v => r0 + (v - d0) * k;
}

/** The `points` attribute of an SVG polyline. */
export function polylinePoints(pts: Point[], sx: (v: number) => number, sy: (v: number) => number): string {
  return pts.map(p => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
}

export const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'
];
