"""What a committed write changed, one line per change, for a person at a terminal.

The after-commit notice (`Committed`) as `void` and `amend` print it: which deployments
are counted or rolled back now, or no longer, and which rollback was classified anew.
Names are shown as given unless they hold characters that could forge a line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rollback_rate.ledger import Committed, DeploymentChange, StreamChange

NO_CHANGE = (
    "no change in attribution: no deployment is counted, rolled back or classified differently"
)


def change_lines(committed: Committed) -> list[str]:
    """One line per change, stream by stream; empty when nothing changed."""
    lines = [line for stream in committed.streams for line in _stream_lines(stream)]
    if committed.truncated:
        lines.append("... and more changes than are listed")
    return lines


def _stream_lines(stream: StreamChange) -> list[str]:
    where = f"{show(stream.model)}/{show(stream.environment)}: "
    lines = [f"{_deployment(d)} is no longer counted" for d in stream.no_longer_counted]
    lines += [f"{_deployment(d)} is no longer rolled back" for d in stream.no_longer_rolled_back]
    lines += [f"{_deployment(d)} is now counted" for d in stream.deployed]
    lines += [
        f"{_deployment(c.deployment)} is now rolled back by {show(c.event_id)} at {c.at}, "
        f"{c.hours_after_deployment:.1f} h after deployment "
        f"({_classification(c.cause, c.automated)})"
        for c in stream.rolled_back
    ]
    lines += [
        f"rollback {show(c.event_id)} at {c.at} is now "
        f"{_classification(c.cause, c.automated)} "
        f"(was {_classification(c.was_cause, c.was_automated)})"
        for c in stream.reclassified
    ]
    lines += [
        f"rollback {show(o.event_id)} at {o.at} is now an orphan: it rolls back no counted "
        f"deployment ({_classification(o.cause, o.automated)})"
        for o in stream.orphaned
    ]
    lines += [
        f"rollback {show(o.event_id)} at {o.at} is no longer an orphan"
        for o in stream.no_longer_orphaned
    ]
    lines += [
        f"{_deployment(f.deployment)} is now fixed forward by {show(f.event_id)} at {f.at}"
        for f in stream.fixed_forward
    ]
    return [where + line for line in lines]


def _deployment(deployment: DeploymentChange) -> str:
    version = "no version" if deployment.version is None else f"version {show(deployment.version)}"
    return f"{show(deployment.event_id)} ({version}, deployed {deployment.deployed_at})"


def _classification(cause: str | None, automated: bool) -> str:
    return f"cause {show(cause or 'unspecified')}, {'automated' if automated else 'manual'}"


def show(text: str) -> str:
    """A name as given when every character prints; else quoted, the others escaped."""
    return text if text.isprintable() else repr(text)
