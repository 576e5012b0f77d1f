"""Empirical-Bayes rollback rates for ranking groups (issue 12, "Beyond one rate").

Ranked by raw rate, a model deployed once and rolled back once (100%) tops the list. Here
each group's rate is drawn from one Beta(alpha, beta) prior shared by all groups, fitted to
the groups themselves (beta-binomial), and each group is ranked by its posterior mean

    (rollbacks + alpha) / (settled + alpha + beta) x 100,

which moves a group from its raw rate toward the prior mean alpha / (alpha + beta), the
more the fewer deployments it has: the prior counts as alpha + beta extra deployments.

The prior maximises the beta-binomial marginal likelihood of the groups' (rollbacks,
settled) counts, over mean mu = alpha / (alpha + beta) and concentration M = alpha + beta:
for a fixed M the likelihood is concave in mu, so an inner one-dimensional search (on
logit mu) finds mu; an outer one scans log M on a grid from 0.01 to 100,000 and refines
around the best point. Both searches are Brent's bounded method (metrics/brent.py). The
tests check the fit against scipy's optimisers on generated data.

When the fit cannot say much, a documented weak prior is used instead (`method` says so):
fewer than MIN_GROUPS groups with settled deployments, no rollbacks (or nothing but
rollbacks) anywhere, no over-dispersion, where the likelihood is highest at M -> inf and
would pool every group into one rate, or the lower end of M, which fits groups whose rates
are 0% or 100% (a deployment or two each) and would shrink nothing. The weak prior is
centred on the pooled rate (nudged half a rollback toward 50% so it is never 0 or 100%) and
worth WEAK_PRIOR_DEPLOYMENTS deployments. Method-of-moments is not used as a fallback: it fails
in the same cases (its between-group variance comes out negative without over-dispersion).
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rollback_rate.metrics.betadist import beta_quantile
from rollback_rate.metrics.brent import maximise_bounded
from rollback_rate.metrics.stats import rate_pct

__all__ = [
    "MIN_GROUPS",
    "WEAK_PRIOR_DEPLOYMENTS",
    "BetaPrior",
    "ShrunkRate",
    "beta_binomial_log_likelihood",
    "fit_beta_prior",
    "shrink_rate",
    "shrink_rates",
]

MIN_GROUPS = 3
WEAK_PRIOR_DEPLOYMENTS = 10.0
LOG_CONCENTRATION_BOUNDS = (math.log(1e-2), math.log(1e5))
_GRID_POINTS = 17
_LOGIT_BOUND = 30.0  # mu within about 1e-13 of 0 or 1


@dataclass(frozen=True)
class BetaPrior:
    """The Beta(alpha, beta) prior for every group's rate, and how it was chosen."""

    alpha: float
    beta: float
    method: str  # "marginal_likelihood" or "weak_prior"
    reason: str  # one sentence for the report
    groups: int  # groups with settled deployments that informed it

    @property
    def mean_pct(self) -> float:
        return self.alpha / (self.alpha + self.beta) * 100

    @property
    def concentration(self) -> float:
        """alpha + beta: how many deployments the prior is worth."""
        return self.alpha + self.beta


@dataclass(frozen=True)
class ShrunkRate:
    """One group's rate, raw and shrunk toward the prior."""

    rollbacks: int
    settled: int
    raw_rate_pct: float | None
    rate_pct: float  # posterior mean
    ci95: list[float]  # equal-tailed 95% credible interval of the posterior Beta, in percent


def beta_binomial_log_likelihood(
    groups: Iterable[tuple[int, int]], alpha: float, beta: float
) -> float:
    """Sum over groups of log P(rollbacks | settled) under BetaBinomial(settled, alpha, beta).

    log C(n, k) + log B(k + alpha, n - k + beta) - log B(alpha, beta) for each (k, n).
    """
    if not (alpha > 0 and beta > 0):
        raise ValueError(f"Beta({alpha!r}, {beta!r}) needs shape parameters > 0")
    total = 0.0
    for (k, n), count in _tally(groups).items():
        total += count * (
            math.lgamma(n + 1)
            - math.lgamma(k + 1)
            - math.lgamma(n - k + 1)
            + _log_rising(alpha, k)
            + _log_rising(beta, n - k)
            - _log_rising(alpha + beta, n)
        )
    return total


def fit_beta_prior(groups: Iterable[tuple[int, int]]) -> BetaPrior:
    """The prior for `shrink_rate`: the beta-binomial maximum-likelihood fit over the groups'
    (rollbacks, settled), or the weak prior when that fit is not informative (module docstring).
    """
    tally = _tally(groups)
    informative = sum(count for (_, n), count in tally.items() if n > 0)
    rollbacks = sum(k * count for (k, _), count in tally.items())
    settled = sum(n * count for (_, n), count in tally.items())
    if informative < MIN_GROUPS:
        return _weak_prior(
            rollbacks,
            settled,
            informative,
            f"fewer than {MIN_GROUPS} groups with settled deployments",
        )
    if rollbacks in (0, settled):
        return _weak_prior(
            rollbacks, settled, informative, "every settled deployment had the same outcome"
        )
    mu, log_m = _maximise_marginal_likelihood(
        [(k, n, count) for (k, n), count in tally.items() if n > 0]
    )
    low, high = LOG_CONCENTRATION_BOUNDS
    if log_m > high - 1e-3:
        return _weak_prior(
            rollbacks,
            settled,
            informative,
            "no over-dispersion: the groups' rates differ no more than chance would make them",
        )
    if log_m < low + 1e-3:
        # Small M means rates near 0% or 100%: groups each rolled back entirely or not at all.
        return _weak_prior(
            rollbacks,
            settled,
            informative,
            "the groups were rolled back all or nothing, too little to fit the spread",
        )
    m = math.exp(log_m)
    return BetaPrior(
        alpha=mu * m,
        beta=(1 - mu) * m,
        method="marginal_likelihood",
        reason=f"fitted to {informative} groups by maximum beta-binomial marginal likelihood",
        groups=informative,
    )


def shrink_rate(rollbacks: int, settled: int, prior: BetaPrior) -> ShrunkRate:
    """The posterior Beta(rollbacks + alpha, settled - rollbacks + beta): its mean and its
    equal-tailed 95% credible interval (2.5th and 97.5th percentiles), in percent.
    """
    _check_counts(rollbacks, settled)
    a = rollbacks + prior.alpha
    b = settled - rollbacks + prior.beta
    return ShrunkRate(
        rollbacks=rollbacks,
        settled=settled,
        raw_rate_pct=rate_pct(rollbacks, settled),
        rate_pct=a / (a + b) * 100,
        ci95=[beta_quantile(0.025, a, b) * 100, beta_quantile(0.975, a, b) * 100],
    )


def shrink_rates(groups: Iterable[tuple[int, int]]) -> tuple[BetaPrior, list[ShrunkRate]]:
    """Fit the prior to the groups' (rollbacks, settled), then shrink each, in input order."""
    counts = list(groups)
    prior = fit_beta_prior(counts)
    # Groups with the same counts get the same estimate: each quantile is solved once (a
    # report by model over 500 models has about a third as many distinct pairs).
    shrunk: dict[tuple[int, int], ShrunkRate] = {}
    for k, n in counts:
        if (k, n) not in shrunk:
            shrunk[k, n] = shrink_rate(k, n, prior)
    return prior, [shrunk[k, n] for k, n in counts]


def _tally(groups: Iterable[tuple[int, int]]) -> Counter[tuple[int, int]]:
    # Groups with the same counts contribute the same terms: evaluate each pair once.
    tally: Counter[tuple[int, int]] = Counter()
    for rollbacks, settled in groups:
        _check_counts(rollbacks, settled)
        tally[rollbacks, settled] += 1
    return tally


def _check_counts(rollbacks: int, settled: int) -> None:
    if not 0 <= rollbacks <= settled:
        raise ValueError(
            f"{rollbacks} rollbacks out of {settled} settled: rollbacks must be between 0 "
            "and the settled count"
        )


def _weak_prior(rollbacks: int, settled: int, groups: int, why: str) -> BetaPrior:
    mean = (rollbacks + 0.5) / (settled + 1)
    return BetaPrior(
        alpha=mean * WEAK_PRIOR_DEPLOYMENTS,
        beta=(1 - mean) * WEAK_PRIOR_DEPLOYMENTS,
        method="weak_prior",
        reason=f"{why}; a weak prior at the pooled rate, worth "
        f"{WEAK_PRIOR_DEPLOYMENTS:g} deployments",
        groups=groups,
    )


def _maximise_marginal_likelihood(cells: list[tuple[int, int, int]]) -> tuple[float, float]:
    """(mu, log M) maximising the log-likelihood of (rollbacks, settled, groups) cells."""
    # The terms depend on a cell's rollbacks, its other settled deployments and its
    # settled count separately: summing each distinct value once, weighted by its groups,
    # is the same sum with a fraction of the terms (a few dozen values, not 2 x cells).
    rolled_back: Counter[int] = Counter()
    kept: Counter[int] = Counter()
    settled: Counter[int] = Counter()
    for k, n, count in cells:
        rolled_back[k] += count
        kept[n - k] += count
        settled[n] += count
    rolled_back_terms, kept_terms = _RisingSum(rolled_back), _RisingSum(kept)
    settled_terms = _RisingSum(settled)

    def mean_terms(m: float, logit: float) -> float:
        # The part of the log-likelihood that depends on mu; concave in mu.
        mu = _expit(logit)
        return rolled_back_terms.at(mu * m) + kept_terms.at((1 - mu) * m)

    def best_mean(log_m: float) -> tuple[float, float]:
        """(logit mu maximising the likelihood at M = e^log_m, that maximum)."""
        m = math.exp(log_m)
        logit, value = maximise_bounded(
            lambda t: mean_terms(m, t), -_LOGIT_BOUND, _LOGIT_BOUND, 1e-9
        )
        return logit, value - settled_terms.at(m)

    # The profile over log M need not be unimodal: scan a grid, refine around its best point.
    low, high = LOG_CONCENTRATION_BOUNDS
    step = (high - low) / (_GRID_POINTS - 1)
    grid = [low + i * step for i in range(_GRID_POINTS)]
    best = max(range(_GRID_POINTS), key=lambda i: best_mean(grid[i])[1])
    log_m, _ = maximise_bounded(
        lambda t: best_mean(t)[1],
        grid[max(best - 1, 0)],
        grid[min(best + 1, _GRID_POINTS - 1)],
        1e-7,
    )
    return _expit(best_mean(log_m)[0]), log_m


class _RisingSum:
    """sum of count x log(x (x + 1) ... (x + k - 1)) over a tally of k -> count, as a
    function of x: the fit evaluates it some 800 times over the same tally.

    Each term is lgamma(x + k) - lgamma(x), or the exact product for small k; the lgamma(x)
    parts are one term, count-weighted, and the rest is mapped in C over the tally's
    hundreds of values (a report by model over 500 models). A seventh of the time of
    calling `_log_rising` per term.
    """

    def __init__(self, tally: Counter[int]) -> None:
        self.small = [(k, count) for k, count in sorted(tally.items()) if 0 < k <= _EXACT_UP_TO]
        large = sorted((k, count) for k, count in tally.items() if k > _EXACT_UP_TO)
        self.large_ks = [float(k) for k, _ in large]
        self.large_counts = [count for _, count in large]
        self.large_total = sum(self.large_counts)

    def at(self, x: float) -> float:
        total = sum(count * math.log(math.prod(x + j for j in range(k))) for k, count in self.small)
        if self.large_total:
            shifted = map(x.__add__, self.large_ks)
            total += sum(map(operator.mul, self.large_counts, map(math.lgamma, shifted)))
            total -= self.large_total * math.lgamma(x)
        return total


_EXACT_UP_TO = 8  # rising factorials up to this many factors are multiplied out


def _log_rising(x: float, k: int) -> float:
    """log of x (x + 1) ... (x + k - 1) = lgamma(x + k) - lgamma(x); exact sum for small k."""
    if k <= _EXACT_UP_TO:
        return math.log(math.prod(x + j for j in range(k))) if k else 0.0
    return math.lgamma(x + k) - math.lgamma(x)


def _expit(t: float) -> float:
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))
