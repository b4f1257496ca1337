// Decode time of the widgets' Arrow replies: @uwdata/flechette vs apache-arrow vs the old
// hand-written reader (js/widgets/arrow.ts, bundled to old_reader.mjs by run.sh).
// Each decoder turns the stream into what the widgets use: row objects (table page) or
// the three columns (series).
import { readFileSync } from "node:fs";
import { tableFromIPC as flechette } from "@uwdata/flechette";
import { tableFromIPC as arrowjs } from "apache-arrow";

const dir = process.argv[2];
const old = process.argv[3] ? await import(process.argv[3]) : null;
const page = new Uint8Array(readFileSync(`${dir}/table_page.arrow`));
const series = new Uint8Array(readFileSync(`${dir}/series.arrow`));

const decoders = {
  flechette: {
    page: (b) => flechette(b, { useDate: false }).toArray(),
    series: (b) => { const t = flechette(b); return ["key", "step", "value"].map((c) => t.getChild(c).toArray()); },
  },
  "apache-arrow": {
    page: (b) => arrowjs(b).toArray().map((r) => r.toJSON()),
    series: (b) => { const t = arrowjs(b); return ["key", "step", "value"].map((c) => t.getChild(c).toArray()); },
  },
};
if (old) decoders["old reader"] = {
  page: (b) => old.readIPC(b).rows(),
  series: (b) => { const t = old.readIPC(b); return ["key", "step", "value"].map((c) => t.column(c)); },
};

function median(fn, bytes, reps) {
  for (let i = 0; i < 5; i++) fn(bytes);
  const ts = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); fn(bytes); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

for (const [name, d] of Object.entries(decoders)) {
  const p = median(d.page, page, 200), s = median(d.series, series, 30);
  console.log(`${name.padEnd(14)} table page (50x36) ${p.toFixed(3)} ms   series (200k points) ${s.toFixed(2)} ms`);
}
