"""The layers stay untied (issue 13 part 5): capture imports no widget, one home for errors,
``Run.log`` takes what ``nbtrack.log`` takes, no public name hides a subpackage."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import nbtrack

SRC = Path(nbtrack.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    """Absolute names of the nbtrack modules ``path`` imports (any depth, any place in it)."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("nbtrack."):
            out.add(node.value)  # a module named in a string (import_module, a list of names to import)
    return out


def test_capture_imports_no_widget():
    offenders = {
        p.name: sorted(n for n in _imports(p) if n.startswith("nbtrack.widgets"))
        for p in (SRC / "capture").glob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_card_registers_itself_as_captures_display_hook():
    from nbtrack.capture import views
    from nbtrack.widgets import card

    assert views.registered() and views._factory is card.live_card


def test_every_warning_nbtrack_gives_is_an_nbtrack_warning():
    # warnings.simplefilter("error", nbtrack.NbtrackWarning) must catch every one of them.
    ours = {"NbtrackWarning", "IncompleteReadWarning"}
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr == "warn" and getattr(func.value, "id", "") == "warnings":
                category = node.args[1] if len(node.args) > 1 else None
                category = next((k.value for k in node.keywords if k.arg == "category"), category)
                name = getattr(category, "id", getattr(category, "attr", None))
                if name not in ours:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_every_exception_class_lives_in_nbtrack_errors():
    from nbtrack import errors

    defined = {}
    for path in SRC.rglob("*.py"):
        if path.name == "errors.py" and path.parent == SRC or "interop/wandb.py" in path.as_posix():
            continue  # the W&B shim's own classes mirror wandb's (wandb.Error, ...)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", getattr(b, "attr", "")).endswith(("Error", "Exception", "Warning", "Timeout"))
                for b in node.bases
            ):
                defined[node.name] = path.relative_to(SRC).as_posix()
    assert defined == {}
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), (Exception, Warning))


def test_old_import_paths_give_the_same_classes():
    from nbtrack import errors
    from nbtrack.capture.magic import NbtrackWarning
    from nbtrack.store import StoreError
    from nbtrack.store.filters import FilterError
    from nbtrack.store.query import UnknownRunError

    assert NbtrackWarning is errors.NbtrackWarning is nbtrack.NbtrackWarning
    assert StoreError is errors.StoreError is nbtrack.StoreError
    assert FilterError is errors.FilterError and UnknownRunError is errors.UnknownRunError
    assert issubclass(UnknownRunError, KeyError) and issubclass(UnknownRunError, StoreError)


def test_nbtrack_store_is_the_package_and_still_callable(store_dir):
    import nbtrack.store.ids

    assert nbtrack.store.ids.new_run_id() != nbtrack.store.ids.new_run_id()
    assert nbtrack.store().dir == Path(store_dir)
    assert nbtrack.store(str(store_dir / "other")).dir == store_dir / "other"
    # in a fresh interpreter too (nothing imported the subpackage first)
    code = "import nbtrack; print(nbtrack.store.ids.new_run_id.__name__, callable(nbtrack.store))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["new_run_id", "True"]


@pytest.mark.parametrize("name", [n for n in nbtrack.__all__ if n != "__version__"])
def test_no_public_name_hides_a_subpackage(name):
    sub = SRC / name
    if (sub / "__init__.py").exists() or sub.with_suffix(".py").exists():
        assert inspect.ismodule(getattr(nbtrack, name)), f"nbtrack.{name} hides the module nbtrack/{name}"


def _points(run) -> list[tuple]:
    store = nbtrack.store()
    store.flush()
    frame = nbtrack.series(run.run_id)
    return list(zip(frame.key, frame.step.astype(int), frame.value))


def test_run_log_takes_what_nbtrack_log_takes(store):
    with nbtrack.start(name="via-module") as a:
        nbtrack.log(step=3, loss=0.5, acc=0.25)
        nbtrack.log(loss=0.4)
    with nbtrack.start(name="via-run") as b:
        b.log(step=3, loss=0.5, acc=0.25)
        b.log(loss=0.4)
    assert sorted(_points(a)) == sorted(_points(b)) == [("acc", 3, 0.25), ("loss", 3, 0.5), ("loss", 4, 0.4)]
    with nbtrack.start() as c:  # the dict form, for keys that are not Python names
        c.log(7, {"val/loss": 0.1})
        c.log({"val/loss": 0.05})
        c.log(step=10, metrics={"val/loss": 0.01})
    assert sorted(_points(c)) == [("val/loss", 7, 0.1), ("val/loss", 8, 0.05), ("val/loss", 10, 0.01)]
    with nbtrack.start() as d, pytest.raises(TypeError, match="real number"):
        d.log(step=1, loss="high")
