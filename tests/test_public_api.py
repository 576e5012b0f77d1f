"""The package root's public API: what `__all__` promises is importable and stays put."""

import rollback_rate

EXPECTED = {
    "Database",
    "DatabaseUnavailable",
    "Event",
    "EventRecord",
    "IngestResult",
    "InvalidEvent",
    "InvalidInput",
    "InvalidOption",
    "InvalidPayload",
    "Problem",
    "Report",
    "ReportQuery",
    "RollbackRateError",
    "SignatureMismatch",
    "Summary",
    "UnknownSource",
    "__version__",
    "build_report",
    "open_database",
    "parse_event",
    "parse_query",
    "record_event",
    "record_events",
}


def test_all_names_exactly_the_public_api():
    assert set(rollback_rate.__all__) == EXPECTED


def test_every_public_name_resolves():
    for name in rollback_rate.__all__:
        assert getattr(rollback_rate, name) is not None, name


def test_domain_errors_share_one_base():
    for name in (
        "DatabaseUnavailable",
        "InvalidEvent",
        "InvalidInput",
        "InvalidOption",
        "InvalidPayload",
        "SignatureMismatch",
        "UnknownSource",
    ):
        assert issubclass(getattr(rollback_rate, name), rollback_rate.RollbackRateError)
