"""What the gates themselves rely on: one version everywhere, the browser marker selecting the
browser tests (issue 13 part 6)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbtrack

ROOT = Path(__file__).resolve().parents[1]


def _pep440(npm_version: str) -> str:
    """``1.2.0-alpha.3`` -> ``1.2.0a3`` (npm's prerelease spelling to Python's)."""
    m = re.fullmatch(r"(\d+\.\d+\.\d+)(?:-(alpha|beta|rc)\.?(\d+))?", npm_version)
    assert m, f"package.json version {npm_version!r} is not MAJOR.MINOR.PATCH[-alpha|beta|rc.N]"
    base, pre, n = m.groups()
    return base + ({"alpha": "a", "beta": "b", "rc": "rc"}[pre] + n if pre else "")


def test_python_and_package_json_versions_match():
    npm = json.loads((ROOT / "package.json").read_text())["version"]
    assert _pep440(npm) == nbtrack.__version__
    built = ROOT / "src" / "nbtrack" / "labextension" / "package.json"  # what JupyterLab loads
    if built.exists():
        assert json.loads(built.read_text())["version"] == npm


def test_pep440_spelling():
    assert _pep440("0.1.0") == "0.1.0" and _pep440("1.2.0-alpha.3") == "1.2.0a3" and _pep440("2.0.0-rc.1") == "2.0.0rc1"


def test_the_browser_marker_selects_exactly_the_browser_tests():
    def collected(*args: str) -> set[str]:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--collect-only",
                "-q",
                "-p",
                "no:cacheprovider",
                *args,
                "tests/browser",
                "tests/test_gates.py",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return {line.split("::")[0] for line in out.stdout.splitlines() if "::" in line}

    browser = collected("-m", "browser")
    assert browser and all(p.startswith("tests/browser/") for p in browser)
    assert collected("-m", "not browser") == {"tests/test_gates.py"}
