"""What a cell cost: CPU time, peak RSS growth of the kernel and, with a GPU, peak GPU memory.

Measuring changes nothing in the user's process: no reset of the kernel's high-water marks
(``/proc/self/clear_refs`` would lower ``getrusage``'s ``ru_maxrss`` and ``VmHWM`` for the
user's own code; ``torch.cuda.reset_peak_memory_stats`` would do the same to
``max_memory_allocated``). The peak is the highest of: the lifetime peak when the cell raised
it (exact), samples taken every ``SAMPLE_S`` by one sleeping thread while a cell runs, and the
RSS at the cell's end. A spike shorter than ``SAMPLE_S`` that stays below the process's earlier
peak can be missed. GPU figures come from ``torch.cuda`` when the user's code already imported
torch and a GPU is there; nbtrack never imports torch for the user.
"""

from __future__ import annotations

import sys
import threading
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


_FILES = _ProcFiles()


def _rss_kb() -> int | None:
    try:
        return int(_FILES.read("statm", 256).split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _lifetime_peak_kb() -> int | None:
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere
    except Exception:
        return None


SAMPLE_S = 0.01


class _Sampler:
    """One daemon thread, asleep (``Event.wait``) between cells; while a cell runs it reads RSS
    (and GPU memory in use) every ``SAMPLE_S`` and keeps the highest. A read is one ``pread``."""

    def __init__(self) -> None:
        self.running = threading.Event()
        self.lock = threading.Lock()  # a sample of the last cell never lands in the next one
        self.rss_kb = 0
        self.gpu = 0
        self.torch = None
        self.thread: threading.Thread | None = None
        self.pid = 0

    def start(self, rss_kb: int, torch) -> None:
        with self.lock:
            self.rss_kb, self.torch, self.gpu = rss_kb, torch, 0
        if self.thread is None or self.pid != _os.getpid():  # a forked child has no thread
            self.pid = _os.getpid()
            self.thread = threading.Thread(target=self._loop, name="nbtrack-meter", daemon=True)
            self.thread.start()
        self.running.set()

    def stop(self) -> None:
        with self.lock:
            self.running.clear()

    def _loop(self) -> None:
        while True:
            self.running.wait()
            time.sleep(SAMPLE_S)
            with self.lock:
                if not self.running.is_set():
                    continue
                rss = _rss_kb()
                if rss is not None and rss > self.rss_kb:
                    self.rss_kb = rss
                if self.torch is not None:
                    try:
                        self.gpu = max(self.gpu, self.torch.cuda.memory_allocated())
                    except Exception:
                        self.torch = None


_SAMPLER = _Sampler()


class Meter:
    """``m = Meter(); ...cell...; m.stop()`` -> {"sys.cpu_s": ..., "sys.peak_rss_mb": ...}.
    One cell at a time (the magic's); a nested one is measured by the outer cell's sampler."""

    def __init__(self):
        self.cpu0 = time.process_time()
        self.rss0 = _rss_kb()
        self.life0 = _lifetime_peak_kb()
        self.gpu = _gpu_begin()
        self.sampling = self.rss0 is not None and not _SAMPLER.running.is_set()
        if self.sampling:
            _SAMPLER.start(self.rss0, self.gpu[0] if self.gpu else None)

    def stop(self) -> dict[str, float]:
        out = {"sys.cpu_s": round(time.process_time() - self.cpu0, 6)}
        if self.sampling:
            _SAMPLER.stop()
        rss = _rss_kb()
        if rss is not None and self.rss0 is not None:
            peak = max(rss, _SAMPLER.rss_kb if self.sampling else rss)
            life = _lifetime_peak_kb()
            if life is not None and self.life0 is not None and life > self.life0:
                peak = max(peak, life)  # the cell set a new lifetime peak: that is its peak
            out["sys.peak_rss_mb"] = round(max(0, peak - self.rss0) / 1024, 3)
        out.update(_gpu_end(self.gpu, _SAMPLER.gpu if self.sampling else 0))
        return out


def _gpu_begin():
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            return torch, torch.cuda.max_memory_allocated()
    except Exception:
        pass
    return None


def _gpu_end(gpu, sampled: int) -> dict[str, float]:
    if gpu is None:
        return {}
    torch, max0 = gpu
    try:
        peak = max(sampled, torch.cuda.memory_allocated())
        max1 = torch.cuda.max_memory_allocated()
        if max1 > max0:
            peak = max(peak, max1)  # the cell set a new peak: exact
        out = {"sys.gpu_mem_mb": round(peak / 2**20, 3)}
        util = getattr(torch.cuda, "utilization", None)
        if callable(util):
            out["sys.gpu_util"] = float(util())
        return out
    except Exception:
        return {}
