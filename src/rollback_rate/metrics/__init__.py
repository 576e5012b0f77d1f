"""Rates, intervals and bands computed from aggregated counts."""

from rollback_rate.metrics.report import Report, build_report
from rollback_rate.metrics.stats import Z_95, band, rate_pct, wilson_interval_pct
from rollback_rate.metrics.summary import Summary, summarise

__all__ = [
    "Z_95",
    "Report",
    "Summary",
    "band",
    "build_report",
    "rate_pct",
    "summarise",
    "wilson_interval_pct",
]
