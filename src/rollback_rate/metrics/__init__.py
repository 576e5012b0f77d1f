"""Rates, intervals and bands: pure functions of the counts the read model gives."""

from rollback_rate.metrics.advice_report import AdviceReport, advice_query, build_advice
from rollback_rate.metrics.gauges import StreamFigures, stream_figures
from rollback_rate.metrics.models import models_overview
from rollback_rate.metrics.readiness_report import (
    ReadinessReport,
    StreamReadiness,
    build_readiness,
)
from rollback_rate.metrics.report import Report, build_report
from rollback_rate.metrics.stats import Z_95, band, rate_pct, wilson_interval_pct
from rollback_rate.metrics.summary import Summary, SummarySettings, summarise
from rollback_rate.metrics.survival_report import GroupSurvival, SurvivalReport, build_survival
from rollback_rate.metrics.testscore import TestResult, TestScore, score_tests

__all__ = [
    "Z_95",
    "AdviceReport",
    "GroupSurvival",
    "ReadinessReport",
    "Report",
    "StreamFigures",
    "StreamReadiness",
    "Summary",
    "SummarySettings",
    "SurvivalReport",
    "TestResult",
    "TestScore",
    "advice_query",
    "band",
    "build_advice",
    "build_readiness",
    "build_report",
    "build_survival",
    "models_overview",
    "rate_pct",
    "score_tests",
    "stream_figures",
    "summarise",
    "wilson_interval_pct",
]
