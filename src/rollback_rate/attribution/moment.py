"""What served when (issue 12; mlflow/mlflow#2169): one stream replayed to a moment.

The stream's events are replayed in its order (timestamp, then arrival) with the stack
rules (`stack.apply`), the events a correction voids left out, the rollbacks an amend
reclassified shown as amended. Whatever is on top of the stack after the last event at
or before the moment was live then; the event that last changed the top made it live.
Pure: the read model hands over the events, this says what they did.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from rollback_rate.attribution.compact_stack import Entry, StreamState
from rollback_rate.attribution.corrections import Corrections
from rollback_rate.attribution.stack import Deployed, Orphaned, RolledBack, StreamEvent, apply
from rollback_rate.timeutil import iso_utc


@dataclass(frozen=True)
class LoggedEvent:
    """An event of the stream as the log holds it: what attribution reads, and what a
    reader wants to know of it (`attributes` as stored, JSON text)."""

    event: StreamEvent
    event_id: str
    actor: str | None = None
    note: str | None = None
    attributes: str | None = None

    @property
    def source(self) -> str | None:
        """The source adapter it came from (its `source` attribute), if any."""
        if not self.attributes or '"source"' not in self.attributes:
            return None
        value = orjson.loads(self.attributes).get("source")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Change:
    """One event and what it did to the stream.

    `effect`: `deployed` (a new counted deployment), `redeployed` (the live version again:
    nothing moved), `rolled_back` (counted deployments popped; a deployment of an older
    version does this too), `orphan_rollback` (a rollback that rolled back nothing
    counted), `drill` or `failed_rollback` (nothing moved)."""

    logged: LoggedEvent
    effect: str
    live_after: str | None
    rolled_back: list[str] = field(default_factory=list)  # versions of deployments popped
    automated: bool | None = None  # as amended
    cause: str | None = None  # as amended

    def as_dict(self) -> dict[str, Any]:
        event, logged = self.logged.event, self.logged
        return {
            "id": logged.event_id,
            "type": event.type,
            "timestamp": iso_utc(event.ts),
            "version": event.version,
            "effect": self.effect,
            "rolled_back": self.rolled_back,
            "live_after": self.live_after,
            "automated": self.automated,
            "cause": self.cause,
            "actor": logged.actor,
            "source": logged.source,
            "note": logged.note,
        }


@dataclass(frozen=True)
class Moment:
    """A stream at `at`: the live version, since when and by which event (None when
    nothing was live), the deployment that first put that version on the stack (None
    when a rollback restored a version the stream never deployed), and the changes just
    before (the last of them at or before `at`) and after."""

    at: int
    live: str | None
    live_since: int | None
    made_live_by: Change | None
    deployed_by: Change | None
    before: list[Change]
    after: list[Change]


@dataclass(frozen=True)
class History:
    """What served on one stream (model, environment) at a moment, and the changes around."""

    model: str
    environment: str
    moment: Moment

    def as_dict(self) -> dict[str, Any]:
        """The machine interface of `history --format json` and `GET /api/v1/history`."""
        m = self.moment
        live = None
        if m.live is not None:
            assert m.live_since is not None and m.made_live_by is not None
            live = {
                "version": m.live,
                "since": iso_utc(m.live_since),
                "made_live_by": m.made_live_by.as_dict(),
                "deployed_by": m.deployed_by.as_dict() if m.deployed_by else None,
            }
        return {
            "model": self.model,
            "environment": self.environment,
            "at": iso_utc(m.at),
            "live": live,
            "before": [change.as_dict() for change in m.before],
            "after": [change.as_dict() for change in m.after],
        }


def replay_to(
    logged: Iterable[LoggedEvent], corrections: Corrections, at: int, context: int = 3
) -> Moment:
    """Replay one stream's events (in stream order; corrections themselves left out) to
    `at`, keeping `context` changes either side of it."""
    state = StreamState()
    top: Entry | None = None  # the live entry: (version, its deployment's seq or None)
    made_live: Change | None = None
    deployments: dict[int, Change] = {}  # each counted deployment's change, by its seq
    before: deque[Change] = deque(maxlen=context)
    after: list[Change] = []
    for item in logged:
        if item.event.seq in corrections.voided:
            continue
        if item.event.ts > at and len(after) >= context:
            break
        change = _change(item, corrections.amend(apply(state, item.event)), state, corrections)
        if item.event.ts > at:
            after.append(change)
            continue
        before.append(change)
        if change.effect == "deployed":
            deployments[item.event.seq] = change
        if state.live_entry != top:
            top, made_live = state.live_entry, change
    return Moment(
        at=at,
        live=top[0] if top is not None else None,
        live_since=made_live.logged.event.ts if top is not None and made_live else None,
        made_live_by=made_live if top is not None else None,
        deployed_by=deployments.get(top[1]) if top is not None and top[1] is not None else None,
        before=list(before),
        after=after,
    )


def _change(
    item: LoggedEvent, outcomes: list[Any], state: StreamState, corrections: Corrections
) -> Change:
    event = item.event
    rolled_back = [o.version for o in outcomes if type(o) is RolledBack]
    if any(type(o) is Deployed for o in outcomes):
        effect = "deployed"
    elif rolled_back:
        effect = "rolled_back"
    elif any(type(o) is Orphaned for o in outcomes):
        effect = "orphan_rollback"
    elif event.type == "deployment":
        effect = "redeployed"
    elif event.drill:
        effect = "drill"
    else:
        effect = "failed_rollback"
    return Change(
        logged=item,
        effect=effect,
        live_after=state.live,
        rolled_back=rolled_back,
        automated=corrections.automated.get(event.seq, event.automated),
        cause=corrections.cause.get(event.seq, event.cause),
    )
