"""What a cell cost: CPU time, peak RSS growth of the kernel and, with a GPU, peak GPU memory.

RSS is sampled every 20 ms by one daemon thread per process, awake only while a tracked cell
runs (reading /proc/self/statm costs microseconds); the cell's thread only reads two clocks.
GPU figures come from ``torch.cuda`` when the user's code already imported torch and a GPU is
there; nbtrack never imports torch for the user.
"""

from __future__ import annotations

import os
import sys
import threading
import time

SAMPLE_S = 0.02
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        try:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        except Exception:
            return None


class _Sampler:
    """One thread for the process: keeps the peak RSS while at least one meter is open."""

    def __init__(self):
        self._cond = threading.Condition()
        self._open = 0
        self.peak = 0
        self._thread: threading.Thread | None = None

    def begin(self, start_rss: int) -> None:
        with self._cond:
            self._open += 1
            self.peak = max(self.peak if self._open > 1 else 0, start_rss)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="nbtrack-resources", daemon=True)
                self._thread.start()
            self._cond.notify()

    def end(self) -> int:
        with self._cond:
            self._open = max(0, self._open - 1)
            return self.peak

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._open == 0:
                    self._cond.wait()
            rss = _rss_bytes()
            if rss is not None and rss > self.peak:
                self.peak = rss
            time.sleep(SAMPLE_S)


_sampler = _Sampler()


class Meter:
    """``m = Meter(); ...cell...; m.stop()`` -> {"sys.cpu_s": ..., "sys.peak_rss_mb": ...}."""

    def __init__(self):
        self.cpu0 = time.process_time()
        self.rss0 = _rss_bytes() or 0
        self.gpu = _gpu_begin()
        _sampler.begin(self.rss0)

    def stop(self) -> dict[str, float]:
        peak = max(_sampler.end(), _rss_bytes() or 0)
        out = {
            "sys.cpu_s": round(time.process_time() - self.cpu0, 6),
            "sys.peak_rss_mb": round(max(0, peak - self.rss0) / 2**20, 3),
        }
        out.update(_gpu_end(self.gpu))
        return out


def _gpu_begin():
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
            return ("torch", torch)
    except Exception:
        pass
    return None


def _gpu_end(state) -> dict[str, float]:
    if state is None:
        return {}
    kind, mod = state
    try:
        out = {"sys.gpu_mem_mb": round(mod.cuda.max_memory_allocated() / 2**20, 3)}
        util = getattr(mod.cuda, "utilization", None)
        if callable(util):
            out["sys.gpu_util"] = float(util())
        return out
    except Exception:
        return {}
