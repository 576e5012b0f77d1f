"""Renderers: a Report (or advice, or readiness) in, text out. They compute nothing the
report does not hold."""

from rollback_rate.render.advice import render_advice
from rollback_rate.render.formats import FORMATS, render
from rollback_rate.render.readiness import render_readiness

__all__ = ["FORMATS", "render", "render_advice", "render_readiness"]
