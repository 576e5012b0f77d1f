"""The OpenAPI schema describes what the API accepts, checked by schemathesis (issue 9).

Every operation, every schemathesis check: no 5xx, status codes, content types, headers
and bodies as documented, schema-valid requests accepted and schema-violating ones
rejected, the `Allow` header of a 405 naming every method a path serves, authentication
not ignored. Against the ASGI app on SQLite, with a token that may read and ingest, and
time-bounded: a fixed number of examples per operation, derandomised so that CI runs the
same cases every time.

Two settings are not the defaults, each for a documented answer:
- `413 too_many_events` is how the API rejects an array of more than 10,000 events (the
  schema's `maxItems`): a rejection like 422, so `negative_data_rejection` counts it.
- A webhook body is the sender's own payload format (docs/webhooks.md), which the schema
  documents by reference rather than as a JSON Schema, so `positive_data_acceptance` (a
  schema-valid request must be accepted) is off for `/webhooks/*`; every other check
  runs there too.
- A correction (`void`, `amend`) names its target by id, and a target that is not in the
  log is a located 422 that no schema can foresee: POST /api/v1/events may answer a
  schema-valid body 422 too (the schema still states which fields each type takes).
"""

from __future__ import annotations

import os
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from rollback_rate import Ledger
from rollback_rate.service import Settings, create_app

EXAMPLES = int(os.environ.get("ROLLBACK_RATE_SCHEMATHESIS_EXAMPLES", "40"))
CONFIG = """
[generation]
deterministic = true

[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]

[[operations]]
include-path-regex = "^/webhooks/"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path-regex = "^/api/v1/events$"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = [200, 401, 403, 404, 409, 422, 429]

[auth.openapi.HTTPBearer]
bearer = "{token}"
"""


def _app_and_token(tmp_dir: str) -> tuple[object, str]:
    url = f"sqlite:///{tmp_dir}/schemathesis.db"
    with Ledger(url, group_commit=False) as ledger:
        token = ledger.create_token("schemathesis", ["read", "ingest"])[0]
    app = create_app(Settings(db_url=url, access_log=False, token_cache_seconds=60))
    return app, token


_TMP = tempfile.TemporaryDirectory(prefix="rr-schemathesis-")  # removed at exit
APP, TOKEN = _app_and_token(_TMP.name)
# The token goes by the schema's security scheme, so that a case testing a missing token
# really sends none.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", APP, config=schemathesis.Config.from_str(CONFIG.replace("{token}", TOKEN))
)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_the_api_conforms_to_its_schema(case):
    case.call_and_validate()
