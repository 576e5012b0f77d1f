"""deploy/grafana/rollback-rate.json asks only for metrics and labels the service exports,
read from a real /metrics exposition."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers import deploy, load, rollback
from tests.service.helpers import Tokens

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "rollback-rate.json"
PROMQL = {"sum", "min", "by", "on", "rate", "increase", "histogram_quantile", "label_values"}
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ")


def _exported(client, tokens) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", headers=Tokens.header(tokens.read))
    assert response.status_code == 200
    names, labels = set(), set()
    for line in response.text.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            names.add(match.group(1))
            labels |= set(re.findall(r'([a-zA-Z_]+)="', match.group(2) or ""))
    return names, labels


def _queries(dashboard: dict) -> list[str]:  # type: ignore[type-arg]
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    queries += [v["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return queries


def test_every_query_names_exported_metrics_and_labels_only(client, tokens, db):
    load(db, [deploy("m", "1", "2026-01-01T00:00:00Z"), deploy("m", "2", "2026-01-02T00:00:00Z"),
              rollback("m", "2026-01-02T01:00:00Z", automated=True)])  # fmt: skip
    client.get("/api/v1/report", headers=Tokens.header(tokens.read))  # an HTTP series too
    names, labels = _exported(client, tokens)
    assert {"rollback_rate_settled_rate_percent", "rollback_rate_rollbacks_total",
            "rollback_rate_http_request_duration_seconds_bucket"} <= names  # fmt: skip
    dashboard = json.loads(DASHBOARD.read_text())
    queries = _queries(dashboard)
    assert len(queries) >= 10
    used: set[str] = set()
    for query in queries:
        bare = re.sub(r'"[^"]*"', '""', query)  # label values
        bare = re.sub(r"\$\w+|\[[^\]]*\]|\b\d+(\.\d+)?\b", "", bare)  # variables, ranges
        words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare))
        metrics = {w for w in words if w.startswith("rollback_rate_")}
        assert metrics, query
        assert metrics <= names, (query, metrics - names)
        assert words - metrics <= PROMQL | labels, (query, words - metrics - PROMQL - labels)
        used |= metrics
    # Every domain metric the service exports has a panel.
    domain = {n for n in names if n.startswith("rollback_rate_") and "_http_" not in n}
    assert domain <= used, domain - used


def test_the_dashboard_is_importable_json_with_unique_panel_ids():
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and dashboard["uid"] == "rollback-rate"
    assert all(p["datasource"]["uid"] == "${datasource}" for p in dashboard["panels"])
