"""The contract's later fields and the probes it must refuse (issues 9, 10, 12)."""

import pytest

from rollback_rate.errors import InvalidEvent
from rollback_rate.events import parse_event
from rollback_rate.events.fast import fast_record
from rollback_rate.events.model import MAX_DEPTH

DEPLOY = {"type": "deployment", "model": "m", "version": "2", "timestamp": "2026-01-05T10:00:00Z"}


def problems(raw):
    with pytest.raises(InvalidEvent) as info:
        parse_event(raw, "[0]")
    return [(p.field, p.reason) for p in info.value.problems]


def test_a_deployment_carries_where_its_model_lives_and_who_shipped_it():
    digest = "sha256:" + "ab" * 32
    record = parse_event(
        {**DEPLOY, "artifact": "registry/m:2@" + digest, "digest": digest, "actor": "octocat",
         "stage": "canary", "unplanned": True},
        "[0]",
    )  # fmt: skip
    assert (record.artifact, record.digest, record.actor) == (
        "registry/m:2@" + digest, digest, "octocat"
    )  # fmt: skip
    assert (record.stage, record.unplanned, record.drill) == ("canary", True, False)
    assert record.as_dict()["digest"] == digest and "target" not in record.as_dict()


def test_a_drill_is_a_rollback_that_says_so():
    record = parse_event({**DEPLOY, "type": "rollback", "drill": True, "version": None}, "[0]")
    assert record.drill is True


def test_corrections_name_their_target_and_no_stream_of_their_own():
    void = parse_event(
        {
            "type": "void",
            "target": "ci-1",
            "reason": "wrong model",
            "timestamp": DEPLOY["timestamp"],
        },
        "[0]",
    )
    assert (void.target, void.note, void.model, void.environment) == ("ci-1", "wrong model", "", "")
    assert void.as_dict()["reason"] == "wrong model" and "note" not in void.as_dict()
    amend = parse_event({"type": "amend", "target": "r-1", "cause": "data_drift",
                         "timestamp": DEPLOY["timestamp"]}, "[0]")  # fmt: skip
    assert (amend.cause, amend.automated) == ("data_drift", None)  # None: left as it was
    again = parse_event({"type": "void", "target": "ci-1", "timestamp": DEPLOY["timestamp"]}, "x")
    assert (
        again.event_id
        == parse_event(
            {"type": "void", "target": "ci-1", "timestamp": DEPLOY["timestamp"]}, "y"
        ).event_id
    )  # derived from type, target and time, like any id-less event


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"type": "void", "timestamp": "2026-01-01T00:00:00Z"},
         [("target", "is required for a void")]),
        ({**DEPLOY, "drill": True}, [("drill", "does not apply to a deployment")]),
        ({**DEPLOY, "target": "x"}, [("target", "does not apply to a deployment")]),
        ({**DEPLOY, "type": "rollback", "unplanned": True},
         [("unplanned", "does not apply to a rollback")]),
        ({"type": "void", "target": "x", "cause": "c", "timestamp": "2026-01-01T00:00:00Z"},
         [("cause", "does not apply to a void")]),
        ({"type": "void", "target": "x", "automated": False, "timestamp": "2026-01-01T00:00:00Z"},
         [("automated", "does not apply to a void")]),
        ({**DEPLOY, "digest": "latest"},
         [("digest", "must be ALGORITHM:HEX, e.g. 'sha256:9f86d08...' (got 'latest')")]),
    ],
)  # fmt: skip
def test_fields_that_do_not_apply_are_refused_by_name(raw, expected):
    assert problems(raw) == expected


def test_a_default_false_is_not_refused_where_the_flag_does_not_apply():
    assert parse_event({**DEPLOY, "drill": False}, "[0]").drill is False


@pytest.mark.parametrize(
    "stamp",
    ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"],
)
def test_times_outside_years_1_to_9999_in_utc_are_refused(stamp):
    assert problems({**DEPLOY, "timestamp": stamp}) == [
        ("timestamp", "is outside years 1 to 9999 once converted to UTC")
    ]
    line = f'{{"type":"deployment","model":"m","version":"1","timestamp":"{stamp}"}}'.encode()
    assert fast_record(line) is None  # the fast path leaves it to the reference path's word


@pytest.mark.parametrize("stamp", ["1767607200", " 1767607200.5 ", "-12"])
def test_numeric_strings_are_not_read_as_unix_time(stamp):
    [(field, reason)] = problems({**DEPLOY, "timestamp": stamp})
    assert field == "timestamp"
    assert reason == f"must be an ISO 8601 string with a UTC offset (got {stamp!r})"


def test_attributes_nested_too_deep_are_refused_not_a_recursion_error():
    deep: object = "leaf"
    for _ in range(1_000):
        deep = {"x": deep}
    assert problems({**DEPLOY, "pipeline": deep}) == [
        ("pipeline", f"is nested deeper than {MAX_DEPTH} levels")
    ]
    shallow: object = 1
    for _ in range(MAX_DEPTH - 1):
        shallow = [shallow]
    assert parse_event({**DEPLOY, "pipeline": shallow}, "[0]").attributes is not None


def test_an_event_over_64_kib_is_refused_with_its_size():
    [(field, reason)] = problems({**DEPLOY, "log": "x" * 70_000})
    assert field is None
    assert reason == (
        "has 70010 bytes of JSON in fields outside the contract (attributes); an event may "
        "have at most 65536"
    )  # {"log":"x...x"}: 70,000 + 10


def test_the_limit_is_on_the_attributes_so_an_export_line_is_never_refused():
    # 65,536 bytes of attributes exactly: accepted as sent without an id, and accepted
    # again as export writes it, with its derived id, environment and timestamp added.
    raw = {**DEPLOY, "log": "x" * (65_536 - 10)}
    record = parse_event(raw, "[0]")
    line = record.as_line()
    assert len(line) > 65_536 + 60
    import orjson

    assert parse_event(orjson.loads(line), "line 1") == record


def test_a_long_bad_value_is_quoted_cut_short():
    [(field, reason)] = problems({**DEPLOY, "automated": "y" * 10_000})
    assert (field, reason) == (
        "automated", f"must be true or false (got '{'y' * 79}... (10002 characters))",
    )  # fmt: skip
