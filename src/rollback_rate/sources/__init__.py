"""Source adapters: external payloads in, canonical event dicts out.

Each adapter is pure (no I/O, no state) so webhook redeliveries and file re-imports give
the same event ids, which the store uses to stay idempotent.  Look one up by the name
used in ``POST /webhooks/{source}`` and ``import --format``.
"""

from __future__ import annotations

from rollback_rate.errors import UnknownSource
from rollback_rate.sources import (
    argo_rollouts,
    cdevents,
    github,
    gitlab,
    k8s_replicasets,
    mlflow,
    sagemaker,
)
from rollback_rate.sources.base import BaseSource, Source, SourceOptions, Translation
from rollback_rate.sources.payloads import iter_payloads

SOURCES: dict[str, Source] = {
    module.SOURCE.name: module.SOURCE
    for module in (cdevents, mlflow, github, gitlab, argo_rollouts, sagemaker, k8s_replicasets)
}


def get_source(name: str) -> Source:
    """The adapter registered as ``name``; UnknownSource lists the known names."""
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise UnknownSource(f"unknown source {name!r}; known sources: {known}") from None


__all__ = [
    "SOURCES",
    "BaseSource",
    "Source",
    "SourceOptions",
    "Translation",
    "get_source",
    "iter_payloads",
]
