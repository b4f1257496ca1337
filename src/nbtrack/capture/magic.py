"""``%%track`` and ``%nbtrack``: IPython glue, no storage logic.

How the body runs "exactly as without the magic": an input transformer blanks the ``%%track``
line, so IPython itself runs the body as an ordinary cell (display of the last value, ``;``,
tracebacks whose line numbers match the editor, top-level ``await``, ``%magics`` and ``!cmd``,
names landing in the user namespace). The ``pre_run_cell``/``post_run_cell`` events, which see
the raw cell, start and end the run around it. The registered cell magic exists for ``%%track?``
help and for callers that invoke it directly (``run_cell_magic``).

Anything that goes wrong in here becomes one warning; the user's cell is never affected.
"""

from __future__ import annotations

import ast
import base64
import os
import shlex
import sys
import time
import warnings
from functools import lru_cache
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from ..errors import NbtrackWarning  # noqa: F401  (tests and callers import it from here)
from ..store import get_store, location
from . import context, printed, views
from . import run as runmod
from .analyze import analyze, inner_body
from .execlog import ExecLog
from .extract import extract
from .resources import Meter
from .rules import project_rules
from .summary import CellHistory, RunSummary
from .values import file_summary, safe_repr, summarize

MAX_STDOUT = 64 * 1024
MAX_ARTIFACT = 2 * 1024 * 1024
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
_SKIP_INPUTS = {"In", "Out", "get_ipython", "exit", "quit", "nbtrack"}


def _parse_param(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"--param expects KEY=VALUE, got {text!r}")
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        value = raw.strip()  # not a Python literal: keep it as text
    return key.strip(), value


@magics_class
class TrackMagics(Magics):
    def __init__(self, shell, tracker: "Tracker"):
        super().__init__(shell)
        self.tracker = tracker

    @magic_arguments()
    @argument("-n", "--name", help="A name for this run (shown in the summary, table and sidebar).")
    @argument("-t", "--tag", action="append", default=[], help="A tag for this run; repeat for more.")
    @argument(
        "-e",
        "--experiment",
        help="Experiment to file the run under (default: the notebook's file name without .ipynb).",
    )
    @argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="An explicit parameter; VALUE is read as a Python literal (else kept as text). Repeatable.",
    )
    @argument("-q", "--quiet", action="store_true", help="Show no run summary under the cell.")
    @argument(
        "--explain",
        action="store_true",
        help="Print every captured param, metric and input and the rule that produced it.",
    )
    @argument(
        "--no-param",
        action="append",
        default=[],
        metavar="NAME",
        help="Never record NAME as a parameter (a variable or keyword name). Repeatable.",
    )
    @argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME",
        help="Record NAME as a metric whatever the rules say. Repeatable.",
    )
    @argument(
        "--sweep",
        metavar="SPACE",
        help="Run the cell once per trial: \"lr=[0.1, 0.01]; depth=int(2, 12); opt=choice('a', 'b')\"; "
        "also range(..), uniform(lo, hi), loguniform(lo, hi).",
    )
    @argument("--trials", type=int, help="Number of trials (default: the whole grid, or 10).")
    @argument("--optimize", metavar='"metrics.NAME max|min"', help="The sweep's objective.")
    @argument("--seed", type=int, help="Seed of the sweep's sampler (repeatable trial sequence).")
    @argument("--stop-on-error", action="store_true", help="Stop the sweep at the first failed trial.")
    @argument("--replay-of", metavar="RUN_ID", help="This run replays RUN_ID (set by nbtrack.replay).")
    @cell_magic
    def track(self, line: str, cell: str):
        """Track this cell: every execution becomes a run in the nbtrack store.

        Captured: parameters (top-level literal assignments and --param), inputs (names the
        cell reads that existed before: values, or type/shape/fingerprint), metrics (numeric
        scalars the cell computes at top level, and nbtrack.log series), other outputs
        (type/shape), stdout and images, code, notebook, cell id, git and environment.
        """
        # Normally the transformer runs the body as a plain cell; this path serves direct calls
        # and sweeps (a sweep cell keeps its %%track line, so IPython calls this magic).
        args = parse_options(line)
        if args.sweep:
            from .sweep import run_sweep

            run_sweep(self.tracker, args, cell)
            return
        self.tracker.start(args, cell, info=None)
        self.tracker.shell.run_cell(cell, store_history=False)  # its post_run_cell event ends the run

    @line_magic
    def nbtrack(self, line: str):
        """%nbtrack            show where the store is and what it holds
        %nbtrack store PATH    use the store folder PATH in this kernel"""
        from ..store import query

        parts = line.split(maxsplit=1)
        if parts and parts[0] == "store":
            if len(parts) < 2:
                raise UsageError("usage: %nbtrack store PATH")
            location.set_override(parts[1].strip().strip("'\""))
        elif parts:
            raise UsageError("usage: %nbtrack  or  %nbtrack store PATH")
        info = query.store_info(get_store())
        print(
            f"nbtrack store: {info['path']}  ({info['runs']} runs, {info['running']} running, {info['points']} points)"
        )
        if "remote" in info:  # the team store (nbtrack.team.status)
            state = "reachable" if info.get("reachable") else "unreachable"
            print(
                f"team store: {info['remote']}  ({state}; {info.get('pending_runs', '?')} runs, "
                f"{info.get('pending_points', '?')} points waiting to be pushed)"
            )


@lru_cache(maxsize=512)
def parse_track_line(first_line: str):
    """The options of a ``%%track`` first line, or None if it is not a valid one."""
    line = first_line.rstrip("\n")
    if not line.startswith("%%track"):
        return None
    rest = line[len("%%track") :]
    if rest and not rest[0].isspace():
        return None  # e.g. %%tracker
    if rest.rstrip().endswith("?"):
        return None  # %%track? is a help request
    try:
        return parse_options(rest)
    except UsageError:
        return None


def parse_options(text: str):
    """Parse %%track options like a shell: ``--name "rf baseline"`` gives ``rf baseline``
    (IPython's own magic parser keeps the quotes on Linux)."""
    try:
        argv = shlex.split(text, posix=True)
    except ValueError as exc:
        raise UsageError(f"%%track: {exc}") from None
    args = TrackMagics.track.parser.parse_args(argv)
    args.params = dict(_parse_param(p) for p in args.param)
    return args


def strip_track_line(lines: list[str]) -> list[str]:
    """IPython cleanup transformer: blank a valid ``%%track`` line, keeping line numbers."""
    args = parse_track_line(lines[0]) if lines else None
    if args is not None and not args.sweep:  # a sweep runs through the magic itself
        if len(lines) > 1 and lines[1].startswith("%%"):
            return lines[1:]  # another cell magic must come first
        return ["\n"] + lines[1:]
    return lines


class _Tee:
    """sys.stdout stand-in that also keeps a capped copy of what the cell prints."""

    def __init__(self, stream):
        self._stream = stream
        self.parts: list[str] = []
        self.size = 0

    def write(self, text):
        if self.size < MAX_STDOUT and isinstance(text, str):
            self.parts.append(text[: MAX_STDOUT - self.size])
            self.size += len(self.parts[-1])
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


class Tracker:
    """Per-shell state: the run of the cell now executing and each cell's recent history."""

    def __init__(self, shell):
        self.shell = shell
        self.run: runmod.Run | None = None
        self.args = None
        self.analysis = None
        self.inputs: list[dict] = []
        self.images: list[dict] = []
        self.tee: _Tee | None = None
        self._publish = None
        self.history = CellHistory()  # each cell's recent runs, for the card's comparison
        self._owner = None  # the ExecutionInfo of the cell whose run is active (see pre_run_cell)
        self._card = None
        self._stores_met: set[str] = set()  # stores a tracked cell of this session has used
        self._warned: set[str] = set()
        self._analyses: dict[str, Any] = {}
        self.produced: dict[str, tuple[int, dict]] = {}  # name -> (id of value, params of its run)
        self.printed_scores = printed.PrintedScores()
        self.execlog = ExecLog()
        self._depth = 0  # cells running now: only the outermost one is logged
        self._finished = None  # (run, inputs, assigned) of the tracked cell that just ended
        self._store_dir, self._store_at = None, -1e9  # the log's store, resolved at most once a second
        self.rules = project_rules()
        self.meter = None
        self.last_sweep: str | None = None  # the id of this kernel's last %%track --sweep (nbtrack.sweep())

    # -- events ----------------------------------------------------------------------------

    def pre_run_cell(self, info) -> None:
        # Only the outermost cell starts and ends a run: a cell run from inside the tracked one
        # (get_ipython().run_cell(...), %%capture, which runs its body as a cell) is part of it.
        if self.run is not None:
            if self._owner is _ADOPT:  # the %%track magic called directly: its cell owns the run
                self._owner = info
            return
        raw = getattr(info, "raw_cell", None) or ""
        if not raw.startswith("%%track"):
            return
        args = parse_track_line(raw.split("\n", 1)[0])
        if args is None or args.sweep:  # a sweep makes one run per trial, from the magic
            return
        body = raw.split("\n", 1)[1] if "\n" in raw else ""
        self._guard(self.start, args, body, info)

    def post_run_cell(self, result) -> None:
        if self.run is None:
            return
        info = getattr(result, "info", None)
        if self._owner is not _ADOPT and info is not None and info is not self._owner:
            return  # a nested cell ended, not the tracked one
        self._guard(self.finish, result)

    # -- the execution log (every cell, tracked or not) ----------------------------------------

    def log_pre(self, info) -> None:
        self._depth += 1
        if self._depth == 1:
            views.set_busy(True)

    def log_post(self, result) -> None:
        self._depth = max(0, self._depth - 1)
        finished, self._finished = self._finished, None
        if self._depth:
            return  # a cell run from inside another one is part of it
        try:
            info = getattr(result, "info", None)
            raw = getattr(info, "raw_cell", None) or ""
            cell_id = context.cell_id(self.shell, info, context.notebook_path(self.shell.user_ns))
            run, inputs, assigned = finished or (None, (), ())
            now = time.monotonic()
            if run is not None or now - self._store_at > 1.0:  # resolving the store costs ~40 us
                self._store_dir, self._store_at = (run.store.dir if run is not None else get_store().dir), now
            self.execlog.record(
                self._store_dir,
                self.shell.user_ns,
                raw,
                cell_id,
                getattr(result, "execution_count", None),
                run,
                inputs,
                assigned,
            )
        except Exception:
            pass  # the log is for replay and stale flags; it never costs the user the cell
        views.set_busy(False)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self, args, body: str, info) -> None:
        shell = self.shell
        store = get_store()
        store.writer.check_writable()
        analysis = self._analyze(body)
        self.rules = project_rules().with_cell(getattr(args, "no_param", ()), getattr(args, "metric", ()))
        explicit = getattr(args, "params", None) or dict(_parse_param(p) for p in args.param)
        params = {k: v for k, v in analysis.params.items() if not self.rules.noise_name(k.split(".")[0])}
        params.update(explicit)
        ns = shell.user_ns
        notebook = context.notebook_path(ns)
        cell_id = context.cell_id(shell, info, notebook)
        self.inputs = []
        self.input_values = {}
        for name in analysis.reads:
            if name in ns and name not in _SKIP_INPUTS and not name.startswith("_") and name not in params:
                value = ns[name]
                if _is_code_object(value):
                    continue
                self.input_values[name] = value
                self.inputs.append({"name": name, **summarize(value)})
        for path in analysis.files[:20]:  # files the cell reads are inputs too (replay, stale flags)
            entry = file_summary(path, os.getcwd())
            if entry is not None:
                self.inputs.append({"name": f"file:{path}", **entry})
        self.meter = Meter()
        printed.reset()
        self.printed_scores.armed = True  # the next AST IPython compiles is this cell's body
        run = runmod.Run(
            store,
            name=args.name,
            experiment=args.experiment,
            tags=args.tag,
            params=params,
            notebook=notebook,
            cell_id=cell_id,
            execution_count=shell.execution_count,
            source=body,
        )
        self.args, self.analysis, self.run = args, analysis, run
        if getattr(args, "replay_of", None):
            run.extra_context["replay_of"] = args.replay_of
        self._owner = info if info is not None else _ADOPT
        run.begin()
        self._card = self._live_card(run)
        runmod._stack.append(run)
        self.history.load(store, notebook)  # once per store and notebook, on a thread
        self.tee = _Tee(sys.stdout)
        sys.stdout = self.tee
        self._capture_displays()

    def finish(self, result) -> None:
        run, analysis, self.run = self.run, self.analysis, None
        if run is None:  # post_run_cell calls this only while a run is active
            return
        summary = None
        try:
            if runmod._stack and runmod._stack[-1] is run:
                runmod._stack.pop()
            stdout = self._stop_capture()
            exc = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
            if getattr(result, "execution_count", None) is not None:
                run.execution_count = result.execution_count  # the prompt number, In [n]
            if isinstance(exc, KeyboardInterrupt):
                status = "interrupted"
            elif exc is not None:
                status = "failed"
            else:
                status = "finished"
            ns = self.shell.user_ns
            cost = self.meter.stop() if getattr(self, "meter", None) is not None else {}
            metrics = run.last_values()
            captured = self._extract(run, analysis, ns, result)
            if captured is not None:
                run.log_params(captured.params)
                run.param_sources.update(
                    {
                        k: r
                        for k, r in captured.param_rules.items()
                        if k in run.params and k not in run.param_sources and r.startswith("inherited")
                    }
                )
                for key, values in captured.series.items():
                    if key not in metrics:
                        for step, value in enumerate(values):
                            run.log(step, {key: value})
                metrics.update({k: v for k, v in captured.metrics.items() if k not in metrics})
            metrics.update(cost)
            outputs = []
            for name in analysis.assigned:
                if name.startswith("_") or name in run.params or name not in ns:
                    continue
                value = ns[name]
                if name in metrics:
                    continue
                elif not _is_code_object(value):
                    outputs.append(
                        {
                            "name": name,
                            **{k: v for k, v in summarize(value, fingerprint=False).items() if k in ("type", "shape")},
                            "summary": summarize(value, fingerprint=False)["value"],
                        }
                    )
            artifacts = list(self.images)
            if stdout:
                data = stdout.encode("utf-8", "replace")
                artifacts.append({"name": "stdout", "mime": "text/plain", "size": len(data), "data": data})
            run.extra_context.update(
                {"session": self.execlog.session, "log_seq": self.execlog.seq + 1}
            )  # this cell's log line
            run.end(status, exc, metrics=metrics, inputs=self.inputs, outputs=outputs, artifacts=artifacts)
            self._finished = (run, list(self.inputs), set(analysis.assigned))
            self._remember_producers(run, analysis, ns, captured)
            if getattr(self.args, "explain", False):
                self._explain(run, analysis, captured, cost)
            summary = self._summary(run)
        finally:
            self._report_problems(run.store)
            if run.status == "running":  # something above failed: the run (and its card) still end
                try:
                    exc = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
                    status = (
                        "interrupted"
                        if isinstance(exc, KeyboardInterrupt)
                        else "failed"
                        if exc is not None
                        else "finished"
                    )
                    run.end(status, exc, metrics=run.last_values())
                except Exception:
                    pass
            if summary is None and self._card is not None:
                summary = RunSummary(run, None, {})
        if summary is not None and not self.args.quiet:
            self._show_summary(summary)

    def _live_card(self, run):
        """A live run card under the cell when a widget front end is there, else None."""
        if getattr(self.args, "quiet", False):
            return None
        if getattr(self.shell, "kernel", None) is None:  # terminal IPython: text summary
            return None
        try:
            if not views.registered():  # the card registers itself when imported (on the main thread)
                context.import_on_main_thread(self.shell, widgets=True)
            return views.open_view(run)
        except Exception as exc:  # no widgets: the text/HTML summary comes at the end
            self.warn(
                f"nbtrack: the live run card is unavailable ({type(exc).__name__}: {exc}); "
                "showing a plain summary instead."
            )
            return None

    def _show_summary(self, summary) -> None:
        from IPython.display import display

        card, self._card = self._card, None
        if card is not None:
            try:
                card.show_final(summary)
                views.cell_ended()  # the card prepares the next cell's card while the kernel idles
                return
            except Exception:
                pass
        display(summary)

    # -- capture ----------------------------------------------------------------------------

    def _extract(self, run, analysis, ns, result):
        """Params and metrics the objects reveal (capture.extract); None if that failed."""
        last = getattr(result, "result", None)  # the value IPython displayed, if any
        if last is None and printed.last[0] is not printed.NOTHING:
            last = printed.last[0]  # hidden by ';' or by a capture: still the cell's result
        try:
            self.printed_scores.armed = False
            captured = extract(
                analysis,
                ns,
                self.rules,
                inputs=getattr(self, "input_values", {}),
                produced=self.produced,
                last_value=last,
                skip_params=set(run.params),
                printed=dict(printed.printed),
                printed_series=dict(printed.series),
            )
            printed.reset()
        except Exception as exc:  # a rule must never cost the user the run
            self.warn(
                f"nbtrack: capturing params/metrics failed ({type(exc).__name__}: {exc}); "
                "the run keeps the literal params."
            )
            return None
        for problem in captured.problems[:1]:  # one warning, however many odd objects
            self.warn(f"nbtrack: {problem}.")
        return captured

    def _remember_producers(self, run, analysis, ns, captured) -> None:
        """Names this run made that a later cell may read (a fitted model, a config): their
        params flow into that cell's run, marked inherited."""
        own = {k: v for k, v in run.params.items() if not str(run.param_sources.get(k, "")).startswith("inherited")}
        if not own:
            return
        for name in analysis.assigned:
            value = ns.get(name)
            if value is None or name in run.metrics or _is_code_object(value) or _is_data(value):
                continue
            self.produced[name] = (id(value), own)
        if len(self.produced) > 2000:
            self.produced.clear()

    def _explain(self, run, analysis, captured, cost) -> None:
        """%%track --explain: what was captured and which rule produced it."""
        prules = dict(analysis.param_rules)
        mrules = {}
        if captured is not None:
            prules.update(captured.param_rules)
            mrules.update(captured.metric_rules)
        prules.update(run.param_sources)
        lines = [f"nbtrack --explain: run {run.run_id}"]
        lines.append("  params:" if run.params else "  params: none")
        for k, v in run.params.items():
            lines.append(f"    {k} = {safe_repr(v, 80)}  from {prules.get(k, '--param')}")
        lines.append("  metrics:" if run.metrics else "  metrics: none")
        for k, v in run.metrics.items():
            rule = mrules.get(k) or (
                "resource use of the cell"
                if k in cost
                else "nbtrack.log series, last value"
                if k in run._last or any(p[0] == k for p in run._points)
                else "log_metrics"
                if k in run.pending_metrics
                else "number computed in the cell"
            )
            lines.append(f"    {k} = {v:.6g}  from {rule}")
        lines.append("  inputs:" if self.inputs else "  inputs: none")
        for entry in self.inputs:
            what = entry.get("value") or " ".join(str(x) for x in (entry.get("type"), entry.get("shape")) if x)
            lines.append(f"    {entry['name']}: {safe_repr(what, 80)}  (read before the cell assigned it)")
        print("\n".join(lines))

    # -- helpers ----------------------------------------------------------------------------

    def _analyze(self, body: str):
        """AST analysis of the body as IPython will run it (magics and !cmd transformed)."""
        cached = self._analyses.get(body)
        if cached is None:
            try:
                code = self.shell.transform_cell(inner_body(body))
            except Exception:
                code = body
            cached = analyze(code)
            if len(self._analyses) > 256:
                self._analyses.clear()
            self._analyses[body] = cached
        return cached

    def _summary(self, run) -> RunSummary:
        """The run vs. its cell's earlier runs, from the history in memory (loaded once per
        store and notebook, ``CellHistory``): no cell waits for a per-cell query. Waits for the
        load (at most 0.5 s) only in the first tracked cell of a store in this session, so that
        a store that cannot be read (held by another process, corrupt) is reported in the cell
        that first meets it (in a kernel the load started at ``%load_ext``, so it is usually in),
        and for a text summary (terminal: it cannot change later). A card whose history is still
        loading gets the comparison when it is in."""
        history, store, notebook = self.history, run.store, run.notebook
        card = self._card
        if not history.loaded(store, notebook):
            first = str(store.dir) not in self._stores_met
            self._stores_met.add(str(store.dir))
            if first or (card is None and not self.args.quiet):
                history.wait(store, notebook, 0.5)
            if card is not None and history.when_loaded(store, notebook, lambda: card.compare(history.summary(run))):
                pass  # the card shows the deltas when the history is in
        summary = history.summary(run)
        history.add(run)
        return summary

    def _capture_displays(self) -> None:
        pub = getattr(self.shell, "display_pub", None)
        if pub is None:
            return
        self.images = []
        original = pub.publish

        def publish(data, *a, **kw):
            try:
                for mime in IMAGE_MIMES:
                    if mime in data and len(self.images) < 20:
                        raw = data[mime]
                        blob = base64.b64decode(raw) if mime != "image/svg+xml" else str(raw).encode()
                        if len(blob) <= MAX_ARTIFACT:
                            self.images.append(
                                {"name": f"display-{len(self.images)}", "mime": mime, "size": len(blob), "data": blob}
                            )
                        break
            except Exception:
                pass
            return original(data, *a, **kw)

        pub.publish = publish
        self._publish = (pub, original)

    def _stop_capture(self) -> str:
        if self._publish is not None:
            pub, original = self._publish
            pub.publish = original
            self._publish = None
        tee, self.tee = self.tee, None
        if tee is None:
            return ""
        if sys.stdout is tee:
            sys.stdout = tee._stream
        return "".join(tee.parts)

    def _report_problems(self, store) -> None:
        writer = store.writer
        while writer.problems:
            self.warn(writer.problems.pop(0))

    def warn(self, message: str) -> None:
        if message in self._warned:
            return
        self._warned.add(message)
        warnings.warn(message, NbtrackWarning, stacklevel=2)

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except Exception as exc:  # tracking must never break the cell
            if fn == self.start:
                self.run = None
                self.printed_scores.armed = False
                self._stop_capture()
            self.warn(f"nbtrack: tracking this cell failed ({type(exc).__name__}: {exc}); the cell ran untracked.")


def _is_data(value: Any) -> bool:
    """Values that are data rather than a model or config (their producer's params do not
    describe them)."""
    if isinstance(value, (str, bytes, int, float, bool, list, tuple, set, frozenset)):
        return True
    mod = type(value).__module__.split(".")[0]
    return mod in ("numpy", "pandas", "polars", "pyarrow", "scipy")


def _is_code_object(value: Any) -> bool:
    import types

    return isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type))


_trackers: dict[int, Tracker] = {}
_ADOPT = object()  # Tracker._owner of a run started by the magic: the next cell it runs owns it


def load_ipython_extension(shell) -> None:
    if id(shell) in _trackers:
        return
    tracker = Tracker(shell)
    _trackers[id(shell)] = tracker
    shell.register_magics(TrackMagics(shell, tracker))
    shell.input_transformers_cleanup.append(strip_track_line)
    shell.ast_transformers.append(tracker.printed_scores)
    shell.events.register("pre_run_cell", tracker.pre_run_cell)
    shell.events.register("post_run_cell", tracker.post_run_cell)
    shell.events.register("pre_run_cell", tracker.log_pre)
    shell.events.register("post_run_cell", tracker.log_post)  # after the run's own end
    runmod.install_sigterm_handler()
    import nbtrack

    shell.user_ns.setdefault("nbtrack", nbtrack)
    # %load_ext runs in a cell, on the main thread: import here what the hooks and threads use,
    # so that none of them is first to import pandas (context.import_on_main_thread).
    context.import_on_main_thread(shell, widgets=getattr(shell, "kernel", None) is not None)
    try:  # the notebook's cell histories, loaded on a thread before the first tracked cell ends
        tracker.history.load(get_store(), context.notebook_path(shell.user_ns))
    except Exception:
        pass


def unload_ipython_extension(shell) -> None:
    tracker = _trackers.pop(id(shell), None)
    if tracker is None:
        return
    if strip_track_line in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(strip_track_line)
    if tracker.printed_scores in shell.ast_transformers:
        shell.ast_transformers.remove(tracker.printed_scores)
    shell.events.unregister("pre_run_cell", tracker.pre_run_cell)
    shell.events.unregister("post_run_cell", tracker.post_run_cell)
    shell.events.unregister("pre_run_cell", tracker.log_pre)
    shell.events.unregister("post_run_cell", tracker.log_post)
