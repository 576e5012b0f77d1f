"""Shared helpers for the source adapter tests: fixture loading and fixed options."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rollback_rate.sources import SourceOptions

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


OPTIONS = SourceOptions(now=NOW)
