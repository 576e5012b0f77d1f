"""The ledger a service process uses, for routes of this app and routers added elsewhere.

The ledger opens its database on first use, so the process starts (and `/healthz`
answers) even when PostgreSQL is not reachable yet; `/readyz` and data endpoints answer
503 until it is, then it opens and migrates once (migrations take an advisory lock, so
replicas starting together are safe).
"""

from __future__ import annotations

from fastapi import Request

from rollback_rate.ledger import Ledger


async def get_ledger(request: Request) -> Ledger:
    """FastAPI dependency: the process's ledger (async: it never blocks, so it takes no
    hop to the thread pool)."""
    ledger: Ledger = request.app.state.ledger
    return ledger
