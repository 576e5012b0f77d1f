"""Renderers: a Report in, text out. They compute nothing the report does not hold."""

from rollback_rate.render.formats import FORMATS, render

__all__ = ["FORMATS", "render"]
