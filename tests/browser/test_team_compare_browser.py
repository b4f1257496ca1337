"""The sidebar's compare with the Team toggle on, in a real JupyterLab (headless Chromium) over a
real PostgreSQL team store: runs another machine pushed are listed, two are selected and
compared, and the compare tab asks the server with scope=team (the local store has none of
them), so it shows their curves and params."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import screenshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "team"))
from pgcluster import Cluster, bin_dir  # noqa: E402

PANEL = "#nbtrack-sidebar"


@pytest.fixture(scope="module")
def team_runs():
    """Three runs pushed by bob's machine; NBTRACK_REMOTE set for the Jupyter server below."""
    if bin_dir() is None:
        pytest.skip("PostgreSQL is not installed (make postgresql)")
    import nbtrack
    from nbtrack.team import push
    from nbtrack.team.push import Pusher

    cluster = Cluster(Path(tempfile.mkdtemp(prefix="nbtrack-pg-"))).init()
    env = {**cluster.env(), "NBTRACK_USER": "bob"}
    old = {k: os.environ.get(k) for k in [*env, "NBTRACK_REMOTE"]}
    os.environ.update(env)
    try:
        other = nbtrack.store(tempfile.mkdtemp(prefix="machine-b-"))
        ids = []
        for i in range(3):
            with nbtrack.start(name=f"bob-{i}", params={"lr": i / 10}, store_path=str(other.dir)) as run:
                for s in range(5):
                    run.log(step=s, loss=1.0 / (s + 1 + i))
            ids.append(run.run_id)
        other.flush()
        Pusher(other, cluster.uri()).push_all()
        os.environ.pop("NBTRACK_USER")
        os.environ["NBTRACK_REMOTE"] = cluster.uri()  # the server (started next) reads it
        yield ids
    finally:
        push.stop_all()
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        cluster.destroy()


@pytest.fixture(scope="module")
def lab(team_runs, lab):  # the conftest's server, started once the team store is set
    return lab


def test_compare_with_the_team_toggle_on_asks_the_team_store(lab, page, team_runs):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/nbtrack/api/runs/" in r.url else None)
    page.goto(f"{lab.url}/lab?token={lab.token}")
    page.locator('.lm-TabBar-tab[data-id="nbtrack-sidebar"]').click()
    page.wait_for_selector(f"{PANEL} .nbtrack-statusline", state="visible")
    page.locator(f"{PANEL} .nbtrack-team-switch").check()
    page.locator(f"{PANEL} .nbtrack-run", has_text="bob-2").first.wait_for(timeout=30_000)
    for name in ("bob-0", "bob-2"):
        page.locator(f"{PANEL} .nbtrack-run", has_text=name).first.locator(".nbtrack-check").check()
    page.locator(f"{PANEL} .nbtrack-compare-button").click()
    tab = page.locator(".nbtrack-compare")
    try:
        tab.locator(".nbtrack-compare-table").wait_for(timeout=30_000)
    except Exception:
        screenshot(page, "team-compare-FAILED")
        raise AssertionError(f"no compare table: {tab.inner_text()[:300]!r}; asked {asked}") from None
    text = tab.locator(".nbtrack-compare-table").inner_text()
    assert "bob-0" in text and "bob-2" in text and "lr" in text
    assert tab.locator('.nbtrack-chart-box[data-key="loss"] polyline').count() >= 2
    # Every detail and series request of the compare named the team store.
    wanted = {f"/runs/{team_runs[0]}", f"/runs/{team_runs[2]}"}
    details = [u for u in asked if any(w in u for w in wanted)]
    assert any("/series" in u for u in details) and len(details) >= 4
    assert all("scope=team" in u for u in details), details
    screenshot(page, "team-compare")
