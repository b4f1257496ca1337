"""``nbtrack.report`` / ``nbtrack report``: the HTML file opened from disk in headless Chromium
with the network off renders its charts, and every user string is text."""

from __future__ import annotations

import pytest

import nbtrack

pytestmark = pytest.mark.browser
pytest.importorskip("vl_convert")

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


@pytest.fixture
def runs(store_dir):
    for lr in (0.1, 0.01, 0.001):
        with nbtrack.start(name=f"lr-{lr} {HOSTILE}", params={"lr": lr, "opt": HOSTILE}, tags=[HOSTILE]):
            for step in range(30):
                nbtrack.log(step=step, **{"loss": lr * (30 - step), f"{HOSTILE}": step / 30})
            nbtrack.log_metrics(accuracy=0.9 - lr)
    nbtrack.store().flush()
    return nbtrack.runs()


def test_report_renders_offline_and_keeps_user_strings_as_text(runs, tmp_path, page):
    path = nbtrack.report(runs, tmp_path / "report.html", title=f"report {HOSTILE}")
    assert path.stat().st_size < 3_000_000
    requests = []
    page.context.route(
        "**/*",
        lambda route: (
            requests.append(route.request.url),
            route.continue_() if route.request.url.startswith("file:") else route.abort(),
        ),
    )
    page.context.set_offline(True)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    charts = page.locator("div.chart")
    n = charts.count()
    assert n >= 3  # curves of loss and the hostile key, a scatter of accuracy vs lr
    page.wait_for_function(
        f"document.querySelectorAll('div.chart[data-rendered=\"1\"]').length === {n}", timeout=60_000
    )
    for i in range(n):
        assert page.locator(f"#chart-{i} svg").count() >= 1
    # Lines are drawn: one path per run in the loss curve.
    assert (
        page.locator("#chart-0 svg path[aria-roledescription='line mark']").count() == 3
        or page.locator("#chart-0 svg .mark-line path").count() == 3
    )
    assert [u for u in requests if not u.startswith("file:")] == []
    assert errors == [] and dialogs == []
    assert page.evaluate("window.__pwned === undefined")
    text = page.inner_text("body")
    assert HOSTILE in text  # shown as text in the title, run table and differences
    assert page.locator("table img").count() == 0 and page.locator("body script").count() == 3
    assert page.title() == f"report {HOSTILE}"


def test_cli_report(runs, tmp_path):
    from nbtrack.cli import main

    out = tmp_path / "r.html"
    assert main(["report", "-w", "params.lr > 0.005", "-o", str(out)]) == 0
    html = out.read_text()
    assert "lr-0.1" in html and "lr-0.01" in html and "lr-0.001 " not in html
    assert main(["report", "zzzz", "-o", str(out)]) == 1
