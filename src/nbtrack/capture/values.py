"""Summaries and fingerprints of Python values, in bounded time.

Large arrays and frames are fingerprinted from a fixed-size, evenly spaced sample plus their
shape and dtype, so a 1 GB DataFrame costs about as much as a 1 MB one.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

SAMPLE_BYTES = 1 << 20  # hash everything up to 1 MiB, a sample beyond
SAMPLE_ROWS = 4096
MAX_VALUE_CHARS = 1000


def type_name(value: Any) -> str:
    t = type(value)
    mod = t.__module__
    return t.__qualname__ if mod == "builtins" else f"{mod}.{t.__qualname__}"


def as_metric(value: Any) -> float | None:
    """A float if ``value`` is a real numeric scalar (Python, numpy, 0-d array/tensor)."""
    t = type(value)
    if t is float or t is int:
        return float(value)
    if t is bool or isinstance(value, (str, bytes)):
        return None
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, (np.integer, np.floating)):
            return float(value)
        if isinstance(value, np.bool_):
            return None
    if not _on_type(value, "shape"):
        return None
    try:
        shape = value.shape
        if shape == () or (shape is not None and tuple(shape) == ()):
            dtype = str(getattr(value, "dtype", ""))
            if any(k in dtype for k in ("int", "float")) and "bool" not in dtype:
                return float(value.item() if hasattr(value, "item") else value)
    except Exception:  # an odd array-like: not a metric
        return None
    return None


def param_kind(value: Any) -> tuple[str, float | None, str]:
    """(kind, num, text) for the params table. Never raises: odd values become their repr."""
    if value is None:
        return "none", None, "null"
    if isinstance(value, bool):
        return "bool", float(value), "true" if value else "false"
    if isinstance(value, int):
        try:
            return "int", float(value), str(value)
        except OverflowError:
            return "json", None, str(value)
    if isinstance(value, float):
        return "float", value, json.dumps(value)
    if isinstance(value, str):
        return "str", None, value
    number = as_metric(value)
    if number is not None:
        return ("int" if number.is_integer() and "int" in type_name(value) else "float"), number, repr(number)
    try:
        return "json", None, json.dumps(value, allow_nan=True, default=_not_json)
    except (TypeError, ValueError, RecursionError):
        return "str", None, safe_repr(value)


def _not_json(value: Any):
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError


def safe_repr(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a user's __repr__ may raise
        text = f"<{type_name(value)}: repr failed: {type(exc).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _on_type(value: Any, name: str) -> bool:
    """Does ``value``'s class define ``name``? Asked of the class, so an object's own
    ``__getattr__`` (user code that can do anything) is never called to find out."""
    return getattr(type(value), name, None) is not None


def _shape(value: Any) -> str | None:
    shape = value.shape if _on_type(value, "shape") else None
    if shape is not None:
        try:
            return "x".join(str(int(d)) for d in tuple(shape)) or "scalar"
        except (TypeError, ValueError):
            return str(shape)
    try:
        return f"len {len(value)}"
    except Exception:
        return None


def summarize(value: Any, fingerprint: bool = True) -> dict:
    """{type, shape, fingerprint, value}: scalars by value, containers and arrays by shape and
    content hash (sampled when large), anything else by type."""
    out = {"type": type_name(value), "shape": None, "fingerprint": None, "value": None}
    try:
        if value is None or isinstance(value, (bool, int, float, str)) or as_metric(value) is not None:
            out["value"] = safe_repr(value)
            if isinstance(value, str) and len(value) > MAX_VALUE_CHARS and fingerprint:
                out["fingerprint"] = _digest(value.encode("utf-8", "surrogatepass"))
            return out
        out["shape"] = _shape(value)
        if fingerprint:
            out["fingerprint"] = _fingerprint(value)
    except Exception:  # summaries are best effort; a hostile object must not break capture
        pass
    return out


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=12)
    for p in parts:
        h.update(p)
    return h.hexdigest()


def _fingerprint(value: Any) -> str | None:
    pd = sys.modules.get("pandas")
    np = sys.modules.get("numpy")
    if pd is not None and isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        n = len(value)
        sample = value
        if n > SAMPLE_ROWS:
            # Evenly spaced rows, first and last included (appended rows change the hash).
            rows = (
                np.linspace(0, n - 1, SAMPLE_ROWS).astype(np.int64)
                if np is not None
                else [int(i * (n - 1) / (SAMPLE_ROWS - 1)) for i in range(SAMPLE_ROWS)]
            )
            sample = value[rows] if isinstance(value, pd.Index) else value.iloc[rows]
        hashed = pd.util.hash_pandas_object(sample, index=not isinstance(value, pd.Index))
        meta = f"{type_name(value)}|{value.shape}|{getattr(value, 'dtypes', getattr(value, 'dtype', ''))}"
        cols = getattr(value, "columns", None)
        if cols is not None:
            meta += "|" + "|".join(map(str, cols))
        return _digest(meta.encode(), hashed.to_numpy().tobytes())
    if np is not None and isinstance(value, np.ndarray):
        return _array_fingerprint(np, value)
    if _on_type(value, "shape") and _on_type(value, "dtype"):
        try:  # tensors and other array-likes: view them through numpy if that is cheap
            arr = value.detach().cpu().numpy() if _on_type(value, "detach") else value.__array__()
            return _array_fingerprint(np, arr) if np is not None else None
        except Exception:
            return None
    if isinstance(value, (list, tuple, dict, set, frozenset)) and len(value) <= 10_000:
        return _digest(safe_repr(value, limit=10**7).encode("utf-8", "surrogatepass"))
    return None


def _array_fingerprint(np, arr) -> str:
    meta = f"{arr.dtype}|{arr.shape}".encode()
    if arr.dtype == object:
        flat = arr.reshape(-1)
        idx = np.linspace(0, max(flat.size - 1, 0), min(flat.size, SAMPLE_ROWS)).astype(np.int64)
        return _digest(meta, safe_repr(flat[idx].tolist(), limit=10**7).encode("utf-8", "surrogatepass"))
    if arr.nbytes <= SAMPLE_BYTES:
        return _digest(meta, np.ascontiguousarray(arr).tobytes())
    k = max(1, SAMPLE_BYTES // max(arr.itemsize, 1))
    idx = np.linspace(0, arr.size - 1, k).astype(np.int64)
    return _digest(meta, b"sampled", np.ascontiguousarray(arr.flat[idx]).tobytes())


FILE_SAMPLE = 64 * 1024


def file_summary(path: str, cwd: str) -> dict | None:
    """A file a cell reads, as an input: size, mtime and a hash of its first and last 64 KiB
    plus its size (a 10 GB file costs what a 1 MB one does). None if it does not exist."""
    import datetime as dt
    import os

    full = path if os.path.isabs(path) else os.path.join(cwd, path)
    try:
        st = os.stat(full)
        if not os.path.isfile(full):
            return None
        with open(full, "rb") as fh:
            head = fh.read(FILE_SAMPLE)
            tail = b""
            if st.st_size > 2 * FILE_SAMPLE:
                fh.seek(-FILE_SAMPLE, os.SEEK_END)
                tail = fh.read(FILE_SAMPLE)
    except OSError:
        return None
    mtime = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).isoformat(timespec="seconds")
    return {
        "type": "file",
        "shape": f"{st.st_size} B",
        "fingerprint": _digest(str(st.st_size).encode(), head, tail),
        "value": f"{path} ({st.st_size} B, modified {mtime})",
    }
