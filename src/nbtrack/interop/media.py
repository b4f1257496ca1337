"""Media and files as artifact rows of a run: images (PNG), tables and histograms (JSON), and
artifact files copied into the store folder (``<store>/artifacts/<run_id>/<name>/...``).

No imaging library is needed: arrays become PNG with zlib. PIL images and matplotlib figures
are encoded by their own ``save``/``savefig`` when the user passes one (so they are installed).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import sys
import warnings
import zlib
from pathlib import Path
from typing import Any, Iterable

from ..errors import NbtrackWarning

TABLE_MIME = "application/vnd.nbtrack.table+json"
HISTOGRAM_MIME = "application/vnd.nbtrack.histogram+json"
FILES_MIME = "application/vnd.nbtrack.files+json"
MAX_INLINE_BYTES = 16 * 1024 * 1024  # one image/table/histogram row
DEFAULT_MAX_FILES_MB = 500  # files of one logged artifact; NBTRACK_ARTIFACT_MAX_MB overrides

_MIME_BY_EXT = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".json": "application/json",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".html": "text/html",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".md": "text/markdown",
}


def mime_of(path: str | os.PathLike) -> str:
    return _MIME_BY_EXT.get(Path(path).suffix.lower(), "application/octet-stream")


# -- PNG ------------------------------------------------------------------------------------------


def png_bytes(array: Any) -> bytes:
    """PNG of an image array: HxW (grey), HxWx1/3/4 or CxHxW (C in 1, 3, 4; torch layout);
    floats in [0, 1] are scaled to 0-255, other values are clipped to 0-255."""
    import numpy as np

    if hasattr(array, "detach"):  # torch tensor
        array = array.detach().cpu().numpy()
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[-1] not in (1, 3, 4):
        a = np.transpose(a, (1, 2, 0))
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)) or a.size == 0:
        raise ValueError(f"an image must be HxW, HxWx(1|3|4) or (1|3|4)xHxW, got shape {a.shape}")
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif a.dtype.kind == "f":
        finite = a[np.isfinite(a)]
        scale = 255.0 if finite.size and finite.min() >= 0 and finite.max() <= 1 else 1.0
        a = np.nan_to_num(a * scale)
    a = np.clip(a, 0, 255).astype(np.uint8)
    height, width = a.shape[:2]
    color = 0 if a.ndim == 2 else {3: 2, 4: 6}[a.shape[-1]]  # PNG colour type: grey, RGB, RGBA
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def image_bytes(data: Any) -> tuple[str, bytes]:
    """(mime, bytes) of an image given as a path, PIL image, matplotlib figure or array."""
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        return mime_of(path), path.read_bytes()
    if isinstance(data, (bytes, bytearray)):
        return "image/png", bytes(data)
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(data, pil.Image):
        import io

        buf = io.BytesIO()
        data.save(buf, format="PNG")
        return "image/png", buf.getvalue()
    if hasattr(data, "savefig"):  # matplotlib Figure (or pyplot)
        import io

        buf = io.BytesIO()
        data.savefig(buf, format="png", bbox_inches="tight")
        return "image/png", buf.getvalue()
    return "image/png", png_bytes(data)


# -- JSON payloads ------------------------------------------------------------------------------


def _json_default(value: Any):
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    if isinstance(value, (set, tuple, frozenset)):
        return list(value)
    return repr(value)


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, default=_json_default, allow_nan=True).encode()


def histogram(values: Any = None, np_histogram: Any = None, num_bins: int = 64) -> dict:
    """{"bins": edges (n+1), "counts": counts (n)} from values or a (counts, edges) pair."""
    import numpy as np

    if np_histogram is not None:
        counts, bins = np_histogram
    else:
        if hasattr(values, "detach"):
            values = values.detach().cpu().numpy()
        a = np.asarray(values, dtype=float).ravel()
        a = a[np.isfinite(a)]
        counts, bins = np.histogram(a, bins=int(num_bins)) if a.size else (np.zeros(0), np.zeros(1))
    counts, bins = np.asarray(counts).tolist(), np.asarray(bins, dtype=float).tolist()
    if len(bins) != len(counts) + 1:
        raise ValueError(f"a histogram needs len(bins) == len(counts) + 1, got {len(bins)} and {len(counts)}")
    return {"bins": bins, "counts": counts}


# -- files ----------------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._=+-]+", "_", str(name)).strip("._") or "artifact"
    return name[:120]


def max_files_bytes() -> int:
    try:
        return int(float(os.environ.get("NBTRACK_ARTIFACT_MAX_MB", DEFAULT_MAX_FILES_MB)) * 1024 * 1024)
    except ValueError:
        return DEFAULT_MAX_FILES_MB * 1024 * 1024


def store_files(
    store_dir: Path,
    run_id: str,
    name: str,
    entries: Iterable[tuple[str, Path]],
    kind: str = "artifact",
    metadata: dict | None = None,
    description: str | None = None,
) -> dict:
    """Copy ``(relative name, source path)`` files into ``<store>/artifacts/<run_id>/<name>/``
    and return the artifact row (a JSON manifest: files, sizes, sha256, where they are kept).

    Above the size cap (``NBTRACK_ARTIFACT_MAX_MB``, default 500 MB per artifact) nothing is
    copied: the manifest records the original paths and sizes, and a warning says so."""
    entries = [(str(rel).replace(os.sep, "/"), Path(src)) for rel, src in entries]
    for _rel, src in entries:
        if not src.is_file():
            raise FileNotFoundError(f"nbtrack: artifact file {str(src)!r} does not exist")
    total = sum(src.stat().st_size for _, src in entries)
    cap = max_files_bytes()
    folder = Path("artifacts") / run_id / _safe_name(name)
    files = []
    copied = total <= cap
    if not copied:
        warnings.warn(
            f"nbtrack: artifact {name!r} is {total / 1e6:.1f} MB, above the {cap / 1e6:.0f} MB cap "
            "(NBTRACK_ARTIFACT_MAX_MB): its files were not copied into the store, only their paths "
            "and sizes are recorded.",
            NbtrackWarning,
            stacklevel=3,
        )
    for rel, src in entries:
        item = {"path": rel, "size": src.stat().st_size, "source": str(src.resolve())}
        if copied:
            parts = [p for p in rel.split("/") if p not in ("", ".", "..")] or [src.name]
            dest = Path(store_dir) / folder / Path(*parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with open(src, "rb") as fin, open(dest, "wb") as fout:
                for block in iter(lambda: fin.read(1 << 20), b""):
                    digest.update(block)
                    fout.write(block)
            shutil.copystat(src, dest, follow_symlinks=True)
            item["stored"] = str(folder / Path(*parts)).replace(os.sep, "/")
            item["sha256"] = digest.hexdigest()
        files.append(item)
    manifest = {
        "name": name,
        "type": kind,
        "files": files,
        "size": total,
        "copied": copied,
        "metadata": metadata or {},
        "description": description,
    }
    data = json_bytes(manifest)
    return {"name": f"{kind}:{name}", "mime": FILES_MIME, "size": len(data), "data": data}


def expand(path: str | os.PathLike, name: str | None = None) -> list[tuple[str, Path]]:
    """A file or a folder (recursively) as (relative name, path) entries."""
    p = Path(path)
    if p.is_dir():
        base = name.rstrip("/") + "/" if name else ""
        return [(base + str(f.relative_to(p)).replace(os.sep, "/"), f) for f in sorted(p.rglob("*")) if f.is_file()]
    return [(name or p.name, p)]
