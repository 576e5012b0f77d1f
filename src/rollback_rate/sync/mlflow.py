"""Reconcile MLflow Model Registry aliases with the store: record the moves we missed.

MLflow webhook deliveries are fire-and-forget: a delivery that fails (rollback-rate down,
network blip, secret mismatch) is not queued for later, so an alias move can simply never
reach us, and a missed move back to an older version is a missed *rollback*.  The
registry itself keeps no alias history, only where each alias points *now*.  So the sync
compares that with the live version of each stream (the top of ``streams.stack``) and,
where they differ, records one deployment of the alias' version.  The core then infers a
rollback exactly as for a webhook: the version is below the live one in the stack.

Only MLflow's REST API is used (httpx), never the ``mlflow`` package: the registry may run
any 3.x version, and rollback-rate must not pull MLflow's dependency tree in.

Timestamp choice.  The move happened some time after the stream's last recorded event
(otherwise that event would not be the live one) and no later than now; MLflow does not
say when.  ``set-alias`` does not even touch the version's ``last_updated_timestamp``
(checked against MLflow 3.17's SQL store), so that field is when the version was
registered or last edited.  We use it when it lies after the stream's last event (and not
in the future): it is the registry's own, deterministic record of when the version was
acted on, and for the common "register, validate, promote" flow it is closer to the move
than the time of a periodic sync.  When it is older than our last event (typical for a
move *back* to an old version, i.e. a rollback), the version was edited before we last
heard of the stream, so the best we know is "by now": the sync's own time.  Either way
the event sorts after the stream's last event, so it extends the stack instead of
rewriting history, and the next sync sees the version live and records nothing.

Id choice.  ``mlflow-sync:<model>:<environment>:<version>:after:<digest>`` where
``digest`` is a short SHA-256 of the id of the stream's last event (``start`` for a new
stream).  It must not contain the timestamp (a wall-clock fallback would differ between
two syncs racing on the same state) and must not be ``model+environment+version`` alone:
moving ``champion`` 1 -> 2 -> 1 needs two distinct deployments of 1.  Keying on the state
the move was observed from does both: the same missed move seen by two syncs is one id
(stored once), while a later move to the same version follows a different last event.
Idempotence across runs needs no id at all: once recorded the version is live, and a
sync after a webhook already delivered the move finds nothing to do.

A webhook that arrives *after* a sync recorded its move is harmless: it is a second
deployment of the same version at (about) the same place in the stream, which the
attribution rules treat as a redeploy of the live version, so nothing is counted twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from rollback_rate.aggregation import StreamPosition
from rollback_rate.ledger import Ledger
from rollback_rate.sources.base import event, format_utc
from rollback_rate.sync.mlflow_registry import PAGE_SIZE, Registry, connect
from rollback_rate.timeutil import from_micros, to_micros

SOURCE = "mlflow"
ID_MAX_LENGTH = 200  # the canonical event id limit
_NEW_STREAM = StreamPosition(live=None, last_ts=None, last_event_id=None)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AliasOutcome:
    """What the sync did about one alias of one registered model.

    ``action`` is ``recorded`` (a deployment was stored), ``unchanged`` (the alias'
    version is already live), ``duplicate`` (the move was stored meanwhile, e.g. by a
    concurrent sync) or ``conflict`` (several aliases map to this environment but point
    at different versions, so which one is live is ambiguous and nothing is recorded).
    """

    model: str
    alias: str
    environment: str
    version: str
    previous: str | None
    action: str
    timestamp: str | None = None
    event_id: str | None = None
    note: str | None = None


@dataclass
class SyncResult:
    """Every alias looked at, in model then environment order."""

    tracking_uri: str
    models: int = 0
    outcomes: list[AliasOutcome] = field(default_factory=list)

    def _count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def recorded(self) -> int:
        return self._count("recorded")

    @property
    def unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def duplicates(self) -> int:
        return self._count("duplicate")

    @property
    def conflicts(self) -> int:
        return self._count("conflict")


# --------------------------------------------------------------------------- reconcile


@dataclass(frozen=True)
class _Target:
    model: str
    environment: str
    version: str
    aliases: tuple[str, ...]


def sync_mlflow(
    ledger: Ledger,
    client_or_base_url: httpx.Client | str,
    *,
    aliases: Iterable[str] | None = None,
    alias_map: Mapping[str, str] | None = None,
    models: Iterable[str] | None = None,
    now: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> SyncResult:
    """Record a deployment for every alias whose version is not live in our store.

    ``aliases`` limits the sync to those alias names (None: every alias of every model);
    ``alias_map`` maps an alias to an environment (others are their own environment, as
    for the webhook); ``models`` names the registered models to look at (None: all, via
    the paginated search).  ``now`` pins the sync's clock for tests.  A string is taken
    as the tracking server's base URL and a client is opened and closed here; a given
    ``httpx.Client`` (with its auth, proxies, base URL) is used as is and left open.

    Raises MLflowSyncError when the server is unreachable or answers an error; nothing
    is half-done per stream, because each recorded move is its own transaction.
    """
    if isinstance(client_or_base_url, str):
        with connect(client_or_base_url) as client:
            return sync_mlflow(
                ledger,
                client,
                aliases=aliases,
                alias_map=alias_map,
                models=models,
                now=now,
                page_size=page_size,
            )
    registry = Registry(client_or_base_url)
    wanted_aliases = set(aliases) if aliases is not None else None
    mapping = dict(alias_map or {})
    moment = (now or datetime.now(UTC)).astimezone(UTC)

    if models is not None:
        registered = [registry.get_model(name) for name in dict.fromkeys(models)]
    else:
        registered = list(registry.search_models(page_size))

    result = SyncResult(tracking_uri=registry.where, models=len(registered))
    targets: list[_Target] = []
    for model in sorted(registered, key=lambda m: str(m.get("name", ""))):
        model_targets, conflicts = _targets(model, wanted_aliases, mapping)
        targets.extend(model_targets)
        result.outcomes.extend(conflicts)
    if not targets:
        return result

    positions = ledger.streams({t.model for t in targets})
    for target in targets:
        current = positions.get((target.model, target.environment), _NEW_STREAM)
        result.outcomes.append(_reconcile(ledger, registry, target, current, moment))
    result.outcomes.sort(key=lambda o: (o.model, o.environment, o.alias))
    return result


def _targets(
    model: Mapping[str, Any], wanted: set[str] | None, mapping: Mapping[str, str]
) -> tuple[list[_Target], list[AliasOutcome]]:
    """The (environment, version) each alias of one model asks for, conflicts set apart.

    Two aliases mapped to one environment (``--map-alias champion=production
    --map-alias prod=production``) agree or make that environment ambiguous; recording
    both would flip the stream between them on every sync and invent rollbacks.
    """
    name = str(model.get("name") or "").strip()
    by_environment: dict[str, dict[str, list[str]]] = {}
    for entry in model.get("aliases") or []:
        alias = str(entry.get("alias") or "").strip()
        version = str(entry.get("version") or "").strip()
        if not name or not alias or not version:
            continue
        if wanted is not None and alias not in wanted:
            continue
        environment = mapping.get(alias, alias)
        by_environment.setdefault(environment, {}).setdefault(version, []).append(alias)
    targets: list[_Target] = []
    conflicts: list[AliasOutcome] = []
    for environment, versions in sorted(by_environment.items()):
        if len(versions) == 1:
            ((version, names),) = versions.items()
            targets.append(_Target(name, environment, version, tuple(sorted(names))))
            continue
        described = ", ".join(
            f"{alias}={version}" for version, names in versions.items() for alias in names
        )
        for version, names in versions.items():
            for alias in names:
                conflicts.append(
                    AliasOutcome(
                        model=name,
                        alias=alias,
                        environment=environment,
                        version=version,
                        previous=None,
                        action="conflict",
                        note=f"aliases disagree on environment {environment!r}: {described}",
                    )
                )
    return targets, conflicts


def _reconcile(
    ledger: Ledger,
    registry: Registry,
    target: _Target,
    current: StreamPosition,
    moment: datetime,
) -> AliasOutcome:
    alias = target.aliases[0]
    outcome = AliasOutcome(
        model=target.model,
        alias=", ".join(target.aliases),
        environment=target.environment,
        version=target.version,
        previous=current.live,
        action="unchanged",
    )
    if current.live == target.version:
        return outcome

    version = registry.get_version(target.model, target.version)
    when, basis = _choose_time(version.get("last_updated_timestamp"), current.last_ts, moment)
    event_id = _event_id(target, current.last_event_id)
    timestamp = format_utc(when)
    raw = event(
        kind="deployment",
        source=SOURCE,
        event_id=event_id,
        model=target.model,
        environment=target.environment,
        timestamp=timestamp,
        version=target.version,
        alias=alias,
        via="sync",
        synced_at=format_utc(moment),
        timestamp_basis=basis,
    )
    stored = ledger.record(raw, location=f"mlflow {target.model}@{alias}").stored
    return replace(
        outcome,
        action="recorded" if stored else "duplicate",
        timestamp=timestamp,
        event_id=event_id,
        note=None if stored else "already recorded (a concurrent sync?)",
    )


def _choose_time(last_updated_ms: Any, floor: int | None, moment: datetime) -> tuple[datetime, str]:
    """The deployment's time and what it is based on; see the module docstring.

    ``floor`` is the stream's last event time (UTC microseconds), None for a new stream.
    """
    now_micros = to_micros(moment)
    try:
        updated = int(last_updated_ms) * 1_000 if last_updated_ms is not None else None
    except (TypeError, ValueError):
        updated = None
    if updated is not None and (floor is None or updated > floor) and updated <= now_micros:
        return from_micros(updated), "model_version.last_updated_timestamp"
    if floor is not None and now_micros < floor:
        # Our last event is in the future (clock skew): sort right after it, not before.
        return from_micros(floor), "stream.last_event"
    return moment, "sync_time"


def _event_id(target: _Target, last_event_id: str | None) -> str:
    """``mlflow-sync:<model>:<environment>:<version>:after:<digest>``; see module docstring."""
    after = hashlib.sha256(last_event_id.encode()).hexdigest()[:16] if last_event_id else "start"
    event_id = f"mlflow-sync:{target.model}:{target.environment}:{target.version}:after:{after}"
    if len(event_id) <= ID_MAX_LENGTH:
        return event_id
    digest = hashlib.sha256(event_id.encode()).hexdigest()[:40]
    return f"mlflow-sync:sha256:{digest}"
