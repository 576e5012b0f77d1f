"""A webhook delivery, from its bytes to stored events: verify, translate, record.

Sources that sign their deliveries (`authenticates`) are checked against the secret
stored with `rollback-rate webhooks add SOURCE`; no secret or a signature that does not
verify raises, and nothing is read further or stored. The others (CDEvents, Argo
Rollouts) are authenticated by the caller (the HTTP service's API token). The source's
pure adapter translates; the events are recorded as one batch, like `POST /api/v1/events`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rollback_rate.errors import NoWebhookSecret
from rollback_rate.sources import SourceOptions, get_source

if TYPE_CHECKING:
    from rollback_rate.ledger.facade import Ledger


@dataclass(frozen=True)
class Delivery:
    """What a delivery did: events stored (or already stored), or why it was ignored."""

    stored: int = 0
    duplicates: int = 0
    event_ids: list[str] = field(default_factory=list)
    ignored: str | None = None


def deliver(
    ledger: Ledger,
    source_name: str,
    body: bytes,
    headers: Mapping[str, str],
    options: SourceOptions,
    now: datetime | None = None,
) -> Delivery:
    """Verify (signing sources), translate and record one delivery."""
    source = get_source(source_name)
    if source.authenticates:
        secret = ledger.webhook_secret(source.name)
        if not secret:
            raise NoWebhookSecret(
                f"no webhook secret is configured for source {source.name!r}; run "
                f"`rollback-rate webhooks add {source.name} --secret ...` with the secret "
                "the sender signs with"
            )
        source.verify(body, headers, secret, now or datetime.now(UTC))
    translation = source.translate_http(body, headers, options)
    if not translation.events:
        return Delivery(ignored=translation.ignored or f"the {source.name} payload records nothing")
    locations = [f"{source.name} event {n}" for n in range(1, len(translation.events) + 1)]
    result = ledger.record_batch(translation.events, locations=locations)
    ids = [str(event.get("id")) for event in translation.events]
    return Delivery(result.stored, result.duplicates, ids)
