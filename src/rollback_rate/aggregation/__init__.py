"""The read model: SQL aggregation over the attribution projection, and every other read."""

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
