"""Rates, intervals and bands: pure functions of the counts the read model gives.

Imported on first use (PEP 562): a report does not load the advice, readiness or
survival figures (issue 13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollback_rate.lazy import lazy_exports, where

if TYPE_CHECKING:
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

_LAZY = {
    **where("rollback_rate.metrics.advice_report", "AdviceReport", "advice_query", "build_advice"),
    **where("rollback_rate.metrics.gauges", "StreamFigures", "stream_figures"),
    **where("rollback_rate.metrics.models", "models_overview"),
    **where(
        "rollback_rate.metrics.readiness_report",
        "ReadinessReport",
        "StreamReadiness",
        "build_readiness",
    ),
    **where("rollback_rate.metrics.report", "Report", "build_report"),
    **where("rollback_rate.metrics.stats", "Z_95", "band", "rate_pct", "wilson_interval_pct"),
    **where("rollback_rate.metrics.summary", "Summary", "SummarySettings", "summarise"),
    **where(
        "rollback_rate.metrics.survival_report", "GroupSurvival", "SurvivalReport", "build_survival"
    ),
    **where("rollback_rate.metrics.testscore", "TestResult", "TestScore", "score_tests"),
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

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
