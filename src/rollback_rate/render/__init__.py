"""Renderers: a Report (or advice, or readiness) in, text out. They compute nothing the
report does not hold.

Imported on first use (PEP 562), so a report does not load the advice renderer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollback_rate.lazy import lazy_exports, where

if TYPE_CHECKING:
    from rollback_rate.render.advice import render_advice
    from rollback_rate.render.formats import FORMATS, render
    from rollback_rate.render.readiness import render_readiness

_LAZY = {
    **where("rollback_rate.render.advice", "render_advice"),
    **where("rollback_rate.render.formats", "FORMATS", "render"),
    **where("rollback_rate.render.readiness", "render_readiness"),
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = ["FORMATS", "render", "render_advice", "render_readiness"]
