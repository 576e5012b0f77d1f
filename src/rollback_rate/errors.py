"""Domain exceptions, raised in the core and translated only at the edges (CLI, HTTP)."""

from __future__ import annotations

from dataclasses import dataclass


class RollbackRateError(Exception):
    """Base class: every error the tool reports to a user without a traceback."""


@dataclass(frozen=True)
class Problem:
    """One located problem in the input: where (line, index or event), which field, why."""

    location: str
    field: str | None
    reason: str

    def __str__(self) -> str:
        field = f"{self.field}: " if self.field else ""
        return f"{self.location}: {field}{self.reason}"


class InvalidEvent(RollbackRateError):
    """An event breaks the canonical contract; carries every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class InvalidInput(RollbackRateError):
    """A batch or file had invalid events; nothing from it was stored."""

    def __init__(self, problems: list[Problem], total_invalid: int | None = None) -> None:
        self.problems = problems
        self.total_invalid = total_invalid if total_invalid is not None else len(problems)
        super().__init__(f"{self.total_invalid} invalid event(s); nothing was stored")


class InvalidOption(RollbackRateError):
    """An option (window, timestamp, grouping, a query parameter) cannot be understood;
    `option` names it, without the CLI's dashes, so each edge can say where it was."""

    def __init__(self, message: str, option: str | None = None) -> None:
        self.option = option
        super().__init__(message)


class UnknownStream(InvalidOption):
    """No event was ever recorded for the model (or for it in the environment) asked about."""


class InvalidCursor(InvalidOption):
    """A page cursor that no page gave out."""


class InvalidPayload(RollbackRateError):
    """A source payload (webhook body or exported file entry) is malformed for its source."""


class SignatureMismatch(RollbackRateError):
    """A webhook's signature or token does not verify against the stored secret."""


class NoWebhookSecret(RollbackRateError):
    """A signing source has no secret stored, so no delivery from it can be verified."""


class UnknownSource(RollbackRateError):
    """No adapter is registered under the requested source name."""


class InvalidJson(RollbackRateError):
    """A body or document that should hold JSON events does not; nothing was stored."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(message)


class TooManyEvents(RollbackRateError):
    """A batch holds more events than one request may carry."""


class DatabaseError(RollbackRateError):
    """The database failed during a command; its transaction was rolled back, so nothing
    from it was stored. `transient` errors (a lost connection, a lock timeout, a deadlock
    after retries) are worth trying again later."""

    transient = False


class DatabaseNotFound(RollbackRateError):
    """A read asked for a SQLite database file that does not exist: reads never create
    one (a mistyped path would otherwise report an empty database)."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"no database at {path}")


class DatabaseUnavailable(DatabaseError):
    """The database URL cannot be opened or reached."""

    transient = True
