"""The Prometheus gauges' figures per stream: pure, from the read model's stream gauges."""

from __future__ import annotations

from dataclasses import dataclass

from rollback_rate.aggregation import StreamGauge
from rollback_rate.metrics.stats import rate_pct


@dataclass(frozen=True)
class StreamFigures:
    """What `/metrics` exposes of one stream."""

    model: str
    environment: str
    settled: int
    pending: int
    rollback_rate: float | None  # None while nothing has settled
    deployments_recorded: int
    deployments_recorded_automated: int
    rollbacks_recorded: int
    rollbacks_recorded_automated: int


def stream_figures(gauges: list[StreamGauge]) -> list[StreamFigures]:
    return [
        StreamFigures(
            model=g.model,
            environment=g.environment,
            settled=g.settled,
            pending=g.deployments - g.settled,
            rollback_rate=rate_pct(g.rollbacks, g.settled),
            deployments_recorded=g.deployments_recorded,
            deployments_recorded_automated=g.deployments_recorded_automated,
            rollbacks_recorded=g.rollbacks_recorded,
            rollbacks_recorded_automated=g.rollbacks_recorded_automated,
        )
        for g in gauges
    ]
