"""The compare view charts what explains a difference: only params that differ across the
runs, on axes with readable numbers (issue 13)."""

from __future__ import annotations

from nbtrack.capture.run import Run


def test_compare_scatters_only_the_params_that_differ_with_readable_axes(store):
    from nbtrack.widgets.comparison import compare_payload

    ids = []
    for i, (lr, acc) in enumerate([(0.1, 0.9), (0.01, 0.8), (0.3, 0.7)]):
        with Run(store, name=f"r{i}", params={"lr": lr, "model": "rf", "depth": 3}) as run:
            run.log_metrics({"acc": acc})
        ids.append(run.run_id)
    reply = compare_payload(store, ids)
    scatters = [c for c in reply.fields["charts"] if c["kind"] == "scatter"]
    assert [c["title"] for c in scatters] == ["metrics.acc vs params.lr"]
    enc = scatters[0]["spec"]["encoding"]
    assert enc["x"]["axis"]["format"] == enc["y"]["axis"]["format"] == "~g"
    assert set(reply.fields["differs"]) >= {"params.lr", "metrics.acc"}
    assert "params.model" not in reply.fields["differs"]
