import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollback_rate.metrics.brent import maximise_bounded


def test_parabola():
    # -(x - 2)^2 + 3 on [0, 5]: the maximum is 3 at x = 2.
    x, value = maximise_bounded(lambda x: 3 - (x - 2) ** 2, 0, 5, 1e-9)
    assert x == pytest.approx(2, abs=1e-8)
    assert value == pytest.approx(3, abs=1e-15)


def test_sine():
    # sin on [0, 3] peaks at pi/2 with value 1.
    x, value = maximise_bounded(math.sin, 0, 3, 1e-9)
    assert x == pytest.approx(math.pi / 2, abs=1e-8)
    assert value == pytest.approx(1, abs=1e-15)


def test_maximum_at_an_end():
    # x on [1, 4] increases throughout: the search closes in on the upper end.
    x, value = maximise_bounded(lambda x: x, 1, 4, 1e-9)
    assert x == pytest.approx(4, abs=1e-7)
    assert value == x


def test_kink():
    # -|x - 0.3| is unimodal but not smooth: golden steps still find the peak.
    x, _ = maximise_bounded(lambda x: -abs(x - 0.3), -1, 1, 1e-10)
    assert x == pytest.approx(0.3, abs=1e-8)


@settings(deadline=None)  # the first example imports scipy.optimize
@given(
    st.floats(-50, 50),
    st.floats(0.1, 100),
    st.floats(0.5, 10),
    st.sampled_from(["quadratic", "quartic", "logistic"]),
)
def test_matches_scipy_fminbound(centre, width, scale, shape):
    from scipy.optimize import fminbound

    low, high = centre - width, centre + width * 0.7
    peak = centre + width * 0.3 * (1 if shape == "logistic" else -1)

    def f(x):
        t = (x - peak) / scale
        if shape == "quadratic":
            return -(t**2)
        if shape == "quartic":
            return -(t**4) - 0.1 * t**2
        return -math.log1p(math.exp(t)) - math.log1p(math.exp(-t))  # log-logistic density

    x, value = maximise_bounded(f, low, high, 1e-9)
    expected = fminbound(lambda x: -f(x), low, high, xtol=1e-9)
    assert x == pytest.approx(expected, abs=1e-6 * scale)
    assert value == f(x)
    assert value >= f(expected) - 1e-12
