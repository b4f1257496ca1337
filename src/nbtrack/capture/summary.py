"""The compact summary under a tracked cell: HTML in a notebook, text in a terminal.

Every user-provided string goes through ``html.escape``: a run called ``<img onerror=...>``
shows those characters.
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Any

from .values import safe_repr

_LOWER_IS_BETTER = re.compile(r"loss|err|mse|mae|rmse|perplexity|time|latency|duration", re.I)


def lower_is_better(key: str) -> bool:
    return bool(_LOWER_IS_BETTER.search(key))


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x)
        return f"{x:.4g}"
    return safe_repr(x, 60)


format_value = _fmt  # the text a card or table shows for a param or metric value


class RunSummary:
    def __init__(self, run, previous: dict[str, float] | None, best: dict[str, float]):
        self.run = run
        self.previous = previous or {}
        self.best = best

    def _metric_parts(self, key: str, value: float) -> tuple[str, str, str]:
        delta, best = "", ""
        prev = self.previous.get(key)
        if prev is not None and math.isfinite(value) and math.isfinite(prev):
            d = value - prev
            better = (d < 0) if lower_is_better(key) else (d > 0)
            sign = "+" if d >= 0 else "-"
            delta = f"{sign}{abs(d):.3g} vs. previous" + ("" if d == 0 else (" ▲" if better else " ▼"))
        b = self.best.get(key)
        if b is not None:
            best = f"best {_fmt(b)}"
        return _fmt(value), delta, best

    def metric_rows(self) -> list[dict]:
        """One dict per final metric for the run card: key, value, delta, better, best
        (all text except ``better``: True/False when it changed vs. the previous run)."""
        rows = []
        for key, value in self.run.metrics.items():
            v, delta, best = self._metric_parts(key, value)
            prev = self.previous.get(key)
            better = None
            if prev is not None and math.isfinite(value) and math.isfinite(prev) and value != prev:
                better = (value < prev) if lower_is_better(key) else (value > prev)
            is_best = self.best.get(key) == value and len(self.previous) > 0
            rows.append({"key": str(key), "value": v, "delta": delta.replace(" ▲", "").replace(" ▼", ""),
                         "better": better, "best": best, "is_best": bool(is_best)})
        return rows

    def __repr__(self) -> str:
        r = self.run
        lines = [f"nbtrack run {r.run_id} {r.status} in {r.duration_s:.2f}s"
                 + (f" ({r.name})" if r.name else "")]
        if r.params:
            lines.append("  params:  " + ", ".join(f"{k}={_fmt(v)}" for k, v in r.params.items()))
        for key, value in r.metrics.items():
            v, delta, best = self._metric_parts(key, value)
            lines.append(f"  {key} = {v}" + (f"  ({delta})" if delta else "") + (f"  [{best}]" if best else ""))
        if r.error:
            lines.append(f"  error: {r.error['type']}: {r.error['message']}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        r = self.run
        color = {"finished": "#1a7f37", "failed": "#cf222e", "interrupted": "#9a6700"}.get(r.status, "#555")
        head = (
            f'<div class="nbtrack-summary" style="font:12px/1.5 var(--jp-ui-font-family,sans-serif);'
            f'border-left:3px solid {color};padding:2px 8px;margin:2px 0">'
            f'<b style="color:{color}">{escape(r.status)}</b> · {r.duration_s:.2f}s · '
            f'<code title="run id">{escape(r.run_id)}</code>'
            + (f" · <b>{escape(str(r.name))}</b>" if r.name else "")
            + "".join(f' <span style="background:#eee;border-radius:3px;padding:0 4px">{escape(t)}</span>' for t in r.tags)
        )
        rows = []
        if r.params:
            rows.append(
                "<div>params: "
                + ", ".join(f"<code>{escape(str(k))}</code>={escape(_fmt(v))}" for k, v in r.params.items())
                + "</div>"
            )
        for key, value in r.metrics.items():
            v, delta, best = self._metric_parts(key, value)
            rows.append(
                f"<div><code>{escape(str(key))}</code> = <b>{escape(v)}</b>"
                + (f' <span style="color:#666">({escape(delta)})</span>' if delta else "")
                + (f' <span style="color:#666">{escape(best)}</span>' if best else "")
                + "</div>"
            )
        if r.error:
            rows.append(f"<div>{escape(r.error['type'])}: {escape(r.error['message'][:300])}</div>")
        return head + "".join(rows) + "</div>"
