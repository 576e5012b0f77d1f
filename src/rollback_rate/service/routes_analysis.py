"""Read-only analyses beyond the report (issue 12): `GET /api/v1/survival`,
`GET /api/v1/history` and `GET /api/v1/testscore`.

Each is the JSON of the CLI command of the same name, from the same parser and the same
ledger method.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from rollback_rate.aggregation import parse_query
from rollback_rate.ledger import Ledger
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ERROR_RESPONSES, ErrorEnvelope
from rollback_rate.service.routes_events import json_response
from rollback_rate.service.schema import BY, NAME, TIMESTAMP, WINDOW, reject_unknown_query
from rollback_rate.service.state import get_ledger
from rollback_rate.timeutil import parse_timestamp

router = APIRouter(
    prefix="/api/v1", tags=["analysis"], dependencies=[Depends(reject_unknown_query)]
)

Window = Annotated[
    str,
    Query(
        description="Observation window after each deployment: 7d, 36h.", json_schema_extra=WINDOW
    ),
]
AsOf = Annotated[
    str | None, Query(description="As of this time (default now).", json_schema_extra=TIMESTAMP)
]
Text = Annotated[str | None, Query(description="Exact name.", json_schema_extra=NAME)]


def _time(description: str) -> Any:
    return Query(description=description, json_schema_extra=TIMESTAMP)


class SurvivalPoint(BaseModel):
    hours: float
    survival: float
    at_risk: int
    events: int
    ci95: list[float] | None


class GroupSurvival(BaseModel):
    deployments: int
    rolled_back: int
    late_rollbacks: int
    censored: int
    late_share: float | None
    window_for_95pct_hours: float | None
    delay_quantiles_hours: dict[str, float | None]
    survival_quantiles_hours: dict[str, float | None]
    curve: list[SurvivalPoint]


class KeyedGroupSurvival(GroupSurvival):
    key: dict[str, Any]


class SurvivalResponse(BaseModel):
    """The JSON of `rollback-rate survival --format json` (see the README)."""

    as_of: str
    window_hours: float
    filters: dict[str, Any]
    overall: GroupSurvival
    groups: list[KeyedGroupSurvival]


@router.get(
    "/survival",
    summary="Time to rollback: Kaplan-Meier curves",
    response_model=SurvivalResponse,
    responses=ERROR_RESPONSES,
)
def get_survival(
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    window: Window = "7d",
    as_of: AsOf = None,
    by: Annotated[
        str | None, Query(description="model, environment and/or team.", json_schema_extra=BY)
    ] = None,
    model: Text = None,
    environment: Text = None,
    team: Text = None,
    since: Annotated[str | None, _time("Deployments at or after.")] = None,
    until: Annotated[str | None, _time("Deployments at or before.")] = None,
) -> Response:
    """A Kaplan-Meier curve of counted deployments per group: a rollback is the event (late
    ones included), every other deployment is censored at `as_of`; with each curve the
    quantiles of time to rollback, the share of rollbacks after the window and the window
    that would have caught 95% of them."""
    query = parse_query(window=window, as_of=as_of, by=by, model=model,
                        environment=environment, team=team, since=since, until=until)  # fmt: skip
    return json_response(ledger.survival(query).as_dict())


class Change(BaseModel):
    id: str
    type: str
    timestamp: str
    version: str | None
    effect: str
    rolled_back: list[str]
    live_after: str | None
    automated: bool | None
    cause: str | None
    actor: str | None
    source: str | None
    note: str | None


class Live(BaseModel):
    version: str
    since: str
    made_live_by: Change
    deployed_by: Change | None


class HistoryResponse(BaseModel):
    """The JSON of `rollback-rate history --format json` (see the README)."""

    model: str
    environment: str
    at: str
    live: Live | None
    before: list[Change]
    after: list[Change]


@router.get(
    "/history",
    summary="What served when",
    response_model=HistoryResponse,
    responses={**ERROR_RESPONSES, 404: {"model": ErrorEnvelope, "description": "Unknown stream"}},
)
def get_history(
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    model: Annotated[str, Query(description="The model.", json_schema_extra=NAME)],
    environment: Annotated[
        str, Query(description="Its environment.", json_schema_extra=NAME)
    ] = "production",
    at: Annotated[str | None, _time("The moment (default now).")] = None,
    context: Annotated[int, Query(ge=0, le=100, description="Changes either side.")] = 3,
) -> Response:
    """The version live on (model, environment) at `at`, since when, the event that made it
    live (id, source, actor, note) and the changes just before and after, replayed from
    the log with the stack rules and its corrections."""
    moment = parse_timestamp(at, "at") if at is not None else None
    return json_response(ledger.history(model, environment, moment, context=context).as_dict())


class EvidenceEvent(BaseModel):
    id: str
    kind: str
    timestamp: str
    automated: bool


class TestResult(BaseModel):
    score: float
    title: str
    evidence: dict[str, int]
    events: list[EvidenceEvent]


class ModelScore(BaseModel):
    model: str
    infra_6: TestResult
    infra_7: TestResult


class TestScoreResponse(BaseModel):
    """The JSON of `rollback-rate testscore --format json` (see the README)."""

    as_of: str
    filters: dict[str, Any]
    tests: dict[str, str]
    models: list[ModelScore]


@router.get(
    "/testscore",
    summary="ML Test Score Infra 6 and Infra 7 per model",
    response_model=TestScoreResponse,
    responses=ERROR_RESPONSES,
)
def get_testscore(
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    as_of: AsOf = None,
    model: Text = None,
    environment: Text = None,
    since: Annotated[str | None, _time("Evidence at or after.")] = None,
    until: Annotated[str | None, _time("Evidence at or before.")] = None,
) -> Response:
    """Per model, Infra 6 (canary before serving) and Infra 7 (roll back quickly and
    safely) of the ML Test Score: 0 not seen, 0.5 seen but manual, 1 automated, with the
    counts and the latest events the score rests on."""
    query = parse_query(window="7d", as_of=as_of, model=model, environment=environment,
                        since=since, until=until)  # fmt: skip
    return json_response(ledger.testscore(query).as_dict())
