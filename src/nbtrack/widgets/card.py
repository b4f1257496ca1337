"""The run card under a tracked cell: status, duration, params, final metrics with deltas and
bests, and a live chart of the series the cell logs while it still runs.

The kernel pushes (the cell is busy, so the front end cannot ask): a ``LiveFeed`` receives the
points the store's writer drains from the run (a batch at a time, never per ``log`` call), and a
background thread (one for all cards) at most ``PUSH_HZ`` times a second downsamples them to at
most ``MAX_POINTS`` per key and sets the ``series`` trait (Arrow IPC bytes, a binary buffer).
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import numpy as np
import pyarrow as pa
import traitlets

from ..capture import views
from ..capture.summary import RunSummary, format_value
from . import protocol
from ._base import CARD_BUNDLE, NbtrackWidget

PUSH_HZ = 2.0
MAX_POINTS = 2000  # per key, sent to the browser
KEEP_POINTS = 4000  # per key, kept before downsampling again
MAX_KEYS = 12  # keys drawn live (the rest are counted)
END_WAIT_S = 60  # after the run ends, wait this long at most for its last points
DEFER_S = 0.03  # a spare card is made at least this long after a cell's end asked for it
SPARES = 2  # cards opened ahead: cells sent back to back come faster than one per DEFER_S
IDLE_POLL_S = 0.1  # the card thread looks for work this often: a cell never wakes it
BUSY_POLL_S = 0.01  # ... this often while work waits for the running cell to end
MAX_WAIT_S = 0.3  # work waits for an idle kernel at most this long (cells sent back to back)
STALE_WATCH = 200  # ended cards whose run's stale flag is kept current (the newest)


def downsample(steps: np.ndarray, values: np.ndarray, points: int = MAX_POINTS):
    """At most ``points`` points: per bucket (in logging order) the first, min, max and last
    point, so spikes survive."""
    n = len(steps)
    if n <= points:
        return steps, values
    buckets = max(1, points // 4)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep = np.zeros(n, dtype=bool)
    keep[edges[:-1]] = True
    keep[edges[1:] - 1] = True
    starts = edges[:-1]
    # argmin/argmax per bucket through a segment reduction
    mins = np.minimum.reduceat(values, starts)
    maxs = np.maximum.reduceat(values, starts)
    seg = np.repeat(np.arange(buckets), np.diff(edges))
    is_min = values == mins[seg]
    is_max = values == maxs[seg]
    for flags in (is_min, is_max):
        idx = np.flatnonzero(flags)
        first = np.unique(seg[idx], return_index=True)[1]
        keep[idx[first]] = True
    return steps[keep], values[keep]


class LiveFeed:
    """Collects a run's series points as the writer drains them (the writer's ``on_drain``
    listener; ``close`` removes it). Thread-safe; nothing happens per ``log`` call."""

    def __init__(self, run):
        self.run = run
        self._lock = threading.Lock()
        self._chunks: list[pa.Table] = []
        self.version = 0
        self.drained_after_end = False
        self.series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.counts: dict[str, int] = {}
        self._remove = run.store.writer.on_drain(run.run_id, self._drained)

    def _drained(self, tables, ended: bool) -> None:
        s = tables.get("series")
        if s is not None and s.num_rows:
            with self._lock:
                self._chunks.append(s.select(["key", "step", "value"]))
                self.version += 1
        if ended:
            self.drained_after_end = True

    def close(self) -> None:
        self._remove()

    def update(self) -> bool:
        """Fold the drained batches into the per-key downsampled series; True if changed."""
        with self._lock:
            chunks, self._chunks = self._chunks, []
        if not chunks:
            return False
        import pyarrow.compute as pc

        table = pa.concat_tables(chunks)
        keys = table.column("key")
        for key in pc.unique(keys).to_pylist():  # Arrow compute: little time holding the GIL
            part = table.filter(pc.equal(keys, key))
            self.counts[key] = self.counts.get(key, 0) + part.num_rows
            if key not in self.series and len(self.series) >= MAX_KEYS:
                continue
            s = part.column("step").to_numpy()
            v = part.column("value").to_numpy()
            ok = np.isfinite(v) & np.isfinite(s)
            if not ok.all():
                s, v = s[ok], v[ok]
            if len(s) > KEEP_POINTS:
                s, v = downsample(s, v, MAX_POINTS)
            if key in self.series:
                s0, v0 = self.series[key]
                s, v = np.concatenate([s0, s]), np.concatenate([v0, v])
                if len(s) > KEEP_POINTS:
                    s, v = downsample(s, v, MAX_POINTS)
            self.series[key] = (s, v)
        return True

    def table(self) -> pa.Table:
        keys, steps, values = [], [], []
        for key, (s, v) in self.series.items():
            s2, v2 = downsample(s, v, MAX_POINTS)
            keys.append(np.full(len(s2), key, dtype=object))
            steps.append(s2)
            values.append(v2)
        if not keys:
            return pa.table(
                {
                    "key": pa.array([], pa.string()),
                    "step": pa.array([], pa.float64()),
                    "value": pa.array([], pa.float64()),
                }
            )
        return pa.table(
            {
                "key": pa.array(np.concatenate(keys), pa.string()),
                "step": pa.array(np.concatenate(steps), pa.float64()),
                "value": pa.array(np.concatenate(values), pa.float64()),
            }
        )

    def last(self) -> dict[str, float]:
        return {k: float(v[-1]) for k, (s, v) in self.series.items() if len(v)}


_LAYOUT = None


def _shared_layout():
    """One ipywidgets Layout for every card: a DOMWidget otherwise opens a second widget (its
    Layout, one more comm and state entry) per card, i.e. per tracked cell."""
    global _LAYOUT
    if _LAYOUT is None or getattr(_LAYOUT, "comm", None) is None:  # none yet, or closed
        import ipywidgets

        _LAYOUT = ipywidgets.Layout()
    return _LAYOUT


class RunCard(NbtrackWidget):
    """The card under a tracked cell. Synced traits:

    * ``run`` (dict): run_id, name, tags, status, duration_s, params ([key, text] pairs), error
    * ``metrics`` (list of dicts): key, value, delta, better (bool or None), best — final metrics
    * ``live`` (dict): per series key its number of points and last value, while running
    * ``series`` (bytes): Arrow IPC stream (key, step, value), at most 2,000 points per key

    Its front end is ``static/card.js``, not the shared bundle: anywidget sends a widget's ESM
    with every instance, and a card comes with every tracked cell.
    """

    # The ESM and anywidget's id as class traits: anywidget otherwise adds them per instance
    # (add_traits makes a new class for every card, ~1 ms) and ties each card to a file watcher.
    # (Any: anywidget takes a path, a string or a trait here; the base class holds a Path.)
    _esm: Any = traitlets.Unicode(CARD_BUNDLE.read_text()).tag(sync=True)
    _anywidget_id = traitlets.Unicode("nbtrack.widgets.card.RunCard").tag(sync=True)

    run = traitlets.Dict().tag(sync=True)
    metrics: traitlets.List[dict] = traitlets.List().tag(sync=True)
    live = traitlets.Dict().tag(sync=True)
    series = traitlets.Bytes(b"").tag(sync=True)
    summary_text = traitlets.Unicode("").tag(sync=False)
    _handlers = {"series": "_req_series"}

    def __init__(self, run_obj=None, **kwargs):
        if run_obj is not None:  # in the widget's first state: no extra message
            kwargs.setdefault("run", self._run_state(run_obj))
        kwargs.setdefault("layout", _shared_layout())
        super().__init__(kind="card", **kwargs)
        self._run = run_obj
        self._feed: LiveFeed | None = None
        self._stop = threading.Event()
        self._done = threading.Event()  # the pusher is done with this card (its feed closed)
        self._due = 0.0
        self._ended_at: float | None = None
        self._summary: RunSummary | None = None
        self._compared: RunSummary | None = None
        self._display_id: str | None = None
        self._first_state: dict | None = None  # a spare card's run until the card thread sends it
        self._stale: dict = {}  # {"stale": True, "stale_reason": ...} once the run is stale
        # Held while the traits change (the live thread and finish), so that changes batched by
        # hold_sync in one thread never mix with the other's.
        self._state_lock = threading.RLock()
        self.pushes = 0

    @classmethod
    def for_run(cls, run_obj) -> "RunCard":
        """A card for ``run_obj``: the spare one the card thread made while the kernel was idle
        (its widget already open in the front end: the cell only sends the run), else a new one.
        Asks for the next spare."""
        card = _PUSHER.take_spare()
        if card is None:
            return cls(run_obj)
        card._run = run_obj
        card._first_state = state = cls._run_state(run_obj)
        if not _PUSHER.later(card._set_first_state, state, when_idle=False):  # the running cell's own
            card.run = state
        return card

    def _set_first_state(self, state: dict) -> None:
        with self._state_lock:
            if self._summary is None:  # else finish(), queued after this, sets the final state
                self.run = state

    @classmethod
    def prepare_spare(cls) -> None:
        """Have the card thread open the next cell's card now (call when a cell ends)."""
        _PUSHER.want_spare(cls)

    def add_traits(self, **traits):
        traits = {k: v for k, v in traits.items() if not self.has_trait(k)}
        if traits:
            super().add_traits(**traits)

    # -- display -------------------------------------------------------------------------

    def show(self) -> None:
        """Display the card (the cell's output), keeping its display id for ``show_final``."""
        self._display_id = uuid.uuid4().hex
        data, meta = self._repr_mimebundle_()
        _publish(data, meta, self._display_id, update=False)

    def show_final(self, summary: RunSummary) -> None:
        """The run ended: final state in the widget and in the display's static fallback (the
        text/HTML a notebook opened without a kernel shows), replacing the display in place."""
        with self._state_lock:
            self._summary = summary  # what the display's text/HTML show
        if self._display_id is not None:  # a card never shown has no display to replace
            data, meta = self._repr_mimebundle_()
            _publish(data, meta, self._display_id, update=True)
        if not _PUSHER.later(self.finish, summary):
            self.finish(summary)

    # -- live ----------------------------------------------------------------------------

    def start_live(self) -> None:
        """Follow the run: push its series at most PUSH_HZ times a second until it ends."""
        if self._run is None or self._feed is not None:
            return
        self._feed = LiveFeed(self._run)
        self._due = time.monotonic() + 1.0 / PUSH_HZ
        _PUSHER.add(self)

    def _step(self) -> bool:
        """One tick of the live card (on the pusher thread); True when it is done."""
        run, feed = self._run, self._feed
        if feed is None:  # never live: nothing to follow
            return True
        try:
            if feed.update():
                self._push(feed, final=False)
            else:
                self._tick_duration()
            if run.status != "running":
                self._ended_at = self._ended_at or time.monotonic()
                if feed.drained_after_end or time.monotonic() - self._ended_at > END_WAIT_S:
                    if feed.update():
                        self._push(feed, final=True)
                    return True
            return False
        except Exception:
            return True  # the card is a view: never let it disturb the run

    def _push(self, feed: LiveFeed, final: bool) -> None:
        table = feed.table()
        last = feed.last()
        series = protocol.arrow_bytes(table)
        live = {
            "keys": {k: {"points": feed.counts.get(k, 0), "last": format_value(v)} for k, v in last.items()},
            "more_keys": max(0, len(feed.counts) - len(feed.series)),
        }
        with self._state_lock, self.hold_sync():  # one message per push
            self.series = series
            self.live = live
            self._tick_duration()
        self.pushes += 1

    def _tick_duration(self) -> None:
        with self._state_lock:
            if self._summary is None and self._run.status == "running":
                self.run = {**self.run, "duration_s": round(self._run.duration_s, 1)}

    def _req_series(self, request: dict):
        """The front end asks for the current series (e.g. a view rendered late)."""
        tables = {}
        if self._feed is not None:
            tables["series"] = self._feed.table()
        return protocol.Reply(tables=tables)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the live card to push the run's last points and end; True if it ended."""
        if self._feed is not None:
            return self._done.wait(timeout)
        return True

    def stop(self, timeout: float = 0.0) -> None:
        self._stop.set()
        _PUSHER.wake()
        if self._feed is not None and timeout:
            self._done.wait(timeout)

    # -- the end ---------------------------------------------------------------------------

    def finish(self, summary: RunSummary) -> None:
        """The run ended: show its status, final metrics, deltas and bests."""
        with self._state_lock, self.hold_sync():  # one message for the run and its metrics
            if self._compared is not None:  # the comparison came in first (compare): keep it
                summary = self._compared
            self._summary = summary
            self.summary_text = repr(summary)
            self.metrics = summary.metric_rows()
            self.run = {**self._run_state(summary.run), **self._stale}
        _PUSHER.watch_stale(self)

    def set_stale(self, reason: str | None) -> None:
        """The read model's stale flag for this run, shown as a badge (None: not stale)."""
        stale = {"stale": True, "stale_reason": reason} if reason else {}
        with self._state_lock:
            if stale == self._stale:
                return
            self._stale = stale
            state = {k: v for k, v in self.run.items() if k not in ("stale", "stale_reason")}
            self.run = {**state, **stale}

    def compare(self, summary: RunSummary) -> None:
        """The cell's history came in after the run ended (it loads on a thread): show the
        deltas and bests now (the live card only; the saved static fallback keeps what it
        showed when the cell ended: a display is only updated while its cell runs)."""
        with self._state_lock:
            self._compared = summary
            if self._summary is None:
                return  # finish() will show it
            with self.hold_sync():
                self._summary = summary
                self.summary_text = repr(summary)
                self.metrics = summary.metric_rows()

    @staticmethod
    def _run_state(run) -> dict:
        err = getattr(run, "error", None)
        return {
            "run_id": run.run_id,
            "name": run.name,
            "tags": [str(t) for t in (run.tags or [])],
            "status": run.status,
            "duration_s": round(run.duration_s, 3) if run.duration_s is not None else None,  # ms: fmtDuration
            "params": [[str(k), format_value(v)] for k, v in list((run.params or {}).items())[:200]],
            "error": {"type": str(err.get("type")), "message": str(err.get("message"))[:2000]} if err else None,
        }

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data)
        if self._summary is not None:
            data["text/plain"] = repr(self._summary)
            try:
                data["text/html"] = self._summary._repr_html_()
            except Exception:
                pass
        else:
            r = self._first_state or self.run
            data["text/plain"] = f"nbtrack run {r.get('run_id', '')} {r.get('status', '')}".rstrip()
        return data, meta


def _no_flush() -> None:
    pass


def _publish(data: dict, metadata: dict, display_id: str, update: bool) -> None:
    """``display``/``update_display`` of a ready mime bundle, without IPython's formatters (the
    bundle is the card's own) and, when stdout and stderr hold nothing, without ipykernel's
    flush of them: that flush is a round trip to the IOPub thread per stream, ~0.5 ms each
    here, made even when there is nothing to send. When something is pending, it flushes as
    usual so that the cell's printed text keeps its place before the card."""
    import sys

    from IPython.core.display_functions import publish_display_data
    from IPython.core.interactiveshell import InteractiveShell

    transient = {"display_id": display_id}
    pub = InteractiveShell.instance().display_pub if InteractiveShell.initialized() else None
    idle = all(getattr(s, "_flush_pending", None) is False for s in (sys.stdout, sys.stderr))
    if (
        idle
        and pub is not None
        and callable(getattr(pub, "_flush_streams", None))
        and "_flush_streams" not in vars(pub)
    ):
        pub._flush_streams = _no_flush  # this one call only (an instance attribute)
        try:
            publish_display_data(data, metadata, transient=transient, update=update)
        finally:
            del pub._flush_streams
    else:
        publish_display_data(data, metadata, transient=transient, update=update)


class _Pusher:
    """One daemon thread ticks every live card (at most PUSH_HZ times a second each): a thread
    per card would cost every tracked cell a thread start."""

    def __init__(self):
        self._cards: list[RunCard] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._spares: list[RunCard] = []  # cards opened ahead, for the next cells (SPARES)
        self._spare_cls: type | None = None  # set: make a spare card on the next wake-up
        self._deferred_at = 0.0
        self._queue: list[tuple] = []  # (fn, args, when queued) for this thread, in order (see later)
        self._watched: list[RunCard] = []  # ended cards whose stale flag is kept current
        self._changes_seen = 0  # execlog.CHANGES when the flags were last checked

    def want_spare(self, cls: type) -> None:
        with self._lock:
            if len(self._spares) >= SPARES or self._spare_cls is not None:
                return  # full, or asked already: a later cell's end does not push it back
            self._spare_cls = cls
            self._deferred_at = time.monotonic()
        self._ensure_thread()  # no wake-up: the thread polls (IDLE_POLL_S)

    def later(self, fn, *args, when_idle: bool = True) -> bool:
        """Have the card thread call ``fn(*args)`` at its next tick (<= IDLE_POLL_S), in the
        order asked, without waking it; False if the thread is not running. ``when_idle``: not
        while a cell runs (it waits at most MAX_WAIT_S), for work of a cell that has ended."""
        if self._thread is None or not self._thread.is_alive():
            return False
        with self._lock:
            self._queue.append((fn, args, time.monotonic() if when_idle else None))
        return True

    def _next_ready(self) -> tuple | None:
        """Pop the first queued call that may run now (see later), or None."""
        with self._lock:
            for i, item in enumerate(self._queue):
                if item[2] is None or self._may_run(item[2]):
                    return self._queue.pop(i)
        return None

    def take_spare(self) -> "RunCard | None":
        with self._lock:
            while self._spares:
                card = self._spares.pop(0)
                if getattr(card, "comm", None) is not None:  # else closed meanwhile
                    return card
        return None

    def _make_spare(self) -> None:
        """One spare card; the request stays while the pool is not full (one card a tick)."""
        with self._lock:
            cls = self._spare_cls
        if cls is None:
            return
        try:
            card = cls()
        except Exception:
            with self._lock:
                self._spare_cls = None
            return
        with self._lock:
            if len(self._spares) < SPARES:
                self._spares.append(card)
                card = None
            if len(self._spares) >= SPARES:
                self._spare_cls = None
        if card is not None:
            card.close()

    def watch_stale(self, card: RunCard) -> None:
        """Keep ``card``'s stale badge current: when a later cell changes a name a tracked run
        read (the execution log counts them), the card thread asks the read model's flags."""
        with self._lock:
            if card not in self._watched:
                self._watched.append(card)
                del self._watched[:-STALE_WATCH]

    def _check_stale(self) -> None:
        """On this thread, with the kernel idle: the watched runs' flags from the read model's
        source (the execution log, the saved notebook), as the table and the sidebar get them."""
        from ..capture import execlog
        from ..store.runs_view import as_source

        changes = execlog.CHANGES
        if changes == self._changes_seen or views.busy_for() != 0.0:
            return
        self._changes_seen = changes
        with self._lock:
            cards = [c for c in self._watched if getattr(c, "comm", None) is not None and c._run is not None]
            self._watched = cards
        by_store: dict = {}
        for card in cards:
            by_store.setdefault(card._run.store, []).append(card)
        for store, group in by_store.items():
            stale_flags = as_source(store).stale_flags
            if stale_flags is None:
                continue
            try:
                flags = stale_flags([c._run.run_id for c in group])
            except Exception:
                continue  # the badge is a view: a store it cannot read leaves the cards as they are
            for card in group:
                card.set_stale(flags.get(card._run.run_id))

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="nbtrack-cards", daemon=True)
                self._thread.start()

    def add(self, card: RunCard) -> None:
        with self._lock:
            self._cards.append(card)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="nbtrack-cards", daemon=True)
                self._thread.start()
        # No wake-up: the card's first push is due in 1/PUSH_HZ and the thread looks for new cards
        # every IDLE_POLL_S (waking it from the cell's thread cost the cell ~0.5 ms in the GIL).

    def wake(self) -> None:
        self._wake.set()

    def _done(self, card: RunCard) -> None:
        with self._lock:
            if card in self._cards:
                self._cards.remove(card)
        try:
            if card._feed is not None:
                card._feed.close()
        finally:
            card._done.set()

    @staticmethod
    def _may_run(queued_at: float) -> bool:
        """Background work queued at ``queued_at`` may run now: no cell runs, or it waited long."""
        return views.busy_for() == 0.0 or time.monotonic() - queued_at >= MAX_WAIT_S

    def _loop(self) -> None:
        period = 1.0 / PUSH_HZ
        while True:
            # Widget messages the cell left to this thread (a spare card's run, a run's final
            # traits): sent here, so that the cell does not pay for them (each message costs the
            # sender ~0.3 ms in a kernel: serialisation and a wake-up of the IOPub thread).
            # A past cell's messages wait for the kernel to be idle (or MAX_WAIT_S): a cell sent
            # right after a tracked one would otherwise wait for the GIL while they are serialised.
            while (item := self._next_ready()) is not None:
                fn, args, _ = item
                try:
                    fn(*args)
                except Exception:
                    pass
            # A spare card is made a moment after the cell that asked for it ended (DEFER_S),
            # so that it does not compete with the end of the cell for the GIL. Not held back
            # for an idle kernel: a cell that finds no spare opens its card itself (~1 ms).
            if self._spare_cls is not None and time.monotonic() - self._deferred_at >= DEFER_S:
                self._make_spare()
            if self._watched:
                self._check_stale()
            with self._lock:
                cards = list(self._cards)
            now = time.monotonic()
            for card in cards:
                try:
                    if card._stop.is_set():
                        self._done(card)
                    elif card._due <= now:
                        card._due = now + period
                        if card._step():
                            self._done(card)
                except Exception:  # never let one card stop the others
                    with self._lock:
                        if card in self._cards:
                            self._cards.remove(card)
                    card._done.set()
            with self._lock:  # no wake-ups from the cell's thread: it polls (see add)
                timeout = IDLE_POLL_S
                if self._cards:
                    timeout = min(timeout, max(0.0, min(c._due for c in self._cards) - time.monotonic()))
                if self._spare_cls is not None:
                    timeout = min(timeout, max(0.0, self._deferred_at + DEFER_S - time.monotonic()))
                if self._queue:
                    timeout = min(timeout, BUSY_POLL_S)
            self._wake.wait(timeout)
            self._wake.clear()


_PUSHER = _Pusher()


def frontend_available(shell) -> bool:
    """A kernel with a front end that can show widgets (not plain terminal IPython)."""
    return shell is not None and getattr(shell, "kernel", None) is not None


def live_card(run_obj) -> RunCard:
    """The live card under a tracked cell, displayed (capture's display hook, registered below)."""
    card = RunCard.for_run(run_obj)
    card.start_live()
    card.show()
    return card


views.register(live_card, on_cell_end=RunCard.prepare_spare)  # capture imports no widget: it calls this
