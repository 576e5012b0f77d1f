"""The read model: SQL aggregation over the attribution projection, and every other read.

The names below are imported on first use (PEP 562): `report` needs the report's SQL,
not the advice's, readiness' or export's (issue 13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollback_rate.lazy import lazy_exports, where

if TYPE_CHECKING:
    from rollback_rate.aggregation.advice import AdviceCounts, CauseTally
    from rollback_rate.aggregation.audit import AuditPage, AuditQuery
    from rollback_rate.aggregation.export import ExportQuery
    from rollback_rate.aggregation.failures import FailedRollbacks
    from rollback_rate.aggregation.filters import FilterMatch, UnknownValue
    from rollback_rate.aggregation.gauges import StreamGauge
    from rollback_rate.aggregation.outcomes import OutcomeTally
    from rollback_rate.aggregation.query import DIMENSIONS, PERIODS, ReportQuery, parse_query
    from rollback_rate.aggregation.read_model import ReadModel, ReportCounts
    from rollback_rate.aggregation.readiness import ReadinessQuery, ReadinessRow
    from rollback_rate.aggregation.rollbacks import RolledBackDeployment
    from rollback_rate.aggregation.sql import Counts
    from rollback_rate.aggregation.streams import StreamPosition, StreamRow
    from rollback_rate.aggregation.survival import SurvivalCounts, SurvivalTallies
    from rollback_rate.aggregation.testscore import EvidenceEvent, ModelEvidence

_LAZY = {
    **where("rollback_rate.aggregation.advice", "AdviceCounts", "CauseTally"),
    **where("rollback_rate.aggregation.audit", "AuditPage", "AuditQuery"),
    **where("rollback_rate.aggregation.export", "ExportQuery"),
    **where("rollback_rate.aggregation.failures", "FailedRollbacks"),
    **where("rollback_rate.aggregation.filters", "FilterMatch", "UnknownValue"),
    **where("rollback_rate.aggregation.gauges", "StreamGauge"),
    **where("rollback_rate.aggregation.outcomes", "OutcomeTally"),
    **where(
        "rollback_rate.aggregation.query", "DIMENSIONS", "PERIODS", "ReportQuery", "parse_query"
    ),
    **where("rollback_rate.aggregation.read_model", "ReadModel", "ReportCounts"),
    **where("rollback_rate.aggregation.readiness", "ReadinessQuery", "ReadinessRow"),
    **where("rollback_rate.aggregation.rollbacks", "RolledBackDeployment"),
    **where("rollback_rate.aggregation.sql", "Counts"),
    **where("rollback_rate.aggregation.streams", "StreamPosition", "StreamRow"),
    **where("rollback_rate.aggregation.survival", "SurvivalCounts", "SurvivalTallies"),
    **where("rollback_rate.aggregation.testscore", "EvidenceEvent", "ModelEvidence"),
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "DIMENSIONS",
    "PERIODS",
    "AdviceCounts",
    "AuditPage",
    "AuditQuery",
    "CauseTally",
    "Counts",
    "EvidenceEvent",
    "ExportQuery",
    "FailedRollbacks",
    "FilterMatch",
    "ModelEvidence",
    "OutcomeTally",
    "ReadModel",
    "ReadinessQuery",
    "ReadinessRow",
    "ReportCounts",
    "ReportQuery",
    "RolledBackDeployment",
    "StreamGauge",
    "StreamPosition",
    "StreamRow",
    "SurvivalCounts",
    "SurvivalTallies",
    "UnknownValue",
    "parse_query",
]
