"""The fast path agrees with the reference path on every line it vouches for."""

from __future__ import annotations

import orjson
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rollback_rate.errors import InvalidEvent
from rollback_rate.events.fast import fast_record
from rollback_rate.events.model import EventRecord, parse_event


def reference(line: bytes) -> EventRecord | str:
    """What the reference path (orjson, then Pydantic) makes of a line."""
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "invalid JSON"
    try:
        return parse_event(raw, "line 1")
    except InvalidEvent as exc:
        return str(exc)


def test_the_common_shapes_take_the_fast_path():
    lines = [
        b'{"type":"deployment","model":"fraud","version":"2.4.0","timestamp":"2026-01-01T09:00:00Z",'
        b'"team":"risk","id":"ci-1"}',
        b'{"type": "rollback", "model": "fraud", "environment": "staging", '
        b'"timestamp": "2026-01-01T09:00:00.123+02:00", "automated": true, "cause": "latency"}\r\n',
        b'{"type":"rollback_failed","model":"m","timestamp":"2026-01-01 09:00:00z","note":""}',
    ]
    for line in lines:
        record = fast_record(line)
        assert record is not None
        assert record == reference(line)


def test_id_less_events_get_the_derived_identity():
    line = b'{"type":"rollback","model":"m","timestamp":"2026-01-01T00:00:00Z"}'
    record = fast_record(line)
    assert record is not None and record.event_id.startswith("sha256:")
    assert record.event_id == reference(line).event_id  # type: ignore[union-attr]


def test_what_the_fast_path_leaves_to_the_reference_path():
    base = '{"type":"deployment","model":"m","version":"1","timestamp":"2026-01-01T00:00:00Z"'
    undecided = [
        base + ',"region":"eu"}',  # an attribute to keep
        base + ',"team":" risk"}',  # whitespace the reference path strips
        base.replace('"1"', "1") + "}",  # a number made text
        base.replace("00Z", "00.1234567Z") + "}",  # seven fractional digits: truncated
        base + ',"note":"a\\u0000b"}',  # NUL: refused with its own message
        base.replace(',"version":"1"', "") + "}",  # the reference path words the error
        base.replace("00:00:00Z", "00:00Z") + "}",  # valid, but not RFC 3339
        base + ',"automated":"yes"}',
        "[" + base + "}]",
        base,
    ]
    for line in undecided:
        assert fast_record(line.encode()) is None, line


_USUALLY = st.sampled_from([True] * 9 + [False])  # Hypothesis favours edges in integers


def _mostly(valid: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """Valid nine times in ten, so that whole lines are often valid and both paths run."""
    return _USUALLY.flatmap(lambda usual: valid if usual else odd)


_VALID_TEXT = st.one_of(
    st.sampled_from(["m", "fraud-scorer", "2.4.0", "é", "😀", "a b", "x" * 200]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Zs", "Cc"]), min_size=1),
)
_ODD_TEXT = st.one_of(
    st.sampled_from(["x" * 201, "", "a\x00b"]),
    st.text(alphabet=" \t\n\x1f\u00a0\u2028\u3000ab", max_size=4),
    st.text(max_size=6),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.none(),
)
_TEXT = _mostly(_VALID_TEXT, _ODD_TEXT)
_DATE = _mostly(
    st.dates().map(str),
    st.sampled_from(["2026-02-29", "2026-13-01", "0001-01-01", "26-01-01", "2026-1-01"]),
)
_SEPARATOR = _mostly(st.sampled_from(["T", "t", " "]), st.sampled_from(["_", "", "  "]))
_CLOCK = _mostly(
    st.times().map(lambda t: t.strftime("%H:%M:%S")),
    st.sampled_from(["09:00", "24:00:00", "23:59:60", "9:00:00", "09:00:00:00"]),
)
_FRACTION = _mostly(
    st.one_of(st.just(""), st.integers(1, 6).flatmap(
        lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)).map(lambda d: "." + d)),
    st.sampled_from([".", ",5", ".1234567", ".9999995", ".000000001"]),
)  # fmt: skip
_OFFSET = _mostly(
    st.sampled_from(["Z", "z", "+00:00", "-00:00", "+01:30", "-11:45", "+0130"]),
    st.sampled_from(["", "+01", "+24:00", "+01:00:30", " Z", "UTC"]),
)
_TIMESTAMP = _mostly(
    st.builds(lambda *parts: "".join(parts), _DATE, _SEPARATOR, _CLOCK, _FRACTION, _OFFSET),
    st.one_of(
        st.sampled_from(["1700000000", "2026-01-31", "", " 2026-01-31T09:00:00Z"]),
        st.integers(0, 2_000_000_000),
    ),
)
_FIELDS = {
    "type": _mostly(
        st.sampled_from(["deployment", "rollback", "rollback_failed"]),
        st.sampled_from(["Deployment", " rollback", "", 1, None]),
    ),
    "model": _TEXT,
    "version": _TEXT,
    "environment": _TEXT,
    "timestamp": _TIMESTAMP,
    "id": _TEXT,
    "automated": _mostly(st.booleans(), st.sampled_from([0, 1, "true", None])),
    "cause": _TEXT,
    "team": _TEXT,
    "note": _TEXT,
    "extra": _TEXT,
}
_CONTRACT = ("type", "model", "timestamp")


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    names = draw(st.lists(st.sampled_from(sorted(_FIELDS)), unique=True))
    if draw(_USUALLY):  # usually the required fields; sometimes any subset
        names = sorted({*_CONTRACT, *names})
    if "extra" in names and draw(st.booleans()):
        names.remove("extra")
    pairs = [(name, draw(_FIELDS[name])) for name in names]
    if pairs and not draw(_USUALLY):
        pairs.append((pairs[0][0], draw(_FIELDS[pairs[0][0]])))  # a repeated key
    body = ", ".join(
        orjson.dumps(name).decode() + ": " + orjson.dumps(value).decode() for name, value in pairs
    )
    line = ("{" + body + "}").encode()
    return line + draw(_mostly(st.sampled_from([b"", b"\n", b"\r\n"]), st.just(b"}")))


@settings(max_examples=3000, deadline=None)
@given(line=lines())
def test_the_fast_path_agrees_with_the_reference_path(line):
    record = fast_record(line)
    event("fast" if record is not None else "reference")
    if record is not None:
        assert record == reference(line)
