"""Numbers rounded to what their Monte Carlo standard error supports."""

from __future__ import annotations

import math
from fractions import Fraction


def decimals_for(mcse: float, extra: int = 1) -> int | None:
    """Decimal places that keep one digit beyond the MCSE's leading digit.

    >>> decimals_for(0.0123)
    3
    >>> decimals_for(2.5)
    1
    >>> decimals_for(0.009996)  # rounds to 0.010: two digits, not 0.0100
    3
    """
    if mcse is None or not math.isfinite(mcse) or mcse <= 0:
        return None
    d = -math.floor(math.log10(mcse)) + extra
    if round(mcse, d) >= 10.0 ** (extra - d + 1):  # rounding carried to a new digit
        d -= 1
    return max(0, d)


#: an MCSE at most this share of its value is rounding, not Monte Carlo error: the spread
#: of a value every replicate gives alike (a MAP's model SE at n = 1, the same for k = 0
#: and k = 1) comes out as 1e-18, not 0, and would round the value to 18 decimals
NOISE = 1e-12


def _noise(value, mcse) -> bool:
    return (mcse is not None and math.isfinite(mcse) and isinstance(value, float | int)
            and math.isfinite(value) and 0 < abs(mcse) <= NOISE * abs(value))


def fmt(value: float, mcse: float | None = None, sig: int = 4) -> str:
    """``value`` rounded to its MCSE (or to ``sig`` significant digits when it has none,
    or only rounding's: :data:`NOISE`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    d = decimals_for(mcse) if mcse is not None and not _noise(value, mcse) else None
    if d is None:
        return f"{value:.{sig}g}"
    return f"{value:.{min(d, 12)}f}"


def fmt_pm(value: float, mcse: float | None, sig: int = 4) -> str:
    """``value (mcse)`` with both rounded to the MCSE's precision."""
    if mcse is None or not (isinstance(mcse, float | int) and math.isfinite(mcse)):
        return fmt(value, None, sig)
    if _noise(value, mcse):
        return f"{fmt(value, None, sig)} (0)"
    return f"{fmt(value, mcse)} ({fmt(mcse, mcse)})"


def fmt_beside(x: float, threshold: float | None = None, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits, or more where fewer would put it on the
    other side of ``threshold`` than it is, or on it (0.01019 beside 0.01 prints as
    0.0102, not 0.01)."""
    if x is None or not math.isfinite(x):
        return "–"
    for d in range(digits, 10):
        text = f"{x:.{d}g}"
        shown = float(text)
        if threshold is None or x == threshold or (
                (shown >= threshold) == (x >= threshold) and shown != threshold):
            return text
    return text


def fmt_p(p: float, alpha: float | None = None) -> str:
    """A p-value as every page and figure prints it: two significant digits, or more
    where two would put it on the other side of the rule's ``alpha``
    (:func:`fmt_beside`)."""
    return fmt_beside(p, alpha)


def rate(slope: float) -> str:
    """A rate as people write it: ``n^−1/2``, ``n^−1``."""

    f = Fraction(slope).limit_denominator(8)
    return f"n^{'−' if f < 0 else ''}{abs(f)}"
