"""Test helpers shared across folders (a module of its own: every conftest is named conftest)."""

import os
import subprocess
from pathlib import Path


def can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    probe = Path("/tmp/nbtrack-mount-probe")
    probe.mkdir(exist_ok=True)
    ok = (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True).returncode
        == 0
    )
    if ok:
        subprocess.run(["umount", str(probe)], capture_output=True)
    return ok
