"""What a cell cost: CPU time, peak RSS growth of the kernel and, with a GPU, peak GPU memory.

Peak RSS is the kernel's own high-water mark, not a sample: on Linux the cell's start resets
it (``/proc/self/clear_refs``) and its end reads it (``VmHWM`` in ``/proc/self/status``), so a
spike between two samples is not missed and no thread wakes up (about 30 us a cell). Where
that is not possible the lifetime peak (``getrusage``) is used, which sees growth only above
the process's earlier peak. GPU figures come from ``torch.cuda`` when the user's code already
imported torch and a GPU is there; nbtrack never imports torch for the user.
"""

from __future__ import annotations

import sys
import time

_PROC = "/proc/self"
try:
    import os as _os

    _PAGE_KB = _os.sysconf("SC_PAGE_SIZE") // 1024
except (AttributeError, ValueError, OSError):
    _PAGE_KB = 4


class _ProcFiles:
    """``/proc/self`` files kept open and re-read with ``pread`` at offset 0 (the kernel makes
    their text afresh on each read): no open/close per cell, each a point where another
    thread could take the GIL. Reopened in a forked child (its /proc/self is another file)."""

    def __init__(self):
        self.pid = 0
        self.fds: dict[str, int] = {}

    def fd(self, name: str, flags: int) -> int:
        pid = _os.getpid()
        if pid != self.pid:
            self.pid, self.fds = pid, {}  # forked: the parent's fds describe the parent
        fd = self.fds.get(name)
        if fd is None:
            fd = self.fds[name] = _os.open(f"{_PROC}/{name}", flags | getattr(_os, "O_CLOEXEC", 0))
        return fd

    def read(self, name: str, size: int) -> bytes:
        return _os.pread(self.fd(name, _os.O_RDONLY), size, 0)

    def write(self, name: str, data: bytes) -> None:
        _os.write(self.fd(name, _os.O_WRONLY), data)


_FILES = _ProcFiles()


def _status_kb(field: bytes) -> int | None:
    try:
        text = _FILES.read("status", 8192)
        at = text.index(field)
        return int(text[at + len(field) : text.index(b"\n", at)].split()[0])
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _rss_kb() -> int | None:
    try:
        return int(_FILES.read("statm", 256).split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _reset_peak() -> bool:
    try:
        _FILES.write("clear_refs", b"5")  # 5: reset the peak RSS to the current RSS (Linux >= 4.0)
        return True
    except (OSError, AttributeError):
        return False


def _lifetime_peak_kb() -> int | None:
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere
    except Exception:
        return None


class Meter:
    """``m = Meter(); ...cell...; m.stop()`` -> {"sys.cpu_s": ..., "sys.peak_rss_mb": ...}."""

    def __init__(self):
        self.cpu0 = time.process_time()
        self.exact = _reset_peak()
        self.rss0 = _rss_kb() if self.exact else _lifetime_peak_kb()
        # After the reset getrusage's peak is the reset one (~10 us), unless threads that
        # exited earlier left a higher peak in it: then read VmHWM (~0.3 ms in a kernel).
        start_peak = _lifetime_peak_kb() if self.exact else None
        self.fast = self.exact and start_peak is not None and self.rss0 is not None and start_peak <= self.rss0 + 1024
        self.gpu = _gpu_begin()

    def stop(self) -> dict[str, float]:
        out = {"sys.cpu_s": round(time.process_time() - self.cpu0, 6)}
        if self.fast:
            peak = _lifetime_peak_kb()
        else:
            peak = _status_kb(b"VmHWM:") if self.exact else _lifetime_peak_kb()
        if peak is not None and self.rss0 is not None:
            out["sys.peak_rss_mb"] = round(max(0, peak - self.rss0) / 1024, 3)
        out.update(_gpu_end(self.gpu))
        return out


def _gpu_begin():
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
            return torch
    except Exception:
        pass
    return None


def _gpu_end(torch) -> dict[str, float]:
    if torch is None:
        return {}
    try:
        out = {"sys.gpu_mem_mb": round(torch.cuda.max_memory_allocated() / 2**20, 3)}
        util = getattr(torch.cuda, "utilization", None)
        if callable(util):
            out["sys.gpu_util"] = float(util())
        return out
    except Exception:
        return {}
