"""`replay_to`: the stack rules replayed to a moment, on events built by hand."""

from rollback_rate.attribution.corrections import Corrections
from rollback_rate.attribution.moment import LoggedEvent, replay_to
from rollback_rate.attribution.stack import StreamEvent


def logged(seq: int, type_: str, version: str | None, ts: int, **flags: object) -> LoggedEvent:
    event = StreamEvent(seq, type_, version, ts, bool(flags.get("automated")), None, None,
                        bool(flags.get("drill")))  # fmt: skip
    return LoggedEvent(event, f"e{seq}", attributes=flags.get("attributes"))  # type: ignore[arg-type]


EVENTS = [
    logged(1, "rollback", "0.9", 10),  # nothing live: an orphan that restores 0.9
    logged(2, "deployment", "1", 20),
    logged(3, "rollback", None, 30, drill=True),  # a drill moves nothing
    logged(4, "rollback_failed", None, 40),
    logged(5, "rollback", None, 50, automated=True),  # pops 1: 0.9 live again
]


def test_a_restored_version_has_no_deployment_behind_it():
    moment = replay_to(EVENTS, Corrections(), at=15)
    assert (moment.live, moment.live_since, moment.made_live_by.effect) == (
        "0.9",
        10,
        "orphan_rollback",
    )
    assert moment.deployed_by is None


def test_drills_and_failed_rollbacks_move_nothing():
    moment = replay_to(EVENTS, Corrections(), at=45, context=5)
    assert [c.effect for c in moment.before] == ["orphan_rollback", "deployed", "drill",
                                                 "failed_rollback"]  # fmt: skip
    assert (moment.live, moment.live_since) == ("1", 20)
    assert moment.deployed_by is moment.made_live_by
    [after] = moment.after
    assert (after.effect, after.rolled_back, after.live_after) == ("rolled_back", ["1"], "0.9")


def test_a_voided_event_is_left_out_and_context_zero_shows_no_changes():
    moment = replay_to(EVENTS, Corrections(voided={2}), at=45, context=0)
    assert (moment.live, moment.before, moment.after) == ("0.9", [], [])
    assert moment.made_live_by is not None and moment.made_live_by.logged.event_id == "e1"


def test_the_source_is_the_adapters_attribute():
    assert logged(1, "deployment", "1", 1, attributes='{"source":"mlflow"}').source == "mlflow"
    assert logged(1, "deployment", "1", 1, attributes='{"sourced":1}').source is None
    assert logged(1, "deployment", "1", 1).source is None
