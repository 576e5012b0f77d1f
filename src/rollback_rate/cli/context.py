"""What every command shares: the global options and the ledger they open.

Commands take their ledger from here (`open_ledger(ctx)`), never a database of their own. A
caller may hand the root command a prepared `CliState` (Click's `obj=`), with after-commit
subscribers that the ledger will carry: the way tests watch what a command wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rollback_rate.config import Config
    from rollback_rate.ledger import Ledger, Subscriber


@dataclass
class CliState:
    """The global options, and the config and ledger, each read or opened on first use."""

    db_url: str | None = None
    config_path: str | None = None
    subscribers: list[Subscriber] = field(default_factory=list)
    _config: Config | None = None
    _ledger: Ledger | None = None

    def config(self) -> Config:
        """The config file's settings (the defaults without one); a bad file raises
        InvalidConfig, whose one line names the file, table and key."""
        if self._config is None:
            from rollback_rate.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def ledger(self) -> Ledger:
        if self._ledger is None:
            from rollback_rate.ledger import Ledger

            config = self.config()
            # One command, one thread: nothing to group, so no group commit writer.
            self._ledger = Ledger(self.db_url, group_commit=False, config=config)
            if config.alert_rules:  # a recorded rollback alerts before the command ends
                from rollback_rate.alerts.alerter import Alerter

                self._ledger.subscribe(Alerter(self._ledger).notice)
            for subscriber in self.subscribers:
                self._ledger.subscribe(subscriber)
        return self._ledger

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def open_ledger(ctx: typer.Context) -> Ledger:
    """The command's ledger."""
    return state(ctx).ledger()
