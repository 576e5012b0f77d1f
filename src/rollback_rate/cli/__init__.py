"""The `rollback-rate` command: thin edges over the library (parse, call, render)."""

from rollback_rate.cli.app import app, main

__all__ = ["app", "main"]
