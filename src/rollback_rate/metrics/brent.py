"""Brent's bounded one-dimensional optimiser, in pure Python.

Golden-section search that takes a parabolic step through the last three points whenever
that step stays inside the bracket and shrinks fast enough (R. P. Brent, "Algorithms for
Minimization without Derivatives", 1973, chapter 5). It is the algorithm of
scipy.optimize.fminbound, which the tests compare it with; here it maximises.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["maximise_bounded"]

_MAX_STEPS = 500  # a few dozen suffice on smooth functions; this only bounds a bug


def maximise_bounded(
    f: Callable[[float], float], low: float, high: float, tolerance: float
) -> tuple[float, float]:
    """(x, f(x)) at the maximum of a unimodal f on [low, high], x within about `tolerance`.

    On a function with several maxima it finds one of them, not necessarily the highest.
    """
    golden = (3 - math.sqrt(5)) / 2
    sqrt_eps = math.sqrt(2.2e-16)
    x = w = v = low + golden * (high - low)
    fx = fw = fv = -f(x)  # minimise -f
    d = e = 0.0
    for _ in range(_MAX_STEPS):
        middle = (low + high) / 2
        tol1 = sqrt_eps * abs(x) + tolerance / 3
        tol2 = 2 * tol1
        if abs(x - middle) <= tol2 - (high - low) / 2:
            return x, -fx
        parabolic = False
        if abs(e) > tol1:
            # Fit a parabola through x, w, v; accept its step if it stays inside and shrinks.
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2 * (q - r)
            if q > 0:
                p = -p
            q = abs(q)
            previous_e, e = e, d
            if abs(p) < abs(q * previous_e / 2) and q * (low - x) < p < q * (high - x):
                d = p / q
                parabolic = True
                if (x + d) - low < tol2 or high - (x + d) < tol2:
                    d = tol1 if middle >= x else -tol1
        if not parabolic:
            e = (low if x >= middle else high) - x
            d = golden * e
        u = x + (d if abs(d) >= tol1 else math.copysign(tol1, d))
        fu = -f(u)
        if fu <= fx:
            if u >= x:
                low = x
            else:
                high = x
            v, fv, w, fw, x, fx = w, fw, x, fx, u, fu
        else:
            if u < x:
                low = u
            else:
                high = u
            if fu <= fw or w == x:
                v, fv, w, fw = w, fw, u, fu
            elif fu <= fv or v in (x, w):
                v, fv = u, fu
    return x, -fx
