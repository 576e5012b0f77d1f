"""What a dashboard report file carries: the API's answer to every request its script makes.

`rollback-rate report --format html` renders the dashboard's views from the same JSON the
service's `GET /api/v1/...` routes give, so the file and the page show the same numbers.
This module asks the ledger the questions those routes ask, in the order and with the
parameters the script (render/html/static) uses, and keys each answer as the script's
`requestKey` does. A request the file does not carry reads as a 404 there, so its view is
left out, exactly as on a server without that endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollback_rate.aggregation import AuditQuery, ReportQuery, parse_query
from rollback_rate.timeutil import iso_utc, now_micros, parse_timestamp

if TYPE_CHECKING:
    from rollback_rate.ledger.facade import Ledger

DRILL_DAYS = 90  # a drill-down's timeline without since: 90 days up to the model's last event
MAX_DRILL_MODELS = 50  # the most deployed models get a drill-down in the file
EVENTS_PAGE = "1000"
RECENT = "20"
GROUPINGS = ("model", "team", "environment", "model,environment")
_DAY = 86_400_000_000
_SECOND = 1_000_000
_SCOPE = ("model", "team", "environment", "since", "until")
Params = dict[str, str]


@dataclass(frozen=True)
class SnapshotOptions:
    """The report options of the file: its filters, trend period and table grouping."""

    window: str = "7d"
    as_of: str | None = None
    model: str | None = None
    environment: str | None = None
    team: str | None = None
    since: str | None = None
    until: str | None = None
    period: str = "month"
    by: str = "model"


def request_key(path: str, params: Mapping[str, str]) -> str:
    """`[path, [[name, value], ...]]` as compact JSON, names sorted: the script's key."""
    pairs = [[name, str(params[name])] for name in sorted(params) if params[name] not in ("", None)]
    return json.dumps([path, pairs], separators=(",", ":"), ensure_ascii=False)


def dashboard_snapshot(ledger: Ledger, options: SnapshotOptions) -> dict[str, Any]:
    """`{"filters", "drill_models", "documents"}` for `render.html.report_file`."""
    moment = parse_timestamp(options.as_of, "as_of") if options.as_of else now_micros()
    as_of = iso_utc(moment if options.as_of else moment // _SECOND * _SECOND)
    parse_query(window=options.window, as_of=as_of, by=options.by, period=options.period)
    filters: Params = {"window": options.window, "as_of": as_of}
    for name in _SCOPE:
        value = getattr(options, name)
        if value:
            filters[name] = value
    documents: dict[str, Any] = {}
    answer = _Answers(ledger, documents)
    answer.scope(filters, options.period, GROUPINGS)
    by_model = documents[request_key("/api/v1/report", {**filters, "by": "model"})]["groups"]
    ranked = sorted(by_model, key=lambda g: (-g["deployments"], g["key"]["model"]))
    drill = [g["key"]["model"] for g in ranked[:MAX_DRILL_MODELS]]
    for model in drill:
        answer.scope({**filters, "model": model}, options.period, ("environment",))
        answer.drill_down({**filters, "model": model}, moment)
    return {
        "filters": {**filters, "period": options.period, "by": options.by},
        "drill_models": drill,
        "documents": documents,
    }


def _drill_since(overview: list[dict[str, Any]], as_of: int) -> str:
    """The timeline's start without `since`, as the script's `drillRange` computes it: 90
    days before the model's last deployment or rollback (or as_of, if earlier), in whole
    seconds (the script's clock has milliseconds, its ISO text no fraction)."""
    stamps = [
        parse_timestamp(last["at"], "at") // 1000 * 1000
        for entry in overview
        for stream in entry["environments"]
        for last in (stream["last_deployment"], stream["last_rollback"])
        if last
    ]
    end = min(as_of // 1000 * 1000, max(stamps, default=as_of))
    return iso_utc((end - DRILL_DAYS * _DAY) // _SECOND * _SECOND)


class _Answers:
    """Asks the ledger what each route would, and files the answer under its key."""

    def __init__(self, ledger: Ledger, documents: dict[str, Any]) -> None:
        self.ledger, self.documents = ledger, documents

    def _put(self, path: str, params: Params, make: Callable[[], Any]) -> None:
        key = request_key(path, params)
        if key not in self.documents:
            self.documents[key] = make()

    def _query(self, params: Params, **extra: str) -> ReportQuery:
        return parse_query(
            window=params["window"],
            as_of=params["as_of"],
            model=params.get("model"),
            team=params.get("team"),
            environment=params.get("environment"),
            since=params.get("since"),
            until=params.get("until"),
            by=extra.get("by"),
            period=extra.get("period"),
        )

    def _report(self, params: Params, **extra: str) -> None:
        self._put("/api/v1/report", {**params, **extra},
                  lambda: self.ledger.report(self._query(params, **extra)).as_dict())  # fmt: skip

    def scope(self, params: Params, period: str, groupings: tuple[str, ...]) -> None:
        """The report with its trend and its tables, the distribution, recent rollbacks."""
        ledger = self.ledger
        self._report(params, period=period)
        for by in groupings:
            self._report(params, by=by)
        self._put("/api/v1/time-to-rollback", params,
                  lambda: ledger.time_to_rollback(self._query(params)))  # fmt: skip
        self._put("/api/v1/rollbacks", {**params, "limit": RECENT},
                  lambda: ledger.recent_rollbacks(self._query(params), int(RECENT)))  # fmt: skip

    def drill_down(self, params: Params, moment: int) -> None:
        """One model's streams and the first page of its events on the timeline."""
        ledger, model = self.ledger, params["model"]
        models_query = {"model": model, "window": params["window"]}
        self._put("/api/v1/models", models_query, lambda: ledger.models(
            parse_query(window=params["window"], as_of=None, by="model,environment", model=model)
        ))  # fmt: skip
        overview = self.documents[request_key("/api/v1/models", models_query)]["models"]
        since = params.get("since") or _drill_since(overview, moment)
        until = params.get("until") or params["as_of"]
        wanted: Params = {"model": model, "since": since, "until": until, "limit": EVENTS_PAGE}
        if params.get("environment"):
            wanted["environment"] = params["environment"]

        def events() -> dict[str, Any]:
            page = ledger.events(
                AuditQuery(
                    model=model,
                    environment=wanted.get("environment"),
                    since=parse_timestamp(since, "since"),
                    until=parse_timestamp(until, "until"),
                    limit=int(EVENTS_PAGE),
                )
            )
            return {"events": page.events, "next_cursor": page.next_cursor}

        self._put("/api/v1/events", wanted, events)
