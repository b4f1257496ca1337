"""One presentation: nbtrack/format.py and js/shared/format.ts show every value the same way.

The case table js/shared/format_cases.json is asserted here and by js/shared/format.test.ts;
the TypeScript formatter also runs in node on thousands of generated values and must give
Python's text for each; and the tricky set goes through the Python surfaces (text summary,
card traits, diff, HTML report, CLI). The browser surfaces (card, table, sidebar) are in
tests/browser/test_theme_browser.py.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from pathlib import Path

import pytest

import nbtrack
from nbtrack.format import format_duration, format_number, format_time, format_value

ROOT = Path(__file__).resolve().parents[1]
CASES = json.loads((ROOT / "js" / "shared" / "format_cases.json").read_text())
TRICKY = {
    "big": 1234567.891,
    "tiny": 1e-7,
    "negzero": -0.0,
    "nan": math.nan,
    "pinf": math.inf,
    "ninf": -math.inf,
    "huge": 2**63,
}


def case_value(c):
    v = c["value"]
    if c.get("kind") == "int":
        return int(v)
    return float(v) if isinstance(v, str) else v


@pytest.mark.parametrize("case", CASES["numbers"], ids=lambda c: str(c["value"]))
def test_number_cases(case):
    assert format_number(case_value(case)) == case["text"]
    assert format_value(case_value(case)) == case["text"]


@pytest.mark.parametrize("case", CASES["durations"], ids=lambda c: str(c["value"]))
def test_duration_cases(case):
    assert format_duration(case_value(case)) == case["text"]


def test_time_case(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        for c in CASES["times"]:
            assert format_time(c["epoch_s"]) == c["text"]
    finally:
        monkeypatch.undo()
        time.tzset()


def test_values_read_as_python_users_expect():
    import numpy as np

    assert format_value(None) == "—"
    assert format_value(True) == "True"
    assert format_value("rf") == "rf"
    assert format_value(np.float64(1234567.891)) == "1.235e+6"
    assert format_value(np.int64(7)) == "7"
    assert format_value([0.5, "a"]) == "[0.5, a]"


def generated_values(n=3000, seed=0):
    """Floats over every magnitude and sign, halves that tie, integers near the thresholds."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        mag = 10 ** rng.uniform(-9, 22)
        out.append(rng.choice([1, -1]) * mag)
        out.append(round(rng.uniform(-2e6, 2e6), rng.randint(0, 6)))
    out += [k + 0.5 for k in range(990, 1010)] + [10**k for k in range(-8, 22)] + [0.001, 0.000999, 999999.4999]
    return out


def durations(n=2000, seed=1):
    rng = random.Random(seed)
    return [10 ** rng.uniform(-4, 6) for _ in range(n)] + [0.0005, 0.9995, 9.95, 59.5, 3599.5, 86399.9]


def test_typescript_formatter_agrees_with_python(tmp_path):
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    if not shutil.which("node") or not esbuild.exists():
        pytest.skip("node and node_modules are needed to run the front end's formatter")
    numbers, secs = generated_values(), durations()
    (tmp_path / "in.json").write_text(json.dumps({"numbers": numbers, "durations": secs}))
    harness = tmp_path / "harness.ts"
    harness.write_text(f"""
import {{ fmtNumber, fmtDuration }} from {json.dumps(str(ROOT / "js" / "shared" / "format"))};
const fs = require("fs");
const inp = JSON.parse(fs.readFileSync({json.dumps(str(tmp_path / "in.json"))}, "utf8"));
console.log(JSON.stringify({{
  numbers: inp.numbers.map((x: number) => fmtNumber(x)),
  durations: inp.durations.map((x: number) => fmtDuration(x)),
}}));
""")
    subprocess.run(
        [
            str(esbuild),
            str(harness),
            "--bundle",
            "--platform=node",
            f"--outfile={tmp_path / 'h.js'}",
            "--log-level=error",
        ],
        check=True,
        cwd=ROOT,
    )
    got = json.loads(
        subprocess.run(["node", str(tmp_path / "h.js")], capture_output=True, text=True, check=True).stdout
    )
    # JSON parses each float back to the same double, so both sides format the same number
    mismatches = [(x, js, format_number(x)) for x, js in zip(numbers, got["numbers"]) if js != format_number(x)]
    assert not mismatches, mismatches[:10]
    mismatches = [(x, js, format_duration(x)) for x, js in zip(secs, got["durations"]) if js != format_duration(x)]
    assert not mismatches, mismatches[:10]


def test_tricky_values_read_the_same_on_every_python_surface(store):
    """Text summary, the card's traits, the diff, the HTML report and the CLI diff."""
    from nbtrack.capture.summary import RunSummary
    from nbtrack.widgets.card import RunCard

    ids = []
    for name, scale in (("a", 1), ("b", 2)):
        with nbtrack.start(
            name=name, params={f"p_{k}": v for k, v in TRICKY.items()}, store_path=str(store.dir)
        ) as run:
            for k, v in TRICKY.items():
                if isinstance(v, float):
                    nbtrack.log_metrics(**{f"m_{k}": v * scale if math.isfinite(v) and v else v})
        ids.append(run.run_id)
    store.flush()
    want = {k: format_number(v) for k, v in TRICKY.items()}
    assert want == {
        "big": "1.235e+6",
        "tiny": "1e-7",
        "negzero": "0",
        "nan": "NaN",
        "pinf": "inf",
        "ninf": "-inf",
        "huge": "9.223e+18",
    }

    text = repr(RunSummary(run, None, {}))
    for k, v in TRICKY.items():
        assert f"p_{k}={format_value(v)}" in text
    assert f"m_big = {format_number(2 * 1234567.891)}" in text  # run b's metric, doubled

    card = RunCard(run)
    card.finish(RunSummary(run, None, {}))
    params = dict(card.run["params"])
    assert {k[2:]: v for k, v in params.items()} == want
    metrics = {m["key"]: m["value"] for m in card.metrics}
    assert metrics["m_nan"] == "NaN" and metrics["m_pinf"] == "inf" and metrics["m_ninf"] == "-inf"
    assert metrics["m_tiny"] == format_number(2e-7) == "2e-7"

    widget = nbtrack.diff(ids[0], ids[1])
    content, buffers = widget.handle_request({"type": "diff", "uuid": "d"})
    import pyarrow as pa

    tables = {n: pa.ipc.open_stream(pa.py_buffer(bytes(b))).read_all() for n, b in zip(content["tables"], buffers)}
    diff_params = {r["key"]: r["a"] for r in tables["params"].to_pylist()}
    assert {k[2:]: v for k, v in diff_params.items()} == want
    diff_metrics = {r["key"]: (r["a"], r["b"]) for r in tables["metrics"].to_pylist()}
    assert diff_metrics["m_big"] == ("1.235e+6", "2.469e+6")

    from nbtrack.html_report import _text

    assert [_text(v) for v in TRICKY.values()] == list(want.values())
