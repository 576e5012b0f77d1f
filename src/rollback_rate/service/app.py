"""The ASGI application: `create_app(settings)` for tests, `app_from_env()` for Uvicorn.

No state lives in the process beyond caches: every request reads or writes the database,
so any number of processes on one PostgreSQL answer alike.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, disable_created_metrics
from prometheus_client.process_collector import ProcessCollector

from rollback_rate import __version__
from rollback_rate.errors import RollbackRateError
from rollback_rate.ledger import Ledger
from rollback_rate.service import (
    pages,
    routes_action,
    routes_analysis,
    routes_events,
    routes_ops,
    routes_report,
    webhooks,
)
from rollback_rate.service.auth import NO_AUTH_WARNING, TokenCache
from rollback_rate.service.errors import install_error_handlers
from rollback_rate.service.middleware import (
    RequestMiddleware,
    configure_access_log,
)
from rollback_rate.service.observability import LedgerCollector, RequestMetrics
from rollback_rate.service.response_cache import ResponseCache
from rollback_rate.service.schema import complete
from rollback_rate.service.settings import Settings

if TYPE_CHECKING:
    from rollback_rate.alerts.worker import AlertWorker
log = logging.getLogger("rollback_rate.service")

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
    ledger = ledger or Ledger(
        settings.db_url, group_commit=settings.group_commit, config=settings.config
    )
    alerts = _alert_worker(ledger)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if alerts is not None:
            alerts.start()
        if settings.no_auth:  # whoever started the app: serve, or Uvicorn on the factory
            log.warning(NO_AUTH_WARNING)
        yield
        if alerts is not None:
            alerts.stop()
        ledger.close()

    app = FastAPI(
        title="rollback-rate",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by pages.docs, with Swagger UI from an installed package
        redoc_url=None,  # ReDoc would load its script from a CDN
    )
    disable_created_metrics()  # `_created` series only double the exposition's size
    registry = CollectorRegistry(auto_describe=False)
    metrics = RequestMetrics(registry)
    registry.register(LedgerCollector(ledger, settings.metrics_window))
    ProcessCollector(registry=registry)

    app.state.settings = settings
    app.state.ledger = ledger
    app.state.tokens = TokenCache(settings.token_cache_seconds, settings.token_outage_seconds)
    app.state.response_cache = ResponseCache(settings.response_cache_seconds)
    app.state.registry = registry
    app.state.alerts = alerts

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete(FastAPI.openapi(app))
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    install_error_handlers(app)
    app.include_router(routes_events.router)
    app.include_router(routes_report.router)
    app.include_router(routes_action.router)
    app.include_router(routes_analysis.router)
    app.include_router(routes_ops.router)
    app.include_router(webhooks.router)
    app.include_router(pages.router)

    app.add_middleware(
        RequestMiddleware, limit=settings.max_body, metrics=metrics, log_enabled=settings.access_log
    )
    if settings.access_log:
        configure_access_log()
    return app


def _alert_worker(ledger: Ledger) -> AlertWorker | None:
    """With alert rules in the config: the alerter on its own thread, told of every commit
    by the ledger's hook and running the rules every `[alerts] interval` (issue 10)."""
    if not ledger.config.alert_rules:
        return None
    from rollback_rate.alerts.alerter import Alerter
    from rollback_rate.alerts.worker import AlertWorker

    worker = AlertWorker(Alerter(ledger), ledger.config.alerts.interval_micros / 1_000_000)
    ledger.subscribe(worker.submit)
    return worker


def app_from_env() -> FastAPI:
    """Uvicorn factory (`rollback_rate.service.app:app_from_env --factory`): every worker
    process builds its app from the same `ROLLBACK_RATE_*` environment. A bad setting or
    config file is one line on stderr and exit code 2: the process refuses to start."""
    try:
        settings = Settings.from_env()
    except RollbackRateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return create_app(settings)
