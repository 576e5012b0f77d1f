"""The ASGI application: `create_app(settings)` for tests, `app_from_env()` for Uvicorn.

No state lives in the process beyond caches: every request reads or writes the database,
so any number of processes on one PostgreSQL answer alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, disable_created_metrics
from prometheus_client.process_collector import ProcessCollector

from rollback_rate import __version__
from rollback_rate.ledger import Ledger
from rollback_rate.service import (
    routes_analysis,
    routes_events,
    routes_ops,
    routes_report,
    webhooks,
)
from rollback_rate.service.auth import TokenCache
from rollback_rate.service.errors import install_error_handlers
from rollback_rate.service.middleware import (
    AccessMiddleware,
    BodyLimitMiddleware,
    configure_access_log,
)
from rollback_rate.service.observability import LedgerCollector, RequestMetrics
from rollback_rate.service.settings import Settings

DESCRIPTION = """\
Model Rollback Rate over HTTP: ingest deployment and rollback events, read reports.

Authenticate with `Authorization: Bearer rr_...` (create tokens with
`rollback-rate tokens create`). Scopes: `ingest` (POST events), `read` (reports, audit,
metrics), `admin` (everything). Errors always have the shape
`{"error": {"code": ..., "message": ..., "details": [...]}}`.
"""


def create_app(settings: Settings, ledger: Ledger | None = None) -> FastAPI:
    """Build one app over `settings.db_url` (or the given ledger, which it then closes
    at shutdown too); the database is opened on first use."""
    ledger = ledger or Ledger(settings.db_url, group_commit=settings.group_commit)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ledger.close()

    app = FastAPI(
        title="rollback-rate",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    disable_created_metrics()  # `_created` series only double the exposition's size
    registry = CollectorRegistry(auto_describe=False)
    metrics = RequestMetrics(registry)
    registry.register(LedgerCollector(ledger, settings.metrics_window))
    ProcessCollector(registry=registry)

    app.state.settings = settings
    app.state.ledger = ledger
    app.state.tokens = TokenCache(settings.token_cache_seconds)
    app.state.registry = registry

    install_error_handlers(app)
    app.include_router(routes_events.router)
    app.include_router(routes_report.router)
    app.include_router(routes_analysis.router)
    app.include_router(routes_ops.router)
    app.include_router(webhooks.router)

    # Last added is outermost: the access log sees every response, including 413s.
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body)
    app.add_middleware(AccessMiddleware, metrics=metrics, log_enabled=settings.access_log)
    if settings.access_log:
        configure_access_log()
    return app


def app_from_env() -> FastAPI:
    """Uvicorn factory (`rollback_rate.service.app:app_from_env --factory`): every worker
    process builds its app from the same `ROLLBACK_RATE_*` environment."""
    return create_app(Settings.from_env())
