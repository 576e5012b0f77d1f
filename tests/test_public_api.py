"""The package root's public API: what `__all__` promises is importable, documented and
stays put; the façade is the one way in."""

import inspect

import rollback_rate

EXPECTED = {
    "AuditPage",
    "AuditQuery",
    "Committed",
    "Database",
    "DatabaseError",
    "DatabaseUnavailable",
    "Delivery",
    "DeploymentChange",
    "EventRecord",
    "ExportQuery",
    "ImportResult",
    "IngestResult",
    "InvalidCursor",
    "InvalidEvent",
    "InvalidInput",
    "InvalidJson",
    "InvalidOption",
    "InvalidPayload",
    "Ledger",
    "NoWebhookSecret",
    "OrphanChange",
    "Problem",
    "ReclassifiedChange",
    "Report",
    "ReportQuery",
    "RollbackChange",
    "RollbackRateError",
    "SignatureMismatch",
    "StreamChange",
    "Summary",
    "TooManyEvents",
    "UnknownSource",
    "__version__",
    "parse_event",
    "parse_query",
}


def test_all_names_exactly_the_public_api():
    assert set(rollback_rate.__all__) == EXPECTED


def test_a_star_import_gives_every_public_name_and_each_is_documented():
    namespace: dict[str, object] = {}
    exec("from rollback_rate import *", namespace)
    assert set(namespace) - {"__builtins__"} == EXPECTED
    undocumented = [
        name
        for name, value in namespace.items()
        if (inspect.isclass(value) or inspect.isfunction(value)) and not inspect.getdoc(value)
    ]
    assert undocumented == []


def test_the_ledger_documents_every_public_method():
    methods = [
        name
        for name, member in inspect.getmembers(rollback_rate.Ledger)
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
    ]
    assert {"record", "record_batch", "record_stream", "import_file", "report", "subscribe"} <= set(
        methods
    )
    assert [
        name for name in methods if not inspect.getdoc(getattr(rollback_rate.Ledger, name))
    ] == []


def test_domain_errors_share_one_base():
    for name in sorted(EXPECTED):
        value = getattr(rollback_rate, name)
        if inspect.isclass(value) and issubclass(value, Exception):
            assert issubclass(value, rollback_rate.RollbackRateError), name
