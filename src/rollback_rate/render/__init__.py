"""Renderers: a Report (or advice, or readiness) in, text out. They compute nothing the
report does not hold."""

from rollback_rate.render.advice import render_advice
from rollback_rate.render.formats import FORMATS, render

__all__ = ["FORMATS", "render", "render_advice"]
