#!/bin/sh
# Bundle size and decode speed of the Arrow decoders the widgets could use (issue 13 part 4).
# Usage (from the repository root): sh benchmarks/arrow_decode/run.sh
set -e
tmp=$(mktemp -d)
.venv/bin/python benchmarks/arrow_decode/make_data.py "$tmp" >/dev/null
for lib in @uwdata/flechette apache-arrow; do
  echo "import { tableFromIPC } from '$lib'; export default tableFromIPC;" > benchmarks/arrow_decode/.entry.mjs
  npx esbuild benchmarks/arrow_decode/.entry.mjs --bundle --format=esm --minify --outfile="$tmp/b.js" --log-level=error
  echo "$lib: $(wc -c < "$tmp/b.js") bytes minified, $(gzip -9c "$tmp/b.js" | wc -c) gzipped (tableFromIPC only)"
done
if [ -f js/widgets/arrow.ts ]; then
  npx esbuild js/widgets/arrow.ts --bundle --format=esm --outfile="$tmp/old_reader.mjs" --log-level=error
  old="$tmp/old_reader.mjs"
fi
node benchmarks/arrow_decode/bench.mjs "$tmp" ${old:+"$old"}
rm -rf "$tmp" benchmarks/arrow_decode/.entry.mjs
