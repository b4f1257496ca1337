"""The local hostile-input corpus (tests/reliability/test_bad_input.py) against the team store:
what the local store keeps, the team store keeps and reads back the same; user strings stay
bound parameters (a name that looks like SQL is a name)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nbtrack
from nbtrack.store import query
from nbtrack.team.push import Pusher
from nbtrack.team.source import TeamStore

HOSTILE = [
    "'; DROP TABLE nbtrack.runs; --",
    'x" OR 1=1 --',
    "<script>alert(1)</script>",
    "line\nbreak\r\n",
    "\\.",
    "tab\tsep,comma",
    "ünïcødé ✓ 🚀",
    "",
    "$1 %s {0} ?",
    "nul\x00inside",
    "'" * 50,
    "a" * 5000,
]


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def build_corpus(store) -> list[str]:
    ids = []
    rec = [1]
    rec.append(rec)
    with open(__file__) as handle:
        params = {
            "fn": lambda x: x,
            "file": handle,
            "recursive": rec,
            "gen": (i for i in range(3)),
            "np": np.float32(0.5),
            "big": 10**40,
            "nested": {"a": [1, {"b": None}]},
        }
        with nbtrack.start(params=params, store_path=str(store.dir)) as run:
            pass
        ids.append(run.run_id)
    with nbtrack.start(store_path=str(store.dir)) as run:
        nbtrack.log(
            np64=np.float64(1.5),
            np32=np.float32(2.5),
            npint=np.int64(3),
            zero_d=np.array(4.0),
            flag=True,
            nan=math.nan,
            inf=-math.inf,
        )
    ids.append(run.run_id)
    with nbtrack.start(store_path=str(store.dir)) as run:
        for i, step in enumerate([0, 0, -5, 2.5, 2.5, 10]):
            nbtrack.log(step=step, loss=float(i))
    ids.append(run.run_id)
    with nbtrack.start(name="collide", params={"status": "p", "run_id": "q"}, store_path=str(store.dir)):
        nbtrack.log(status=1.0, run_id=2.0, name=3.0)
    ids.append(nbtrack.runs().run_id.iloc[0])
    for i, text in enumerate(HOSTILE):
        with nbtrack.start(
            name=text, experiment=text, tags=[text, "t"], params={"note": text, "n": i}, store_path=str(store.dir)
        ) as run:
            nbtrack.log(**{"odd key " + str(i): float(i)})
        ids.append(run.run_id)
    store.flush()
    return ids


def test_the_hostile_corpus_reads_back_the_same_from_the_team_store(store, remote, figures):
    ids = build_corpus(store)
    Pusher(store, remote).push_all()
    team = TeamStore(remote)
    for run_id in ids:
        local, remote_run = query.get_run(store, run_id), query.get_run(team, run_id)
        assert set(local.params) == set(remote_run.params)
        for k in local.params:
            want = local.params[k]
            if isinstance(want, str):
                want = want.replace("\x00", "\ufffd")  # Postgres text holds no NUL
            assert same(want, remote_run.params[k]), (k, want, remote_run.params[k])
        assert set(local.metrics) == set(remote_run.metrics)
        assert all(same(local.metrics[k], remote_run.metrics[k]) for k in local.metrics)
        assert (local.name or "").replace("\x00", "\ufffd") == (remote_run.name or "")
        assert list(local.tags) == list(remote_run.tags)  # tags travel as JSON: NUL kept
        ls, rs = query.series_frame(store, run_id), query.series_frame(team, run_id)
        assert sorted(ls.step.tolist()) == sorted(rs.step.tolist())
    # The tables are all there, and hostile strings are values in filters, never SQL.
    ((n,),) = query.sql(team, "SELECT count(*) FROM runs", []).itertuples(index=False)
    assert n == len(ids)
    for i, text in enumerate(HOSTILE):
        if "\x00" in text or len(text) > 1000:  # filter values stop at 1,000 characters
            continue
        got = nbtrack.runs(("params.note", "==", text), scope="local")
        frame = query.runs_frame(team.source, filters=[("params.note", "==", text)])
        assert list(frame.run_id) == list(got.run_id) == [ids[4 + i]]
        assert list(query.runs_frame(team.source, filters=[("name", "==", text)]).run_id) == [ids[4 + i]]
    frame = query.runs_frame(team.source, search="DROP TABLE")
    assert len(frame) == 1
    figures.update(
        load=f"{len(ids)} runs",
        faults="-",
        inputs=f"{len(HOSTILE)} hostile strings, "
        "odd params, every metric kind, odd steps, colliding names (team store)",
        lost=0,
    )


@pytest.mark.parametrize("bad", ["params.x == ", "nope > 1", "params.x ~~ 3", "status is null 3"])
def test_bad_filters_are_clear_errors_on_the_team_store(store, remote, bad):
    with nbtrack.start(params={"x": 1}, store_path=str(store.dir)):
        pass
    store.flush()
    Pusher(store, remote).push_all()
    from nbtrack.errors import FilterError

    with pytest.raises(FilterError):
        query.runs_frame(TeamStore(remote).source, filters=[bad])
