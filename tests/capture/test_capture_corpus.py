"""Capture quality over tests/capture/corpus/cells.py (cells in the styles of public notebooks), and the
rule above all on the same cells: tracked and untracked cells give the same outputs, exception
and namespace.

Precision and recall are over keys (params and metrics apart); a param whose value differs from
the expected one counts as missed. The figures are printed (``pytest -s``) and must reach
90% param recall, 90% metric recall and 95% precision.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import nbtrack

sys.path.insert(0, str(Path(__file__).parent))
from corpus.cells import ANY, CELLS, SETUP  # noqa: E402
from corpus.holdout import HOLDOUT, HOLDOUT_SETUP  # noqa: E402

ALL = CELLS + HOLDOUT

pytest.importorskip("lightgbm")
pytest.importorskip("xgboost")


def _captured(ip, source: str):
    r = ip.cell("%%track -q\n" + source)
    assert r.error_in_exec is None, r.error_in_exec
    rec = nbtrack.get_run(nbtrack.runs(limit=1).run_id[0])
    metrics = {k for k in rec.metrics if not k.startswith("sys.")}
    return rec.params, metrics


def _same_value(a, b) -> bool:
    if b is ANY:
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def _score(ip, cells):
    """(tp, fp, fn) for params and for metrics, the per-cell differences, the absent keys seen."""
    p = [0, 0, 0]
    m = [0, 0, 0]
    report, violations = [], []
    for cell in cells:
        params, metrics = _captured(ip, cell.source)
        ok = set(cell.ok)
        hit = {k for k, v in cell.params.items() if k in params and _same_value(params[k], v)}
        extra_p = {k for k in params if k not in cell.params and k not in ok}
        missed_p = set(cell.params) - hit
        hit_m = set(cell.metrics) & metrics
        extra_m = {k for k in metrics if k not in cell.metrics and k not in ok}
        missed_m = set(cell.metrics) - hit_m
        p[0] += len(hit)
        p[1] += len(extra_p) + len(missed_p & set(params))  # a wrong value is a false positive too
        p[2] += len(missed_p)
        m[0] += len(hit_m)
        m[1] += len(extra_m)
        m[2] += len(missed_m)
        bad = [k for k in cell.absent if k in params or k in metrics]
        if bad:
            violations.append(f"{cell.name}: {bad}")
        if extra_p or missed_p or extra_m or missed_m:
            report.append(
                f"{cell.name}: params missed {sorted(missed_p)} extra {sorted(extra_p)}; "
                f"metrics missed {sorted(missed_m)} extra {sorted(extra_m)}"
            )
    return p, m, report, violations


def _figures(label, n, p, m):
    p_recall, m_recall = p[0] / (p[0] + p[2]), m[0] / (m[0] + m[2])
    precision = (p[0] + m[0]) / (p[0] + p[1] + m[0] + m[1])
    print(
        f"\n{label}: {n} cells; param recall {p_recall:.1%} ({p[0]}/{p[0] + p[2]}), "
        f"metric recall {m_recall:.1%} ({m[0]}/{m[0] + m[2]}), precision {precision:.1%} "
        f"(params {p[0]}/{p[0] + p[1]}, metrics {m[0]}/{m[0] + m[1]})"
    )
    return p_recall, m_recall, precision


def test_corpus_precision_and_recall(ip, store):
    assert len(ALL) >= 60
    ip.cell(SETUP + HOLDOUT_SETUP)
    p1, m1, report1, bad1 = _score(ip, CELLS)
    p2, m2, report2, bad2 = _score(ip, HOLDOUT)
    _figures("corpus (tuned)", len(CELLS), p1, m1)
    _figures("holdout (written after tuning)", len(HOLDOUT), p2, m2)
    p_recall, m_recall, precision = _figures(
        "all", len(ALL), [a + b for a, b in zip(p1, p2)], [a + b for a, b in zip(m1, m2)]
    )
    report = report1 + report2
    print("\n".join(report))
    assert not bad1 + bad2, bad1 + bad2
    assert p_recall >= 0.90 and m_recall >= 0.90 and precision >= 0.95, "\n".join(report)


_CLOCK_NAMES = {"t0", "elapsed", "start_time"}
_CLOCKS = re.compile(r"\d+(\.\d+)?\s*(ns|µs|μs|us|ms|s)\b")


def _observe(ip, source: str, capsys):
    capsys.readouterr()
    r = ip.cell(source)
    out = capsys.readouterr()
    text = _CLOCKS.sub("<t>", out.out)  # %%time prints timings
    text = re.sub(r"Out\[\d+\]", "Out[n]", text)  # the prompt number moves on
    ns = {}
    for name, value in ip.user_ns.items():
        if name.startswith("_") or name in ("In", "Out", "exit", "quit", "get_ipython"):
            continue
        if name in _CLOCK_NAMES:  # clock readings differ between any two runs
            value = type(value).__name__
        ns[name] = _fingerprint(value)
    err = type(r.error_in_exec).__name__ if r.error_in_exec else None
    return text, _fingerprint(r.result), err, ns


def _fingerprint(value):
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, value.tobytes() if value.dtype != object else None)
    if isinstance(value, (int, float, str, bool, type(None))):
        return value
    return type(value).__qualname__


@pytest.mark.parametrize("cell", ALL, ids=[c.name for c in ALL])
def test_tracked_cell_equals_untracked(ip, store, capsys, cell):
    ip.cell(SETUP + HOLDOUT_SETUP)
    plain = _observe(ip, cell.source, capsys)
    ip.cell(SETUP + HOLDOUT_SETUP)
    tracked = _observe(ip, "%%track -q\n" + cell.source, capsys)
    assert tracked[0] == plain[0]  # stdout
    assert tracked[1] == plain[1]  # displayed value
    assert tracked[2] == plain[2]  # exception
    assert tracked[3].keys() - {"nbtrack"} == plain[3].keys() - {"nbtrack"}
    assert tracked[3] == plain[3]
