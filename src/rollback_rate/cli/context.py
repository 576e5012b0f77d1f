"""What every command shares: the global options and the ledger they open.

Commands take their ledger from here, never a database of their own: `open_ledger(ctx)`
for commands that write (and may create the database), `read_ledger(ctx)` for commands
that only read (`report`, `check`, listings): those refuse a SQLite file that does not
exist rather than create an empty one and report on it (issue 13). A caller may hand the
root command a prepared `CliState` (Click's `obj=`), with after-commit subscribers that
the ledger will carry: the way tests watch what a command wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

from rollback_rate.errors import DatabaseNotFound, InvalidOption, RollbackRateError

if TYPE_CHECKING:
    from rollback_rate.config import Config
    from rollback_rate.ledger import Ledger, Subscriber


@dataclass
class CliState:
    """The global options, and the config and ledger, each read or opened on first use."""

    db_url: str | None = None
    config_path: str | None = None
    subscribers: list[Subscriber] = field(default_factory=list)
    # Where db_url came from, for messages: "--db", "ROLLBACK_RATE_DB", None (the default).
    db_origin: str | None = None
    _config: Config | None = None
    _ledger: Ledger | None = None

    def config(self) -> Config:
        """The config file's settings (the defaults without one); a bad file raises
        InvalidConfig, whose one line names the file, table and key."""
        if self._config is None:
            from rollback_rate.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def ledger(self, *, create: bool = True) -> Ledger:
        if self._ledger is None:
            from rollback_rate.ledger import Ledger

            config = self.config()
            # One command, one thread: nothing to group, so no group commit writer.
            self._ledger = Ledger(self.db_url, group_commit=False, config=config, create=create)
            if config.alert_rules:  # a recorded rollback alerts before the command ends
                from rollback_rate.alerts.alerter import Alerter

                self._ledger.subscribe(Alerter(self._ledger).notice)
            for subscriber in self.subscribers:
                self._ledger.subscribe(subscriber)
        return self._ledger

    def origin(self) -> str:
        """Where the database URL came from, for messages."""
        if self.db_origin is not None:
            return f"from {self.db_origin}"
        if self.db_url is None:
            return "the default location; choose another with --db or ROLLBACK_RATE_DB"
        return "as given"

    def explain(self, exc: RollbackRateError) -> str:
        """The message of a command's error, saying where a database URL came from."""
        if isinstance(exc, DatabaseNotFound):
            return (
                f"no database at {exc.path} ({self.origin()}); reading commands never create "
                "one: check the path, or record or import events to create it"
            )
        if isinstance(exc, InvalidOption) and exc.option == "db":
            return f"{exc} ({self.origin()})"
        return str(exc)

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def open_ledger(ctx: typer.Context) -> Ledger:
    """The command's ledger; writing to it creates the database if there is none."""
    return state(ctx).ledger()


def read_ledger(ctx: typer.Context) -> Ledger:
    """The command's ledger over an existing database (a missing SQLite file is an error
    naming the path and the option or variable it came from, exit code 2)."""
    return state(ctx).ledger(create=False)
