"""The library façade: `Ledger`, and what its write path and hook hand back."""

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
from rollback_rate.ledger.facade import Ledger
from rollback_rate.ledger.inputs import ImportResult
from rollback_rate.ledger.snapshot import SnapshotOptions
from rollback_rate.ledger.webhooks import Delivery
from rollback_rate.ledger.writes import IngestResult
from rollback_rate.store.secrets import SecretInfo
from rollback_rate.store.tokens import SCOPES, TokenInfo, hash_token

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
    "RollbackChange",
    "SecretInfo",
    "SnapshotOptions",
    "StreamChange",
    "Subscriber",
    "TokenInfo",
    "hash_token",
]
