import io

import pytest

from rollback_rate.errors import InvalidEvent, InvalidOption
from rollback_rate.events import detect_format, read_events


def read(text: str, fmt: str):
    return list(read_events(io.BytesIO(text.encode()), fmt))


def test_jsonl_skips_blank_lines_and_keeps_line_numbers():
    lines = read('{"a": 1}\n\n{"b": 2}\n', "jsonl")
    assert lines == [(1, {"a": 1}), (3, {"b": 2})]


def test_jsonl_bad_json_is_located():
    [(number, error)] = read('{"a": \n', "jsonl")
    assert number == 1
    assert isinstance(error, InvalidEvent)
    assert str(error).startswith("line 1: invalid JSON")


def test_csv_empty_cells_are_absent_and_booleans_parsed():
    text = "type,model,version,timestamp,automated,cause\nrollback,m,,2026-01-01T00:00:00Z,true,\n"
    assert read(text, "csv") == [
        (
            2,
            {
                "type": "rollback",
                "model": "m",
                "timestamp": "2026-01-01T00:00:00Z",
                "automated": True,
            },
        )
    ]


def test_csv_bad_boolean_names_line_and_field():
    text = "type,model,timestamp,automated\nrollback,m,2026-01-01T00:00:00Z,maybe\n"
    [(_, error)] = read(text, "csv")
    assert str(error) == "line 2: automated: must be true or false (got 'maybe')"


def test_csv_quoted_newline_reports_the_physical_line():
    text = (
        'type,model,timestamp,note\nrollback,m,2026-01-01T00:00:00Z,"two\nlines"\n'
        "rollback,n,2026-01-01T00:00:00Z,\n"
    )
    numbers = [n for n, _ in read(text, "csv")]
    assert numbers == [3, 4]


def test_csv_without_type_column_is_refused():
    [(_, error)] = read("model,timestamp\nm,2026-01-01T00:00:00Z\n", "csv")
    assert "no 'type' column" in str(error)


def test_format_detection():
    assert detect_format("events.csv", b"") == "csv"
    assert detect_format("events.jsonl", b"") == "jsonl"
    assert detect_format("-", b'  {"type"') == "jsonl"
    assert detect_format("-", b"type,model") == "csv"
    with pytest.raises(InvalidOption, match="JSON array"):
        detect_format("-", b"[{}]")
