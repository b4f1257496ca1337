"""``nbtrack.report(runs, path="report.html")``: one self-contained HTML file for a colleague
without Jupyter: the run table, overlaid curves, param/metric scatters and the differences of
the selected runs. No server and no network: Vega, Vega-Lite and vega-embed are inlined (the
bundle comes from ``vl-convert-python``: ``pip install "nbtrack[report]"``).

Every user string (names, tags, params, keys, source) goes into the page as escaped text or as
JSON data inside a ``<script type="application/json">`` block with ``<``, ``>`` and ``&``
escaped, never as markup.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

from .format import format_number

__all__ = ["report", "render"]

MAX_CURVES = 12
MAX_SCATTERS = 6


def _bundle() -> str:
    """vega-embed + Vega-Lite + Vega as one script (vl-convert bundles it: ~5 s the first time,
    so it is kept in the user's cache folder per vl-convert version)."""
    try:
        import vl_convert
    except ImportError:
        raise ImportError(
            "nbtrack.report needs vl-convert-python (the Vega bundle it inlines): pip install 'nbtrack[report]'"
        ) from None
    from importlib.metadata import version

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nbtrack"
    path = cache / f"vega-bundle-{version('vl-convert-python')}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    # vl_convert's stub marks snippet required; the function has a default (the globals snippet)
    js = vl_convert.javascript_bundle().replace("</script", "<\\/script")  # type: ignore[call-arg]
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(js, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only home: bundle again next time
    return js


def _json_script(obj: Any) -> str:
    text = json.dumps(obj, default=_default, allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _default(v: Any):
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return format_number(v)  # the one formatter (nbtrack/format.py)
    if isinstance(v, (dt.datetime, dt.date)) or hasattr(v, "isoformat"):
        return str(v)[:19]
    if isinstance(v, (list, dict)):
        return json.dumps(v, default=str)
    return str(v)


def _table(headers: list[str], rows: list[list[Any]], highlight: set[int] | None = None) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = ' class="differs"' if highlight and i in highlight else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{esc(_text(c))}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _specs(store, ids: list[str], frame, keys: Iterable[str] | None) -> list[dict]:
    import pandas as pd

    from . import charts

    specs = []
    with store.snapshot() as con:
        present = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT key FROM series WHERE list_contains(?, run_id) ORDER BY key", [ids]
            ).fetchall()
        ]
    wanted = [k for k in (list(keys) if keys is not None else present) if k in present][:MAX_CURVES]
    if wanted:
        data = charts.series_data(frame, wanted, store=store)
        for key in wanted:
            part = data[data["key"] == key]
            specs.append({"title": f"curve: {key}", "spec": charts._line(part, key).to_dict()})
    params = [c for c in charts.numeric_columns(frame) if c.startswith("params.")]
    metrics = [c for c in charts.numeric_columns(frame) if c.startswith("metrics.")]
    pairs = [(p, m) for m in metrics[:2] for p in params][:MAX_SCATTERS]
    for p, m in pairs:
        if pd.to_numeric(frame[p], errors="coerce").nunique() > 1 or len(frame) == 1:
            specs.append({"title": f"{m} vs {p}", "spec": charts.scatter_chart(frame, p, m, store=store).to_dict()})
    return specs


def render(runs: Any, title: str | None = None, keys: Iterable[str] | None = None, store=None) -> str:
    """The report's HTML text (see ``report``)."""
    from . import charts
    from .store import get_store, query

    store = store or get_store()
    ids = charts.run_ids(runs, store)
    frame = charts._frame(ids, store)
    records = {rid: query.get_run(store, rid) for rid in ids}
    labels = charts.run_labels(frame)
    esc = html.escape

    # The run table: every run column, then params.* and metrics.*.
    base = ["run_id", "name", "status", "experiment", "notebook", "started_at", "duration_s", "tags"]
    cols = [c for c in base if c in frame.columns] + [c for c in frame.columns if c.startswith(("params.", "metrics."))]
    rows = [[r.get(c) for c in cols] for r in frame.to_dict(orient="records")]
    run_table = _table(cols, rows)

    # Differences: params and metrics whose values are not the same in every run.
    diff_rows, differs = [], set()
    keys_all = [c for c in frame.columns if c.startswith(("params.", "metrics."))]
    for i, c in enumerate(keys_all):
        values = [_text(v) for v in frame[c]]
        diff_rows.append([c, *values])
        if len(set(values)) > 1:
            differs.add(i)
    diff_table = _table(["", *[labels[r] for r in frame["run_id"]]], diff_rows, differs)
    source_diff = ""
    if len(ids) == 2:
        a, b = records[ids[0]], records[ids[1]]
        lines = list(
            difflib.unified_diff(
                (a.source or "").splitlines(),
                (b.source or "").splitlines(),
                labels[ids[0]],
                labels[ids[1]],
                lineterm="",
            )
        )
        if lines:
            source_diff = f'<h3>Source</h3><pre class="diff">{esc(chr(10).join(lines))}</pre>'
    errors = "".join(
        f'<p class="error"><b>{esc(labels[rid])}</b>: {esc(str(rec.error.get("type")))}: '
        f"{esc(str(rec.error.get('message'))[:500])}</p>"
        for rid, rec in records.items()
        if rec.error
    )

    specs = _specs(store, ids, frame, keys)
    charts_html = "".join(
        f'<figure><figcaption>{esc(s["title"])}</figcaption><div class="chart" id="chart-{i}"></div></figure>'
        for i, s in enumerate(specs)
    )
    payload = _json_script(_clean([s["spec"] for s in specs]))
    title = title or f"nbtrack report: {len(ids)} run{'s' if len(ids) != 1 else ''}"
    made = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<title>{esc(title)}</title>
<style>
  body {{ font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; }}
  h1 {{ font-size: 20px; }} h2 {{ font-size: 16px; margin-top: 28px; }}
  table {{ border-collapse: collapse; font-size: 12px; display: block; overflow-x: auto; }}
  th, td {{ border: 1px solid #ddd; padding: 3px 6px; text-align: left; white-space: nowrap; }}
  th {{ background: #f4f4f4; }} tr.differs td {{ background: #fff6d6; }}
  .charts {{ display: flex; flex-wrap: wrap; gap: 16px; }}
  figure {{ margin: 0; }} figcaption {{ font-weight: 600; margin-bottom: 4px; }}
  pre.diff {{ background: #f7f7f7; padding: 8px; overflow-x: auto; }} .error {{ color: #a40000; }}
</style>
</head>
<body>
<h1>{esc(title)}</h1>
<p>Made {esc(made)} from the store {esc(str(store.dir))}.</p>
<h2>Runs</h2>
{run_table}
{errors}
<h2>Charts</h2>
<div class="charts" id="charts">{charts_html or "<p>No series or numeric params to chart.</p>"}</div>
<h2>Differences</h2>
{diff_table}
{source_diff}
<script type="application/json" id="nbtrack-specs">{payload}</script>
<script type="text/javascript">
{_bundle()}
</script>
<script type="text/javascript">
  const specs = JSON.parse(document.getElementById("nbtrack-specs").textContent);
  specs.forEach((spec, i) => {{
    vegaEmbed("#chart-" + i, spec, {{actions: false, renderer: "svg"}})
      .then(() => document.getElementById("chart-" + i).setAttribute("data-rendered", "1"))
      .catch((err) => {{ document.getElementById("chart-" + i).textContent = String(err); }});
  }});
</script>
</body>
</html>
"""


def report(
    runs: Any,
    path: str | os.PathLike = "report.html",
    title: str | None = None,
    keys: Iterable[str] | None = None,
    store=None,
) -> Path:
    """Write one self-contained HTML report of ``runs`` (ids, prefixes, a ``nbtrack.runs()``
    frame or a table selection) to ``path`` and return its path. ``keys``: the series to chart
    (default: all, at most 12)."""
    text = render(runs, title=title, keys=keys, store=store)
    out = Path(path)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
