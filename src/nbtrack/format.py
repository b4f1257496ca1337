"""The one formatter of numbers, values, durations and times in nbtrack's text.

The same rules as the front ends' ``js/shared/format.ts`` (both are tested against the one table
``js/shared/format_cases.json``), so a value reads the same in a text summary, on the run card,
in the table, the diff and the sidebar:

- NaN -> ``NaN``, +inf -> ``inf``, -inf -> ``-inf``; zero (also -0.0) -> ``0``.
- integral and ``|x| < 1e15`` -> all digits (``1234567``): nothing silently rounded away.
- ``|x| >= 1e6`` or ``|x| < 1e-3`` -> exponent, 4 significant digits, zeros trimmed
  (``1.235e+6``, ``1e-7``, ``9.223e+18`` for ``2**63``).
- otherwise 4 significant digits, never fewer than the integer digits (``0.1235``, ``12346``).

Ties round half away from zero on the exact binary value, which is what JavaScript's
``toFixed``/``toExponential`` do (Python's ``format`` rounds half to even: hence ``decimal``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

__all__ = ["MISSING", "format_ago", "format_duration", "format_number", "format_time", "format_value"]

MISSING = "—"
_BIG_INT = 10**15


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def _fixed(x: float, decimals: int) -> str:
    """JavaScript's ``x.toFixed(decimals)``."""
    with localcontext() as ctx:
        ctx.prec = 400
        q = Decimal(x).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    s = f"{q:f}"
    return s[1:] if s.startswith("-") and q == 0 else s


def _exponential(x: float | int, digits: int = 3) -> str:
    """JavaScript's ``x.toExponential(digits)`` with the mantissa's trailing zeros trimmed."""
    with localcontext() as ctx:
        ctx.prec = 400
        d = abs(Decimal(x))
        e = d.adjusted()
        unit = Decimal(1).scaleb(-digits)
        m = d.scaleb(-e).quantize(unit, rounding=ROUND_HALF_UP)
        if m >= 10:
            e += 1
            m = d.scaleb(-e).quantize(unit, rounding=ROUND_HALF_UP)
    sign = "-" if x < 0 else ""
    return f"{sign}{_trim(f'{m:f}')}e{'+' if e >= 0 else '-'}{abs(e)}"


def format_number(x: float | int) -> str:
    """A number as nbtrack shows it everywhere (see the module's rules)."""
    if isinstance(x, bool):
        return "True" if x else "False"
    if isinstance(x, int):
        if abs(x) < _BIG_INT:
            return str(x)
        return _exponential(float(x))  # the front end receives it as a double: round the same
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    a = abs(x)
    if x.is_integer() and a < _BIG_INT:
        return str(int(x))
    if a >= 1e6 or a < 1e-3:
        return _exponential(x)
    e = Decimal(repr(a)).adjusted()  # the shortest representation's exponent, as in JS
    return _trim(_fixed(x, max(0, 3 - e)))


def format_value(x: Any, limit: int = 60) -> str:
    """Any param/metric/column value: numbers by :func:`format_number`, None -> ``—``, strings as
    they are, lists element by element, other objects by a bounded repr."""
    if x is None:
        return MISSING
    if isinstance(x, (bool, int, float)):
        return format_number(x)
    if isinstance(x, str):
        return x
    if hasattr(x, "item") and getattr(x, "ndim", None) == 0:  # numpy scalars
        try:
            return format_value(x.item(), limit)
        except Exception:
            pass
    if isinstance(x, (dt.datetime, dt.date)):
        return format_time(x)
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(format_value(v, limit) for v in x) + "]"
    if isinstance(x, dict):
        try:
            return json.dumps(x, default=str)
        except Exception:
            pass
    from .capture.values import safe_repr  # lazy: capture imports this module

    return safe_repr(x, limit)


def format_duration(seconds: float | None) -> str:
    """``3 ms``, ``1.5 s``, ``42 s``, ``2m 5s``, ``1h 2m``, ``3d 0h``; ``—`` when missing,
    negative or not finite."""
    if seconds is None:
        return MISSING
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return MISSING
    if not math.isfinite(s) or s < 0:
        return MISSING
    ms = math.floor(s * 1000 + 0.5)  # Math.round
    if ms < 1000:
        return f"{ms} ms"
    short = _fixed(s, 1 if s < 10 else 0)
    if float(short) < 60:
        return f"{short} s"
    total = max(60, math.floor(s))  # 59.6 s rounds up to a minute
    m = total // 60
    if m < 60:
        return f"{m}m {total % 60}s"
    hours = m // 60
    if hours < 24:
        return f"{hours}h {m % 60}m"
    return f"{hours // 24}d {hours % 24}h"


def _local(t: dt.datetime | dt.date | float | str | None) -> dt.datetime | None:
    if t is None:
        return None
    if isinstance(t, str):
        try:
            t = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(t, (int, float)):
        return dt.datetime.fromtimestamp(t) if math.isfinite(t) else None
    if isinstance(t, dt.datetime):
        return t.astimezone() if t.tzinfo else t.replace(tzinfo=dt.timezone.utc).astimezone()
    if isinstance(t, dt.date):
        return dt.datetime(t.year, t.month, t.day)
    return None


def format_time(t: dt.datetime | dt.date | float | str | None) -> str:
    """A point in time in local time: ``2026-12-03 14:02:05``. Naive datetimes are UTC (the
    store keeps UTC); numbers are seconds since the epoch."""
    local = _local(t)
    return MISSING if local is None else local.strftime("%Y-%m-%d %H:%M:%S")


def format_ago(t: dt.datetime | float | str | None, now: dt.datetime | None = None) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``2 d ago``, then the date."""
    local = _local(t)
    if local is None:
        return MISSING
    now = now or dt.datetime.now().astimezone()
    if local.tzinfo is None:
        local = local.astimezone()
    s = max(0.0, (now - local).total_seconds())
    if s < 45:
        return "just now"
    if s < 3600:
        return f"{max(1, math.floor(s / 60 + 0.5))} min ago"
    if s < 86400:
        return f"{math.floor(s / 3600 + 0.5)} h ago"
    if s < 7 * 86400:
        return f"{math.floor(s / 86400)} d ago"
    return local.strftime("%Y-%m-%d")
