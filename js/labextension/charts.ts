/** Small inline SVG charts (no dependencies): a sparkline and an overlaid line chart. */
import { Num, num } from './api';
import { fmtNumber } from './format';
import { svg } from '../shared/dom';
import { Point, extent, segments as finiteSegments } from '../shared/chart';

export { PALETTE } from '../shared/chart';

export interface Line {
  label: string;
  color: string;
  steps: Num[];
  values: Num[];
}

type Pt = Point;

/** Finite points, split into segments where a value is NaN/infinite. */
function segments(line: Line): Pt[][] {
  return finiteSegments(line.steps, line.values, (x: unknown) => num(x) ?? NaN);
}

export function sparkline(line: Line, width = 120, height = 26): SVGElement {
  const segs = segments(line);
  const pts = segs.flat();
  const [x0, x1] = extent(pts.map(p => p.x));
  const [y0, y1] = extent(pts.map(p => p.y));
  const sx = (x: number) => 1 + ((x - x0) / (x1 - x0)) * (width - 2);
  const sy = (y: number) => height - 2 - ((y - y0) / (y1 - y0)) * (height - 4);
  const root = svg('svg', {
    class: 'nbtrack-sparkline',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img'
  });
  root.appendChild(svg('title', {}, `${line.label}: ${pts.length} points, ${fmtNumber(y0)} … ${fmtNumber(y1)}`));
  for (const seg of segs) {
    root.appendChild(
      svg('polyline', {
        points: seg.map(p => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' '),
        fill: 'none',
        stroke: line.color,
        'stroke-width': 1.3
      })
    );
  }
  if (pts.length) {
    const last = pts[pts.length - 1];
    root.appendChild(svg('circle', { cx: sx(last.x), cy: sy(last.y), r: 2, fill: line.color }));
  }
  return root;
}

/** Overlaid curves with axes labels at the extremes and a hover readout. */
export function lineChart(title: string, lines: Line[], width = 460, height = 220): SVGElement {
  const margin = { l: 56, r: 12, t: 22, b: 26 };
  const all = lines.map(l => ({ line: l, segs: segments(l) }));
  const pts = all.flatMap(a => a.segs.flat());
  const [x0, x1] = extent(pts.map(p => p.x));
  const [y0, y1] = extent(pts.map(p => p.y));
  const iw = width - margin.l - margin.r;
  const ih = height - margin.t - margin.b;
  const sx = (x: number) => margin.l + ((x - x0) / (x1 - x0)) * iw;
  const sy = (y: number) => margin.t + ih - ((y - y0) / (y1 - y0)) * ih;
  const root = svg('svg', {
    class: 'nbtrack-chart',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img'
  });
  root.appendChild(svg('title', {}, title));
  root.appendChild(svg('text', { x: margin.l, y: 14, class: 'nbtrack-chart-title' }, title));
  root.appendChild(
    svg('rect', { x: margin.l, y: margin.t, width: iw, height: ih, class: 'nbtrack-chart-frame' })
  );
  const label = (x: number, y: number, text: string, anchor: string) =>
    root.appendChild(svg('text', { x, y, 'text-anchor': anchor, class: 'nbtrack-chart-axis' }, text));
  label(margin.l - 4, margin.t + 8, fmtNumber(y1), 'end');
  label(margin.l - 4, margin.t + ih, fmtNumber(y0), 'end');
  label(margin.l, height - 8, fmtNumber(x0), 'start');
  label(margin.l + iw, height - 8, fmtNumber(x1), 'end');
  label(margin.l + iw / 2, height - 8, 'step', 'middle');
  for (const { line, segs } of all) {
    for (const seg of segs) {
      const attrs: Record<string, string | number> = {
        points: seg.map(p => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' '),
        fill: 'none',
        stroke: line.color,
        'stroke-width': 1.6
      };
      const poly = svg('polyline', attrs);
      poly.appendChild(svg('title', {}, line.label));
      root.appendChild(poly);
      if (seg.length === 1) {
        root.appendChild(svg('circle', { cx: sx(seg[0].x), cy: sy(seg[0].y), r: 2.5, fill: line.color }));
      }
    }
  }
  if (!pts.length) {
    label(margin.l + iw / 2, margin.t + ih / 2, 'no finite points', 'middle');
  }
  return root;
}
