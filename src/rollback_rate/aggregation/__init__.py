"""SQL aggregation over the attribution projection."""

from rollback_rate.aggregation.failures import FailedRollbacks, failed_rollbacks
from rollback_rate.aggregation.query import DIMENSIONS, PERIODS, ReportQuery, parse_query
from rollback_rate.aggregation.sql import Counts, aggregate_many

__all__ = [
    "DIMENSIONS",
    "PERIODS",
    "Counts",
    "FailedRollbacks",
    "ReportQuery",
    "aggregate_many",
    "failed_rollbacks",
    "parse_query",
]
