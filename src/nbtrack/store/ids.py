"""Run ids: 16 lowercase base32 characters, the first 9 the creation time in milliseconds, so
ids sort by time; a unique prefix is accepted wherever an id is."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32: no i, l, o, u
_last = [0, ""]


def _b32(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 32)
        out.append(_ALPHABET[r])
    return "".join(reversed(out))


def new_run_id() -> str:
    ms = time.time_ns() // 1_000_000
    rand = _b32(secrets.randbits(35), 7)
    if ms == _last[0] and rand <= _last[1]:  # same millisecond: keep ids in creation order
        rand = _b32((int(_last[1].translate(_DECODE), 32) + 1) % 32**7, 7)
    _last[0], _last[1] = ms, rand
    return _b32(ms, 9) + rand


_DECODE = str.maketrans(_ALPHABET, "0123456789abcdefghijklmnopqrstuv")
