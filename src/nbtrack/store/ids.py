"""Run ids: 16 lowercase base32 characters, the first 9 the creation time in milliseconds, so
ids sort by time; a unique prefix is accepted wherever an id is."""

from __future__ import annotations

import os
import random
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32: no i, l, o, u
_last = [0, 0]  # (ms, random part) of the last id


def _b32(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 32)
        out.append(_ALPHABET[r])
    return "".join(reversed(out))


_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # 10 bits -> 2 characters
# The random part needs uniqueness, not secrecy: a generator seeded from the OS once per
# process (and again in a forked child) instead of an os.urandom call per id (a burst of
# 20,000 runs a second makes 20,000 ids).
_random = random.Random(secrets.randbits(128))
os.register_at_fork(after_in_child=lambda: _random.seed(secrets.randbits(128)))
_prefix: list = [-1, ""]  # (ms, its 9 characters)


def new_run_id() -> str:
    ms = time.time_ns() // 1_000_000
    n = _random.getrandbits(35)
    if ms == _last[0] and n <= _last[1]:  # same millisecond: keep ids in creation order
        n = (_last[1] + 1) % 32**7
    _last[0], _last[1] = ms, n
    rand = _PAIRS[n >> 25] + _PAIRS[(n >> 15) & 1023] + _PAIRS[(n >> 5) & 1023] + _ALPHABET[n & 31]
    if ms != _prefix[0]:
        _prefix[0], _prefix[1] = ms, _b32(ms, 9)
    return _prefix[1] + rand
