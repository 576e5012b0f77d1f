import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollback_rate.metrics.betadist import beta_cdf, beta_quantile


@pytest.mark.parametrize(
    ("x", "a", "b", "expected"),
    [
        # Beta(1, 1) is uniform: F(x) = x.
        (0.3, 1, 1, 0.3),
        # Beta(2, 1): density 2x, F(x) = x^2 = 0.49 at 0.7.
        (0.7, 2, 1, 0.49),
        # Beta(2, 2): density 6x(1 - x), F(x) = 3x^2 - 2x^3 = 3/16 - 2/64 = 10/64 at 0.25.
        (0.25, 2, 2, 10 / 64),
        # Beta(1, 9): F(x) = 1 - (1 - x)^9 = 1 - 0.9^9 = 1 - 0.387420489 at 0.1.
        (0.1, 1, 9, 1 - 0.387420489),
        # Outside (0, 1) the CDF is 0 or 1.
        (0.0, 3, 4, 0.0),
        (1.0, 3, 4, 1.0),
    ],
)
def test_cdf_hand_computed(x, a, b, expected):
    assert beta_cdf(x, a, b) == pytest.approx(expected, abs=1e-14)


@pytest.mark.parametrize(
    ("q", "a", "b", "expected"),
    [
        (0.3, 1, 1, 0.3),  # uniform
        (0.49, 2, 1, 0.7),  # x^2 = q -> x = sqrt(0.49)
        (10 / 64, 2, 2, 0.25),  # 3x^2 - 2x^3 = 10/64 at x = 1/4
        (0.5, 2, 2, 0.5),  # symmetric: the median is 1/2
        (0.025, 1, 9, 1 - 0.975 ** (1 / 9)),  # 1 - (1 - x)^9 = q -> x = 1 - (1 - q)^(1/9)
        (0.0, 3, 4, 0.0),
        (1.0, 3, 4, 1.0),
    ],
)
def test_quantile_hand_computed(q, a, b, expected):
    assert beta_quantile(q, a, b) == pytest.approx(expected, abs=1e-13)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="shape parameters > 0"):
        beta_cdf(0.5, 0, 1)
    with pytest.raises(ValueError, match="shape parameters > 0"):
        beta_quantile(0.5, 1, float("inf"))
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        beta_quantile(1.5, 1, 1)


shapes = st.floats(0.01, 20_000)
# scipy loses accuracy at subnormal x (I at 5e-324 for Beta(1/64, 2): 9.0172e-6 by the
# series x^a (a + 1) in 50-digit decimals, as here; scipy says 8.9739e-6), so none here.
unit = st.floats(0.0, 1.0, allow_subnormal=False)
# scipy's own quantile gives up (nan) in tails far beyond any credible interval's.
probabilities = st.one_of(st.sampled_from([0.025, 0.975]), st.floats(1e-10, 1 - 1e-10))
# Multiples of 2^-20, so that 1 - x is exact too.
dyadic = st.integers(0, 2**20).map(lambda i: i / 2**20)


@settings(max_examples=300, deadline=None)  # the first example imports scipy.stats
@given(unit, shapes, shapes)
def test_cdf_matches_scipy(x, a, b):
    from scipy.stats import beta

    # 1e-10: with shapes of 20,000 the log-gamma terms are about 2e5 and keep ~11 digits.
    assert beta_cdf(x, a, b) == pytest.approx(beta.cdf(x, a, b), abs=1e-10)


@settings(max_examples=300, deadline=None)
@given(probabilities, shapes, shapes)
def test_quantile_matches_scipy(q, a, b):
    from scipy.stats import beta

    assert beta_quantile(q, a, b) == pytest.approx(beta.ppf(q, a, b), abs=1e-11)


@given(dyadic, shapes, shapes)
def test_cdf_symmetry(x, a, b):
    # I_x(a, b) = 1 - I_(1-x)(b, a): the two branches of the evaluation agree.
    assert beta_cdf(x, a, b) == pytest.approx(1 - beta_cdf(1 - x, b, a), abs=1e-10)
