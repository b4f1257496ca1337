// Time of the sidebar's "is this row unchanged?" check over one refresh of the list, when no
// row changed (the usual case: the list is re-read every second while a run logs).
// old: the key of the code before issue 13 (panel.ts `rowKey`: JSON.stringify of the whole
// row, once to compare and once to store, per row); new: rowShowsSame(drawn, run).
// Each refresh gets new row objects (the reply is parsed again), as in the panel.
const { rowShowsSame } = await import(process.argv[2]);

function row(i) {
  const params = {};
  for (let k = 0; k < 9; k++) params[`param_${k}`] = k % 3 ? k * 0.125 + i : `value-${k}`;
  params.layers = [64, 32, 16];
  const metrics = { accuracy: 0.9 + i * 1e-6, f1: 0.8, loss: 0.25, val_loss: 'NaN', epoch_time: 12.5 };
  return {
    run_id: `01JE${String(i).padStart(12, '0')}`, name: `run ${i}`, experiment: 'exp',
    notebook: '/home/user/project/train.ipynb', notebook_path: 'project/train.ipynb', cell_id: `cell-${i % 20}`,
    status: 'finished', started_at: '2026-12-04 10:00:00', ended_at: '2026-12-04 10:00:05', duration_s: 5.25,
    tags: ['baseline', 'cpu'], execution_count: i, error_type: null, error_message: null,
    source_head: '%%track\n' + 'clf = RandomForestClassifier(n_estimators=100).fit(X_train, y_train)\n'.repeat(6),
    params, metrics, stale: false, stale_reason: null
  };
}

const checks = {
  old: (drawn, runs) => {
    let same = 0;
    for (const run of runs) {
      if (drawn.get(run.run_id).data === JSON.stringify(run)) same++;
      drawn.get(run.run_id).data = JSON.stringify(run);
    }
    return same;
  },
  new: (drawn, runs) => {
    let same = 0;
    for (const run of runs) {
      if (rowShowsSame(drawn.get(run.run_id).run, run)) same++;
      drawn.get(run.run_id).run = run;
    }
    return same;
  }
};

for (const n of [200, 1000]) {
  const text = JSON.stringify(Array.from({ length: n }, (_, i) => row(i)));
  const replies = Array.from({ length: 50 }, () => JSON.parse(text)); // parsed outside the timing
  const times = { old: [], new: [] };
  const drawn = { old: new Map(), new: new Map() };
  for (const r of JSON.parse(text)) {
    drawn.old.set(r.run_id, { data: JSON.stringify(r) });
    drawn.new.set(r.run_id, { run: r });
  }
  for (let rep = 0; rep < 400; rep++) {
    for (const name of rep % 2 ? ['new', 'old'] : ['old', 'new']) { // interleaved, order alternating
      const runs = replies[rep % replies.length];
      const t = process.hrtime.bigint();
      const same = checks[name](drawn[name], runs);
      times[name].push(Number(process.hrtime.bigint() - t) / 1e6);
      if (same !== n) throw new Error(`${name}: ${same} of ${n} rows found unchanged`);
    }
  }
  const median = xs => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  const q = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length * p)];
  for (const name of ['old', 'new']) {
    const xs = times[name];
    console.log(`${n} rows, ${name}: median ${median(xs).toFixed(3)} ms per refresh (p10 ${q(xs, 0.1).toFixed(3)}, p90 ${q(xs, 0.9).toFixed(3)}), ${xs.length} refreshes`);
  }
  console.log(`${n} rows: old / new = ${(median(times.old) / median(times.new)).toFixed(1)}x`);
}
