#!/bin/sh
# The sidebar's row reuse check on a refresh (issue 13 part 1): the old key (the whole row as
# JSON, made twice per row) against rowShowsSame (js/labextension/runrow.ts), interleaved.
# Usage (from the repository root): sh benchmarks/sidebar_rows/run.sh
set -e
tmp=$(mktemp -d)
echo "export { rowShowsSame } from '$(pwd)/js/labextension/runrow';" > "$tmp/entry.ts"
# (the bundle pulls in JupyterLab packages that require() node modules: give it a require)
npx esbuild "$tmp/entry.ts" --bundle --format=esm --platform=node --outfile="$tmp/new.mjs" --log-level=error \
  --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
node benchmarks/sidebar_rows/bench.mjs "$tmp/new.mjs"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$tmp"
