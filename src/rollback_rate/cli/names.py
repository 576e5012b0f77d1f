"""Names the commands' help text shows, kept here so that `--help` imports nothing heavy.

The registries they mirror (event readers, source adapters, token scopes) import Pydantic
and SQLAlchemy; `tests/cli/test_startup.py` holds these copies equal to them.
"""

from __future__ import annotations

EVENT_FORMATS = ("jsonl", "csv")
SOURCE_NAMES = (
    "cdevents",
    "mlflow",
    "github",
    "gitlab",
    "argo-rollouts",
    "sagemaker",
    "k8s-replicasets",
)
# Sources whose webhook deliveries are verified with a shared secret.
SIGNED_SOURCES = ("mlflow", "github", "gitlab", "sagemaker")
SCOPES = ("ingest", "read", "admin")
