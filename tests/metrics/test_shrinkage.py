import math

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rollback_rate.metrics.shrinkage import (
    LOG_CONCENTRATION_BOUNDS,
    BetaPrior,
    beta_binomial_log_likelihood,
    fit_beta_prior,
    shrink_rate,
    shrink_rates,
)

# Mean 10%, worth 10 deployments.
PRIOR = BetaPrior(alpha=1.0, beta=9.0, method="given", reason="test", groups=0)


def test_posterior_mean_hand_computed():
    # (rollbacks + 1) / (settled + 10):
    # 1 of 1:    2 / 11  = 18.18%  (raw 100%)
    # 30 of 100: 31 / 110 = 28.18% (raw 30%)
    # 0 of 5:    1 / 15  = 6.67%   (raw 0%)
    # 0 of 0:    1 / 10  = 10%, the prior mean (no raw rate)
    assert shrink_rate(1, 1, PRIOR).rate_pct == pytest.approx(200 / 11)
    assert shrink_rate(30, 100, PRIOR).rate_pct == pytest.approx(3100 / 110)
    assert shrink_rate(0, 5, PRIOR).rate_pct == pytest.approx(100 / 15)
    nothing = shrink_rate(0, 0, PRIOR)
    assert nothing.rate_pct == pytest.approx(10.0)
    assert nothing.raw_rate_pct is None
    # The one-deployment model no longer outranks the one rolled back 30 times in 100.
    assert shrink_rate(1, 1, PRIOR).rate_pct < shrink_rate(30, 100, PRIOR).rate_pct


def test_credible_interval_hand_computed():
    # 0 of 5 with Beta(1, 9): posterior Beta(1, 14), whose CDF is 1 - (1 - x)^14, so the
    # q-quantile is 1 - (1 - q)^(1/14): 2.5%: 1 - 0.975^(1/14) = 0.0018068...;
    # 97.5%: 1 - 0.025^(1/14) = 0.2316...
    shrunk = shrink_rate(0, 5, PRIOR)
    assert shrunk.ci95 == pytest.approx(
        [(1 - 0.975 ** (1 / 14)) * 100, (1 - 0.025 ** (1 / 14)) * 100], abs=1e-10
    )
    # 4 of 4 with a uniform Beta(1, 1): posterior Beta(5, 1), CDF x^5, quantile q^(1/5):
    # [0.025^0.2, 0.975^0.2] = [0.4782..., 0.9949...]; mean 5/6.
    uniform = BetaPrior(alpha=1.0, beta=1.0, method="given", reason="test", groups=0)
    all_four = shrink_rate(4, 4, uniform)
    assert all_four.rate_pct == pytest.approx(500 / 6)
    assert all_four.ci95 == pytest.approx([0.025**0.2 * 100, 0.975**0.2 * 100], abs=1e-10)


def test_log_likelihood_hand_computed():
    # One group, 1 rollback of 2, Beta(1, 1): the beta-binomial with a uniform prior gives
    # every k in 0..n probability 1/(n + 1) = 1/3. Two such groups: log(1/9).
    assert beta_binomial_log_likelihood([(1, 2)], 1, 1) == pytest.approx(math.log(1 / 3))
    assert beta_binomial_log_likelihood([(1, 2), (0, 2)], 1, 1) == pytest.approx(math.log(1 / 9))
    # Beta(1, 9), 0 of 1: P = E[1 - p] = 9/10.
    assert beta_binomial_log_likelihood([(0, 1)], 1, 9) == pytest.approx(math.log(0.9))


def test_too_few_groups_give_the_weak_prior():
    # Two groups with settled deployments (the one with none does not count): pooled 3 of
    # 11; weak prior mean (3 + 0.5) / (11 + 1) = 3.5/12, worth 10: alpha = 35/12, beta = 85/12.
    prior = fit_beta_prior([(1, 1), (2, 10), (0, 0)])
    assert prior.method == "weak_prior"
    assert prior.groups == 2
    assert "fewer than 3 groups" in prior.reason
    assert prior.alpha == pytest.approx(35 / 12)
    assert prior.beta == pytest.approx(85 / 12)
    assert prior.concentration == pytest.approx(10)


def test_no_rollbacks_anywhere_gives_the_weak_prior():
    # 0 of 18: mean 0.5 / 19, never exactly 0, so every posterior is a proper Beta.
    prior = fit_beta_prior([(0, 5), (0, 10), (0, 3)])
    assert prior.method == "weak_prior"
    assert "same outcome" in prior.reason
    assert prior.mean_pct == pytest.approx(0.5 / 19 * 100)


def test_identical_rates_show_no_over_dispersion():
    # Ten groups at exactly 10%: less spread than chance, so the likelihood rises all the
    # way to the concentration's upper bound; the weak prior at the pooled rate (10.5 of 1001).
    prior = fit_beta_prior([(10, 100)] * 10)
    assert prior.method == "weak_prior"
    assert prior.reason.startswith("no over-dispersion")
    assert prior.mean_pct == pytest.approx(100.5 / 1001 * 100)


def test_all_or_nothing_groups_give_the_weak_prior():
    # Every group at 0% or 100%: the fit runs to the smallest concentration, which shrinks
    # nothing. Pooled 2 of 6: mean 2.5/7.
    prior = fit_beta_prior([(1, 1), (0, 1), (1, 1), (0, 1), (0, 2)])
    assert prior.method == "weak_prior"
    assert "all or nothing" in prior.reason
    assert prior.mean_pct == pytest.approx(2.5 / 7 * 100)


RANKED = [(1, 1), (12, 100), (5, 100), (8, 100), (10, 120), (3, 80), (20, 150)]


def test_fitted_prior_is_a_maximum():
    prior = fit_beta_prior(RANKED)
    assert prior.method == "marginal_likelihood"
    assert prior.groups == 7
    # Stationary: nudging alpha or beta by 0.1% either way lowers the likelihood.
    best = beta_binomial_log_likelihood(RANKED, prior.alpha, prior.beta)
    for d_alpha, d_beta in ((1.001, 1), (0.999, 1), (1, 1.001), (1, 0.999), (1.001, 1.001)):
        nudged = beta_binomial_log_likelihood(RANKED, prior.alpha * d_alpha, prior.beta * d_beta)
        assert nudged < best


def test_one_rollback_of_a_rare_model_does_not_top_the_list():
    prior, rates = shrink_rates(RANKED)
    assert prior == fit_beta_prior(RANKED)
    ranked = sorted(range(len(RANKED)), key=lambda i: -rates[i].rate_pct)
    # Raw, (1, 1) at 100% is first; shrunk, 20 of 150 and 12 of 100 come before it.
    assert ranked[:2] == [6, 1]
    assert rates[0].raw_rate_pct == 100.0
    assert rates[0].rate_pct < rates[1].rate_pct
    assert [r.settled for r in rates] == [n for _, n in RANKED]  # input order kept


def test_rejects_more_rollbacks_than_settled():
    with pytest.raises(ValueError, match="3 rollbacks out of 2 settled"):
        shrink_rate(3, 2, PRIOR)
    with pytest.raises(ValueError, match="3 rollbacks out of 2 settled"):
        fit_beta_prior([(3, 2)])


priors = st.builds(
    lambda a, b: BetaPrior(alpha=a, beta=b, method="given", reason="test", groups=0),
    st.floats(0.01, 1000),
    st.floats(0.01, 1000),
)
counts = st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(counts, priors)
def test_estimate_lies_between_raw_rate_and_prior_mean(group, prior):
    k, n = group
    shrunk = shrink_rate(k, n, prior)
    raw = prior.mean_pct if n == 0 else k / n * 100
    low, high = sorted((raw, prior.mean_pct))
    assert low - 1e-9 <= shrunk.rate_pct <= high + 1e-9
    lower, upper = shrunk.ci95
    assert 0 <= lower <= shrunk.rate_pct <= upper <= 100


@given(counts, st.integers(2, 20), priors)
def test_more_data_moves_less(group, factor, prior):
    # The same raw rate from `factor` times the deployments stays closer to it.
    k, n = group
    if n == 0:
        return
    raw = k / n * 100
    few = shrink_rate(k, n, prior).rate_pct
    many = shrink_rate(k * factor, n * factor, prior).rate_pct
    assert abs(many - raw) <= abs(few - raw) + 1e-9


@st.composite
def dispersed_groups(draw):
    """Groups whose true rates come from a Beta, with binomial rollbacks: like real data."""
    rng = draw(st.randoms(use_true_random=False))
    mean = draw(st.floats(0.02, 0.5))
    concentration = draw(st.sampled_from([0.5, 3, 30, 300, 1e6]))
    groups = []
    for _ in range(draw(st.integers(4, 40))):
        settled = draw(st.sampled_from([20, 1, 2, 5, 60, 200, 0]))
        rate = rng.betavariate(mean * concentration, (1 - mean) * concentration)
        groups.append((sum(rng.random() < rate for _ in range(settled)), settled))
    return groups


def _scipy_best_log_likelihood(groups):
    """The beta-binomial maximum found by scipy's Nelder-Mead from several starts."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import betaln, gammaln

    k = np.array([g[0] for g in groups if g[1] > 0])
    n = np.array([g[1] for g in groups if g[1] > 0])
    log_choose = (gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)).sum()

    def negative(params):
        mu, m = 1 / (1 + np.exp(-params[0])), np.exp(params[1])
        a, b = mu * m, (1 - mu) * m
        return -(log_choose + (betaln(k + a, n - k + b) - betaln(a, b)).sum())

    starts = ([-2, 0], [-2, 4], [-4, 8])
    options = {"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000}
    # Searched where the fit searches (mu within e^-30 of 0 or 1, M within its bounds):
    # unbounded, Nelder-Mead once wandered to shapes where betaln's differences cancel and
    # "found" a log-likelihood of +5,803, which no probability has.
    bounds = [(-30, 30), LOG_CONCENTRATION_BOUNDS]
    results = [minimize(negative, s, method="Nelder-Mead", options=options, bounds=bounds)
               for s in starts]  # fmt: skip
    best = min(results, key=lambda r: r.fun)
    return -best.fun, math.exp(best.x[1])


@settings(max_examples=50, deadline=None)
@given(dispersed_groups())
def test_fit_is_as_good_as_scipys(groups):
    prior = fit_beta_prior(groups)
    event(prior.method if prior.method != "weak_prior" else prior.reason.split(";")[0])
    if prior.method == "weak_prior" and not prior.reason.startswith("no over-dispersion"):
        return  # too few groups or one outcome: nothing to fit
    scipy_best, scipy_concentration = _scipy_best_log_likelihood(groups)
    if prior.method == "marginal_likelihood":
        ours = beta_binomial_log_likelihood(groups, prior.alpha, prior.beta)
        assert ours >= scipy_best - 1e-6
    else:
        # No over-dispersion: scipy finds nothing better than pooling every group, either a
        # huge concentration or a likelihood no higher than at our bound of 100,000.
        mean = sum(k for k, _ in groups) / sum(n for _, n in groups)
        at_bound = beta_binomial_log_likelihood(groups, mean * 1e5, (1 - mean) * 1e5)
        assert scipy_concentration > 1e4 or scipy_best <= at_bound + 1e-3
