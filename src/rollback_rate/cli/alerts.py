"""`alerts test|evaluate`: try a rule's receiver, or run the rules once (cron)."""

from __future__ import annotations

from typing import Annotated

import typer

from rollback_rate.cli.context import open_ledger, state
from rollback_rate.errors import InvalidOption

alerts_app = typer.Typer(help="Alert rules of the config file ([[alerts.rule]]).",
                         no_args_is_help=True)  # fmt: skip


@alerts_app.command("test")
def test(
    ctx: typer.Context,
    rule: Annotated[str, typer.Argument(help="The rule's name in the config file.")],
) -> None:
    """Send a sample alert of RULE's kind to its URL, signed as a real one; exit 1 when
    the receiver does not accept it. Nothing is recorded."""
    from rollback_rate.alerts.evaluate import sample_alert
    from rollback_rate.alerts.send import Sender

    config = state(ctx).config()
    rules = {r.name: r for r in config.alert_rules}
    if rule not in rules:
        known = ", ".join(sorted(rules)) or "none; add [[alerts.rule]] tables to the config"
        where = config.path or "no config file (give one with --config)"
        raise InvalidOption(f"no alert rule named {rule!r} in {where}; rules: {known}", "rule")
    chosen = rules[rule]
    result = Sender().send(chosen, sample_alert(chosen))
    if not result.delivered:
        typer.echo(f"fail: sample alert of rule {rule!r} not delivered to {chosen.url} after "
                   f"{result.attempts} attempt(s): {result.error}", err=True)  # fmt: skip
        raise typer.Exit(1)
    typer.echo(f"sent a sample {chosen.on} alert of rule {rule!r} to {chosen.url} "
               f"(HTTP {result.status}, {chosen.format} format)")  # fmt: skip


@alerts_app.command("evaluate")
def evaluate(ctx: typer.Context) -> None:
    """Evaluate every rule over every model now and send what it calls for, then retry
    alerts not yet delivered: what `serve` does every [alerts] interval, for a cron job."""
    from rollback_rate.alerts.alerter import Alerter

    ledger = open_ledger(ctx)
    if not ledger.config.alert_rules:
        raise InvalidOption("no [[alerts.rule]] in the config; give one with --config", "config")
    before = {(d.rule, d.key): d.status for d in ledger.alert_log.deliveries()}
    Alerter(ledger).tick()
    after = ledger.alert_log.deliveries()
    changed = [d for d in after if before.get((d.rule, d.key)) != d.status]
    sent = sum(1 for d in changed if d.status == "sent")
    pending = sum(1 for d in after if d.status == "pending")
    typer.echo(f"evaluated {len(ledger.config.alert_rules)} rule(s): {sent} alert(s) sent, "
               f"{pending} pending a retry")  # fmt: skip
