"""The canonical event contract: what is accepted, normalised, kept and refused."""

import pytest

from rollback_rate.errors import InvalidEvent
from rollback_rate.events import parse_event
from rollback_rate.timeutil import iso_utc

VALID = {
    "type": "deployment",
    "model": "ranker",
    "version": "1.2",
    "timestamp": "2026-01-05T10:00:00+01:00",
}


def problems(raw):
    with pytest.raises(InvalidEvent) as info:
        parse_event(raw, "line 7")
    return [(p.location, p.field, p.reason) for p in info.value.problems]


def test_defaults_and_utc_normalisation():
    record = parse_event(VALID, "line 1")
    assert record.environment == "production"
    assert record.automated is False
    assert iso_utc(record.ts) == "2026-01-05T09:00:00Z"


def test_unknown_fields_are_kept_as_attributes():
    record = parse_event({**VALID, "pipeline": "ci-42", "cost_usd": 1200}, "line 1")
    assert record.as_dict()["attributes"] == {"pipeline": "ci-42", "cost_usd": 1200}


def test_timestamp_without_offset_is_rejected_with_the_fix():
    assert problems({**VALID, "timestamp": "2026-01-01T00:00:00"}) == [
        (
            "line 7",
            "timestamp",
            "timestamp '2026-01-01T00:00:00' has no UTC offset; add 'Z' or '+00:00'",
        )
    ]


def test_unparseable_timestamp_names_the_field():
    [(location, field, reason)] = problems({**VALID, "timestamp": "yesterday"})
    assert (location, field) == ("line 7", "timestamp")
    assert "not ISO 8601" in reason


def test_deployment_needs_a_version():
    raw = {k: v for k, v in VALID.items() if k != "version"}
    assert problems(raw) == [("line 7", "version", "is required for a deployment")]


def test_rollback_version_is_optional():
    record = parse_event(
        {"type": "rollback", "model": "m", "timestamp": "2026-01-01T00:00:00Z"}, "x"
    )
    assert record.version is None


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"type": "promote"},
            "type",
            "must be one of deployment, rollback, void, amend (got 'promote')",
        ),
        ({"model": ""}, "model", "must not be empty"),
        ({"model": "m" * 201}, "model", "is longer than 200 characters"),
        ({"automated": "yes"}, "automated", "must be true or false (got 'yes')"),
        ({"model": ["m"]}, "model", "must be a string (got list)"),
        ({"model": "a\u0000b"}, "model", "must not contain NUL characters (\\u0000)"),
        ({"note": "x\u0000"}, "note", "must not contain NUL characters (\\u0000)"),
        (
            {"timestamp": 1767225600},
            "timestamp",
            "must be an ISO 8601 string with a UTC offset (got int)",
        ),
    ],
)
def test_bad_fields_are_named(change, field, reason):
    assert problems({**VALID, **change}) == [("line 7", field, reason)]


def test_missing_required_fields_are_all_listed():
    found = problems({"type": "deployment"})
    assert {(f, r) for _, f, r in found} == {
        ("timestamp", "is required"),
        ("model", "is required for a deployment"),
        ("version", "is required for a deployment"),
    }


def test_not_an_object():
    assert problems(["deployment"]) == [("line 7", None, "expected a JSON object, got list")]


def test_a_version_given_as_a_number_is_refused_with_the_fix():
    # 1.10 and 1.1 are two versions, but the same JSON number (issue 9).
    for number in (3, 1.10, 123456789012345678901234567890):
        assert problems({**VALID, "version": number}) == [
            (
                "line 7",
                "version",
                f"must be a string (got {type(number).__name__} {number!r}): quote it, as a "
                "JSON number loses what tells versions apart (1.10 would be 1.1)",
            )
        ]


def test_other_numbers_are_still_text():
    record = parse_event({**VALID, "id": 4711, "team": 7}, "x")
    assert (record.event_id, record.team) == ("4711", "7")


def test_identity_without_id_is_derived_from_content():
    same_instant = {**VALID, "timestamp": "2026-01-05T09:00:00Z"}
    assert parse_event(VALID, "a").event_id == parse_event(same_instant, "b").event_id
    other = parse_event({**VALID, "version": "1.3"}, "c").event_id
    assert other != parse_event(VALID, "a").event_id


def test_explicit_id_is_the_identity():
    assert parse_event({**VALID, "id": "ci-991"}, "a").event_id == "ci-991"


def test_each_stage_s_shape_follows_the_contract():
    # One definition per stage: the record flattens the contract, the log stores the
    # record, attribution reads its fields by name. Adding a field to the contract
    # without the others fails here, not in production.
    from rollback_rate.attribution import StreamEvent
    from rollback_rate.events import Event, EventRecord
    from rollback_rate.store.appended import EVENT_COLUMNS
    from rollback_rate.store.schema import events

    contract = set(Event.model_fields) - {"id", "timestamp", "reason"}
    assert set(EventRecord._fields) - {"event_id", "ts", "attributes"} == contract
    assert set(EVENT_COLUMNS) == set(EventRecord._fields) - {"model", "environment"} | {
        "stream_id",
        "recorded_at",
    }
    assert set(events.c.keys()) == set(EVENT_COLUMNS) | {"seq"}
    assert set(StreamEvent._fields) - {"seq"} <= set(EventRecord._fields)
