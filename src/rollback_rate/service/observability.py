"""Prometheus metrics: the service's own requests, and the rates read from the database.

Domain metrics come from a custom collector that queries the database at scrape time,
so every replica behind a load balancer reports the same numbers and no process keeps
state that a restart would lose. Each app has its own registry (tests build many apps).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from rollback_rate.errors import RollbackRateError
from rollback_rate.ledger import Ledger
from rollback_rate.metrics.readiness import VERDICTS
from rollback_rate.timeutil import parse_window

log = logging.getLogger("rollback_rate.service")

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PAIR = ["model", "environment"]


class RequestMetrics:
    """Requests by route template, method and status; latency by route and method."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "rollback_rate_http_requests",
            "HTTP requests handled, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "rollback_rate_http_request_duration_seconds",
            "HTTP request latency, by route template and method.",
            ["route", "method"],
            buckets=_BUCKETS,
            registry=registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)


class LedgerCollector(Collector):
    """Per model and environment: settled rate, pending and settled deployments (gauges)
    over the report window, and all-time recorded deployments and rollbacks (counters,
    monotonic because the event log is append-only). Read from the ledger's per-stream
    figures, which never count the event log: a scrape stays cheap at any size.

    And per live stream its rollback readiness (issue 10), as a state set: one series per
    verdict, 1 for the stream's verdict and 0 for the others, so `sum by (verdict)`
    counts streams and `rollback_rate_readiness{verdict="not_ready"} == 1` alerts.
    """

    def __init__(self, ledger: Ledger, window: str) -> None:
        self._ledger, self._window = ledger, window
        self._window_micros = parse_window(window)

    def describe(self) -> list[Metric]:
        return []  # nothing at registration: the database may not be reachable yet

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "rollback_rate_database_up", "1 when the last scrape could read the database."
        )
        try:
            families = self._families()
        except RollbackRateError as exc:  # a scrape must not fail as a whole
            log.warning("metrics: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> list[Metric]:
        rate = GaugeMetricFamily(
            "rollback_rate_settled_rate_percent",
            f"Rollback rate of settled deployments, % (window {self._window}).",
            labels=_PAIR,
        )
        pending = GaugeMetricFamily(
            "rollback_rate_pending_deployments",
            f"Deployments younger than the window ({self._window}) and not rolled back.",
            labels=_PAIR,
        )
        settled = GaugeMetricFamily(
            "rollback_rate_settled_deployments",
            "Deployments whose outcome is known (window elapsed or rolled back).",
            labels=_PAIR,
        )
        counters = {
            kind: CounterMetricFamily(
                f"rollback_rate_{kind}s",
                f"{kind.capitalize()} events recorded, by automation.",
                labels=[*_PAIR, "automated"],
            )
            for kind in ("deployment", "rollback")
        }
        for figures in self._ledger.gauges(self._window_micros):
            labels = [figures.model, figures.environment]
            if figures.rollback_rate is not None:
                rate.add_metric(labels, figures.rollback_rate)
            pending.add_metric(labels, figures.pending)
            settled.add_metric(labels, figures.settled)
            for kind, everything, automated in (
                ("deployment", figures.deployments_recorded,
                 figures.deployments_recorded_automated),
                ("rollback", figures.rollbacks_recorded, figures.rollbacks_recorded_automated),
            ):  # fmt: skip
                if everything - automated:
                    counters[kind].add_metric([*labels, "false"], everything - automated)
                if automated:
                    counters[kind].add_metric([*labels, "true"], automated)
        return [rate, pending, settled, *counters.values(), self._readiness()]

    def _readiness(self) -> Metric:
        family = GaugeMetricFamily(
            "rollback_rate_readiness",
            "Rollback readiness per live stream: 1 for its verdict (ready, at_risk, "
            "not_ready), 0 for the others.",
            labels=[*_PAIR, "verdict"],
        )
        for stream in self._ledger.readiness().streams:
            facts = stream.readiness.facts
            for verdict in VERDICTS:
                value = 1 if stream.verdict == verdict else 0
                family.add_metric([facts.model, facts.environment, verdict], value)
        return family
