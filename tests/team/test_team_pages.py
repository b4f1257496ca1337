"""A page of team runs is picked by Postgres (team/pages.py) and holds the same rows, in the same
order, with the same columns, count and errors as the read model's DuckDB path over the
attached tables, for every filter operator, kind, sort and scope; in a database whose collation
is not byte order too (ICU en-US sorts 'a' before 'B'; DuckDB, the local store and the table's
cache compare text byte by byte).

The reference is the read model's SQL evaluated by DuckDB alone: with DuckDB's filter pushdown
on, ``name > 'a'`` went to Postgres and was compared in the database's collation while the sort
stayed byte order (so in such a database the DuckDB path disagreed with the table's cache)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

import nbtrack
from nbtrack.errors import FilterError
from nbtrack.store.runs_view import RunSpec, read
from nbtrack.team import pages
from nbtrack.team.push import Pusher
from nbtrack.team.source import TeamStore

NAMES = ["Alpha", "alpha-2", "Beta", "beta", "Émile", "zeta", "Zed", "ksize", "mixed", "nan-run", "last", "tagless"]


def fill(tmp_path, uri, monkeypatch):
    """Runs from two users with every param kind, NaN and missing metrics, tags or none, a
    failed run, names whose order differs between byte order and a language's collation."""
    ids = []
    for who, host in (("alice", "laptop-a"), ("bob", "server-b")):
        monkeypatch.setenv("NBTRACK_USER", who)
        monkeypatch.setenv("NBTRACK_HOST", host)
        store = nbtrack.store(str(tmp_path / who))
        for i, name in enumerate(NAMES):
            params = {
                "lr": i / 10,
                "epochs": i % 4,
                "model": ["rf", "RF", "svm", "knn"][i % 4],
                "flag": i % 3 == 0,
                "opt": None if i % 2 else "adam",
                "cfg": {"depth": i},
                "mixed": i if i % 2 else f"v{i}",
            }
            tags = [] if name == "tagless" else [who, f"t{i % 3}"]
            experiment = f"e{i % 2}"

            def body(run, i=i, name=name, who=who):
                if name != "nan-run" or who == "bob":
                    run.log(acc=math.nan if name == "nan-run" else (i * 7 % 10) / 10)
                if i % 3:
                    run.log(loss=1.0 / (i + 1))

            if name == "last" and who == "bob":
                with pytest.raises(ZeroDivisionError):
                    with nbtrack.start(
                        name=name, params=params, tags=tags, experiment=experiment, store_path=str(store.dir)
                    ) as run:
                        body(run)
                        1 / 0  # noqa: B018
            else:
                with nbtrack.start(
                    name=name, params=params, tags=tags, experiment=experiment, store_path=str(store.dir)
                ) as run:
                    body(run)
            ids.append(run.run_id)
        store.flush()
        Pusher(store, uri).push_all()
    monkeypatch.delenv("NBTRACK_USER")
    monkeypatch.delenv("NBTRACK_HOST")
    return ids


@pytest.fixture(params=["C.UTF-8", "icu en-US"])
def team(request, tmp_path, pg, remote, monkeypatch):
    uri = remote
    if request.param.startswith("icu"):
        db = "mlruns_icu"
        pg.admin_sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        pg.admin_sql(
            f"CREATE DATABASE {db} OWNER {pg.owner} TEMPLATE template0 LOCALE_PROVIDER icu "
            "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
        line = f"{pg.host}:{pg.port}:{db}:{pg.owner}:{pg.owner_password}\n"
        if line not in pg.passfile.read_text():
            with open(pg.passfile, "a") as f:
                f.write(line)
        uri = uri.rsplit("/", 1)[0] + "/" + db
    ids = fill(tmp_path, uri, monkeypatch)
    t = TeamStore(uri)
    yield t, ids
    t._drop()


def duckdb_path(team: TeamStore):
    """The read model's DuckDB path over the same database: no Postgres page, and every
    condition evaluated by DuckDB (no filter pushdown: see the module's docstring)."""
    from dataclasses import replace

    ref = TeamStore(team.uri)
    with ref.snapshot() as con:
        con.execute("SET pg_experimental_filter_pushdown = false")
    return replace(ref.source, read_page=None)


@pytest.fixture
def postgres_pages(monkeypatch):
    """How many pages Postgres picked (each page read that did not fall back)."""
    picked = []
    real = pages.in_order

    def spy(result, ids, total, kinds):
        picked.append(ids)
        return real(result, ids, total, kinds)

    monkeypatch.setattr(pages, "in_order", spy)
    return picked


def same_result(a, b):
    assert a.table.column_names == b.table.column_names
    assert a.table.schema == b.table.schema
    assert a.table.to_pylist() == b.table.to_pylist() or _nan_equal(a.table.to_pylist(), b.table.to_pylist())
    assert a.total == b.total
    # The catalog as far as the spec names it (the whole one costs a scan of every param).
    assert a.kinds.items() <= b.kinds.items()
    assert a.decoded.keys() == b.decoded.keys()
    for k in a.decoded:
        assert list(a.decoded[k]) == list(b.decoded[k])
    assert a.nested == b.nested or _nan_equal(a.nested, b.nested)


def _nan_equal(x, y) -> bool:
    """Equality where NaN equals NaN (a NaN metric is a value users sort and filter)."""
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_nan_equal(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(_nan_equal(p, q) for p, q in zip(x, y))
    if isinstance(x, np.ndarray):
        return _nan_equal(list(x), list(y))
    return bool(x == y)


SORTS = [
    None,
    "name",
    "-name",
    "started_at",
    "-duration_s",
    "params.lr",
    "-params.model",
    "params.model,-params.lr",
    "params.flag,name",
    "-metrics.acc",
    "metrics.acc",
    "metrics.loss,-name",
    "user,-params.epochs",
    "status,host",
    "-params.mixed",
    "run_id",
    "experiment,-metrics.loss",
]

FILTERS = [
    ["user == bob"],
    ["user != bob"],
    ["params.lr >= 0.3", "params.lr < 0.8"],
    ["params.model == 'rf'"],
    ["params.model != rf"],
    ["params.model > 'a'"],
    ["params.model in ['rf', 'knn']"],
    ["params.model not in ['rf', 'knn']"],
    ["params.model contains F"],
    ["params.model not contains r"],
    ["params.model startswith R"],
    ["metrics.acc > 0.5"],
    ["metrics.acc is null"],
    ["metrics.acc is not null", "metrics.loss <= 0.2"],
    ["params.opt is null"],
    ["params.opt == adam"],
    ["params.flag == true"],
    ["params.flag != true"],
    ["params.epochs in [1, 2]"],
    ["params.epochs not in [0]"],
    ["params.mixed == 3"],
    ["params.cfg contains depth"],
    ["tags contains bob"],
    ["tags == t1"],
    ["tags != bob"],
    ["tags in ['x', 't2']"],
    ["tags not in ['t0']"],
    ["tags is null"],
    ["tags is not null"],
    ["name contains ALP"],
    ["name startswith b"],
    ["name not contains a"],
    ["name > 'a'"],
    ["name <= 'Z'"],
    ["status in ['failed']"],
    ["status != finished"],
    ["host == laptop-a"],
    ["experiment not in ['e1']"],
    ["duration_s >= 0"],
    ["execution_count is null"],
    ["error_type == ZeroDivisionError"],
    [("started_at", ">", dt.datetime(2000, 1, 1))],
    [{"column": "ended_at", "op": "<", "value": "2100-01-01"}],
]

SCOPES = [
    {},
    {"experiment": "e1"},
    {"status": "failed"},
    {"status": ["finished", "failed"]},
    {"search": "alpha"},
    {"search": "ALPHA bob"},
    {"search": "t2"},
    {"search": "e1"},
    {"search": "fin"},
    {"notebooks": []},
]


def spec_cases():
    for sort in SORTS:
        yield RunSpec(sort=sort)
    for f in FILTERS:
        yield RunSpec(filters=f, sort="-params.lr")
    for scope in SCOPES:
        yield RunSpec(sort="name", **scope)
    yield RunSpec(filters=["user == alice", "metrics.acc >= 0.2"], search="a", sort="-metrics.acc,name")


def test_postgres_picks_the_same_page_as_the_duckdb_path(team, postgres_pages):
    t, ids = team
    old = duckdb_path(t)
    cases = list(spec_cases())
    for spec in cases:
        for limit, offset in ((5, 0), (4, 3), (100, 0)):
            new_page = read(t.source, spec, limit=limit, offset=offset, count=True)
            old_page = read(old, spec, limit=limit, offset=offset, count=True)
            try:
                same_result(new_page, old_page)
            except AssertionError as exc:
                raise AssertionError(f"{spec} limit={limit} offset={offset}: {exc}") from None
    assert len(postgres_pages) == 3 * len(cases)  # every one of them picked by Postgres
    assert read(t.source, RunSpec(), limit=1000, count=True).total == len(ids)


def test_what_the_surfaces_read_is_the_same(team, postgres_pages):
    """runs(), the table's first paint and the server's page (nested params, source head)."""
    from nbtrack.store import query
    from nbtrack.store.api_queries import list_runs
    from nbtrack.store.table import RunsCache

    t, _ = team
    old = duckdb_path(t)
    new_frame = query.runs_frame(t.source, filters=["user == alice"], sort="-metrics.acc", limit=7)
    old_frame = query.runs_frame(old, filters=["user == alice"], sort="-metrics.acc", limit=7)
    assert new_frame.equals(old_frame)
    new_table, old_table = RunsCache(t).page(limit=6), RunsCache(old).page(limit=6)
    assert new_table.rows.schema == old_table.rows.schema
    assert _nan_equal(new_table.rows.to_pylist(), old_table.rows.to_pylist()) and new_table.total == old_table.total
    assert new_table.columns == old_table.columns
    new_api = list_runs(t.source, q="beta", sort="-params.lr", limit=3)
    old_api = list_runs(old, q="beta", sort="-params.lr", limit=3)
    assert _nan_equal(new_api.runs, old_api.runs) and new_api.total == old_api.total
    assert len(postgres_pages) == 3


def test_specs_postgres_does_not_translate_read_the_same_through_duckdb(team, postgres_pages):
    t, _ = team
    old = duckdb_path(t)
    for spec in (
        RunSpec(sort="tags"),  # list order
        RunSpec(sort="-trial"),  # derived from the context
        RunSpec(filters=["sweep_id is null"]),
        RunSpec(search="émile"),  # lower() of non-ASCII is the database locale's
        RunSpec(filters=["name contains É"]),
        RunSpec(filters=[("started_at", ">", dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))]),
    ):
        same_result(read(t.source, spec, limit=5, count=True), read(old, spec, limit=5, count=True))
    assert postgres_pages == []


def test_a_bad_spec_is_the_same_error_word_for_word(team):
    t, _ = team
    old = duckdb_path(t)
    for spec in (
        RunSpec(filters=["params.lrr > 1"]),
        RunSpec(sort="-metrics.ac"),
        RunSpec(filters=["metrics.acc > high"]),
        RunSpec(filters=["tags > a"]),
        RunSpec(status="done"),
        RunSpec(filters=["name contains"]),
        RunSpec(sort="-nosuch", filters=[42]),  # two errors: the same one comes first
        RunSpec(sort=("params.lr", "sideways")),
    ):
        with pytest.raises(FilterError) as new_error:
            read(t.source, spec, limit=5)
        with pytest.raises(FilterError) as old_error:
            read(old, spec, limit=5)
        assert str(new_error.value) == str(old_error.value)


def test_user_text_never_becomes_sql(team, postgres_pages):
    t, _ = team
    hostile = "x'); DROP TABLE nbtrack.runs; --"
    assert read(t.source, RunSpec(filters=[f"name == {hostile}"]), limit=5, count=True).total == 0
    assert read(t.source, RunSpec(search=hostile), limit=5, count=True).total == 0
    assert read(t.source, RunSpec(filters=[("params.model", "in", [hostile, "rf"])]), limit=50).table.num_rows == 6
    assert read(t.source, RunSpec(), limit=100, count=True).total == 2 * len(NAMES)
    assert len(postgres_pages) == 4
