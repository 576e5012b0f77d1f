"""The library façade: `Ledger`, and what its write path and hook hand back.

The write path's types are imported on first use (PEP 562), like the write path itself:
a command that only reads never loads attribution or the source adapters (issue 13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollback_rate.lazy import lazy_exports, where
from rollback_rate.ledger.facade import Ledger
from rollback_rate.ledger.snapshot import SnapshotOptions
from rollback_rate.store.secrets import SecretInfo
from rollback_rate.store.tokens import SCOPES, TokenInfo, hash_token

if TYPE_CHECKING:
    from rollback_rate.ledger.commits import (
        Committed,
        DeploymentChange,
        FixForwardChange,
        OrphanChange,
        ReclassifiedChange,
        RollbackChange,
        StreamChange,
        Subscriber,
    )
    from rollback_rate.ledger.inputs import ImportResult
    from rollback_rate.ledger.outcomes import RecordOutcome
    from rollback_rate.ledger.webhooks import Delivery
    from rollback_rate.ledger.writes import IngestResult

_LAZY = {
    **where(
        "rollback_rate.ledger.commits",
        "Committed",
        "DeploymentChange",
        "FixForwardChange",
        "OrphanChange",
        "ReclassifiedChange",
        "RollbackChange",
        "StreamChange",
        "Subscriber",
    ),
    **where("rollback_rate.ledger.inputs", "ImportResult"),
    **where("rollback_rate.ledger.outcomes", "RecordOutcome"),
    **where("rollback_rate.ledger.webhooks", "Delivery"),
    **where("rollback_rate.ledger.writes", "IngestResult"),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "SCOPES",
    "Committed",
    "Delivery",
    "DeploymentChange",
    "FixForwardChange",
    "ImportResult",
    "IngestResult",
    "Ledger",
    "OrphanChange",
    "ReclassifiedChange",
    "RecordOutcome",
    "RollbackChange",
    "SecretInfo",
    "SnapshotOptions",
    "StreamChange",
    "Subscriber",
    "TokenInfo",
    "hash_token",
]
