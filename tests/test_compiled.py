"""The compiled core and its source are one program (issue 14).

`scripts/test` runs the suite on the compiled build, then the tests of the compiled
modules again from source (`ROLLBACK_RATE_PURE_PYTHON=1`). Here the two builds meet:
random inputs go through this process's build and, in a child process, through the
source, and must come out the same - per line for the decoder, and as every stored row
for whole imports through the log, the stack rules and the projection.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollback_rate.compiled import MODULES, PURE_ENV, compiled_modules, pure_requested
from rollback_rate.events.fast import fast_record
from rollback_rate.timeutil import iso_utc
from tests.events.test_fast import lines
from tests.ledger.test_correction_properties import histories

EXPECT_ENV = "ROLLBACK_RATE_EXPECT_COMPILED"  # scripts/test: the build must be compiled
COMPILED = compiled_modules()
ROOT = Path(__file__).resolve().parents[1]
both_builds = pytest.mark.skipif(
    not COMPILED, reason="this build runs every module from source: no second build here"
)
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # each example starts Python twice


def _source_env() -> dict[str, str]:
    return {**os.environ, PURE_ENV: "1"}


def test_the_build_under_test_is_the_one_asked_for():
    loaded = {name: importlib.import_module(f"rollback_rate.{name}") for name in MODULES}
    from_source = sorted(name for name, module in loaded.items() if module.__file__.endswith(".py"))
    if pure_requested():
        assert from_source == sorted(MODULES)
    elif os.environ.get(EXPECT_ENV):
        assert from_source == [], f"{EXPECT_ENV} is set but these run from source"
        assert list(MODULES) == COMPILED


def test_the_switch_to_source_reaches_a_fresh_process():
    code = "import rollback_rate.events.fast as m; print(m.__file__)"
    printed = subprocess.run(
        [sys.executable, "-c", code], env=_source_env(), capture_output=True, text=True, check=True
    ).stdout
    assert printed.strip().endswith("fast.py")


_DECODE_FROM_SOURCE = """
import base64, json, sys
from rollback_rate.events.fast import fast_record
from rollback_rate.timeutil import iso_utc
lines = [base64.b64decode(text) for text in json.load(sys.stdin)]
print(json.dumps([None if (r := fast_record(line)) is None else list(r) for line in lines]))
"""


@both_builds
@SLOW
@given(batch=st.lists(lines(), min_size=20, max_size=200))
def test_the_compiled_decoder_agrees_with_its_source(batch: list[bytes]):
    sent = json.dumps([base64.b64encode(line).decode() for line in batch])
    printed = subprocess.run(
        [sys.executable, "-c", _DECODE_FROM_SOURCE],
        input=sent, env=_source_env(), capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    here = [None if (r := fast_record(line)) is None else list(r) for line in batch]
    assert json.loads(printed) == json.loads(json.dumps(here))


def _import(events_file: Path, db: Path, *, source: bool) -> None:
    env = _source_env() if source else {k: v for k, v in os.environ.items() if k != PURE_ENV}
    subprocess.run(
        [sys.executable, "-m", "rollback_rate", "--db", str(db), "import", str(events_file)],
        env=env, capture_output=True, check=True, cwd=ROOT,
    )  # fmt: skip


def _stored(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the log and the projection (not the wall-clock `recorded_at`)."""
    with sqlite3.connect(db) as conn:
        tables = {
            "events": "seq, event_id, stream_id, type, version, ts, automated, cause, team, "
            "note, attributes, target, artifact, digest, drill, stage, unplanned, actor",
            "streams": "*",
            "stream_stacks": "*",
            "deployments": "*",
            "deployment_counts": "*",
            "orphan_rollbacks": "*",
        }
        return {
            name: sorted(conn.execute(f"SELECT {columns} FROM {name}").fetchall(), key=repr)
            for name, columns in tables.items()
        }


def _both_ways(events: list[dict[str, Any]], folder: Path) -> None:
    path = folder / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
    compiled, source = folder / "compiled.db", folder / "source.db"
    for db in (compiled, source):
        db.unlink(missing_ok=True)
    _import(path, compiled, source=False)
    _import(path, source, source=True)
    stored = _stored(compiled)
    assert stored["events"], "nothing was stored: the comparison would prove nothing"
    assert stored == _stored(source)


@both_builds
@SLOW
@given(history=histories())
def test_a_compiled_import_stores_what_the_source_stores(
    history: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
):
    _both_ways(history, tmp_path_factory.mktemp("history"))


@both_builds
def test_a_bulk_import_of_many_streams_stores_the_same_rows(tmp_path: Path):
    # Several chunks (the bulk path, the state budget, 40 streams interleaved), with
    # redeploys, inferred and named rollbacks, failed rollbacks and duplicates.
    events: list[dict[str, Any]] = []
    minute = 60_000_000
    for i in range(12_000):
        stream = (i * 7919) % 40
        base = {"model": f"m{stream // 2}", "environment": ("staging", "production")[stream % 2]}
        at = {"timestamp": iso_utc(1_767_225_600_000_000 + i * minute)}
        kind = i % 13
        if kind == 5:
            events.append({"type": "rollback", **base, **at, "automated": i % 2 == 0,
                           "cause": "latency"})  # fmt: skip
        elif kind == 9:
            events.append({"type": "rollback_failed", **base, **at})
        else:
            version = f"v{(i // 40) % 6 if kind == 3 else i // 40}"
            events.append({"type": "deployment", **base, **at, "version": version,
                           "team": f"t{stream % 3}", "id": f"d{i % 11_000}"})  # fmt: skip
    _both_ways(events, tmp_path)


_BETA_FROM_SOURCE = """
import json, sys
from rollback_rate.metrics.betadist import beta_cdf, beta_quantile
print(json.dumps([[beta_quantile(q, a, b), beta_cdf(q, a, b)] for q, a, b in json.load(sys.stdin)]))
"""


@both_builds
@SLOW
@given(
    cases=st.lists(
        st.tuples(
            st.floats(0, 1),
            st.floats(1e-3, 2e4, allow_nan=False),
            st.floats(1e-3, 2e4, allow_nan=False),
        ),
        min_size=20,
        max_size=200,
    )
)
def test_the_compiled_beta_distribution_agrees_with_its_source(
    cases: list[tuple[float, float, float]],
):
    # A report's credible intervals: quantiles and the CDF they invert, bit for bit.
    from rollback_rate.metrics.betadist import beta_cdf, beta_quantile

    printed = subprocess.run(
        [sys.executable, "-c", _BETA_FROM_SOURCE],
        input=json.dumps(cases), env=_source_env(), capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    here = [[beta_quantile(q, a, b), beta_cdf(q, a, b)] for q, a, b in cases]
    assert json.loads(printed) == json.loads(json.dumps(here))
