"""The root-cause taxonomy: shipped entries, config overrides, unknown slugs, near misses."""

import tomllib
from pathlib import Path

import pytest

from rollback_rate.metrics.taxonomy import (
    CATEGORIES,
    CauseOverride,
    load_taxonomy,
    nearest_cause,
    shipped_entries,
)

# The cause slugs of README "The event format", plus the one a missing cause becomes.
README_CAUSES = {
    "data_schema_change",
    "performance_regression",
    "edge_case_regression",
    "data_drift",
    "latency",
    "unexpected_behaviour",
    "safety",
    "downstream_failure",
    "dependency_change",
    "staging_mismatch",
    "infrastructure",
    "other",
    "unspecified",
}


def test_every_documented_cause_ships_with_a_category_investment_and_why():
    entries = shipped_entries()
    assert set(entries) == README_CAUSES
    for cause, entry in entries.items():
        assert entry.cause == cause
        assert entry.category in CATEGORIES
        assert entry.investment and entry.why.endswith(".")
        assert entry.known


@pytest.mark.parametrize(
    ("cause", "category", "investment"),
    [
        ("data_schema_change", "data", "schema validation gate and data contracts"),
        ("edge_case_regression", "model", "evaluation dataset coverage and sliced evaluation"),
        ("performance_regression", "model", "evaluation dataset coverage and sliced evaluation"),
        (
            "staging_mismatch",
            "process",
            "staging fidelity (production-like data and traffic, shadow deployment)",
        ),
        (
            "data_drift",
            "data",
            "evaluation data refreshed from production, drift checks before promotion",
        ),
        ("dependency_change", "data", "dependency tracking and contract tests with consumers"),
        ("downstream_failure", "serving", "dependency tracking and contract tests with consumers"),
        ("latency", "serving", "load tests before promotion"),
        ("safety", "model", "behaviour and safety evaluation gates, canary analysis"),
        ("unexpected_behaviour", "model", "behaviour and safety evaluation gates, canary analysis"),
        ("infrastructure", "serving", "serving infrastructure"),
        ("other", "process", "post-rollback reviews that name a specific cause"),
        ("unspecified", "process", "record causes on every rollback"),
    ],
)
def test_shipped_cause_points_at_its_investment(cause, category, investment):
    entry = load_taxonomy().entry(cause)
    assert (entry.category, entry.investment) == (category, investment)


def test_sculley_is_cited_for_dependencies_and_consumers():
    entries = shipped_entries()
    assert "unstable data dependencies" in entries["dependency_change"].why
    assert "undeclared consumers" in entries["downstream_failure"].why
    assert "Sculley et al. (2015)" in entries["downstream_failure"].why


def test_unspecified_says_its_share_is_a_finding():
    assert "a high unspecified share is itself a finding" in shipped_entries()["unspecified"].why


def test_a_slug_outside_the_taxonomy_gets_a_generic_entry_saying_where_to_add_it():
    entry = load_taxonomy().entry("gpu_oom")
    assert entry.known is False
    assert entry.category == "unclassified"
    assert entry.investment == "classify this cause in the taxonomy"
    assert entry.why == (
        "Cause 'gpu_oom' is not in the taxonomy, so it points at no investment yet; "
        "add it under [taxonomy.gpu_oom] in the config file with a category "
        "(data, model, serving, process), an investment and a why."
    )


def test_an_override_replaces_only_the_keys_it_sets():
    taxonomy = load_taxonomy([CauseOverride("latency", investment="a latency budget in CI")])
    entry = taxonomy.entry("latency")
    assert entry.investment == "a latency budget in CI"
    assert entry.category == "serving"
    assert entry.why == shipped_entries()["latency"].why
    # The shipped entries are not changed by a merge.
    assert load_taxonomy().entry("latency").investment == "load tests before promotion"


def test_a_new_slug_is_added_with_every_key():
    taxonomy = load_taxonomy(
        [CauseOverride("gpu_oom", category="serving", investment="capacity tests", why="OOM.")]
    )
    entry = taxonomy.entry("gpu_oom")
    assert (entry.category, entry.investment, entry.why, entry.known) == (
        "serving",
        "capacity tests",
        "OOM.",
        True,
    )
    assert "gpu_oom" in taxonomy.causes()
    assert len(taxonomy.causes()) == len(README_CAUSES) + 1


def test_a_new_slug_without_every_key_is_a_programming_error():
    with pytest.raises(ValueError, match="'gpu_oom' is new and must set category"):
        load_taxonomy([CauseOverride("gpu_oom", category="serving")])


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("data_shema_change", "data_schema_change"),
        ("latencyy", "latency"),
        ("unexpected_behavior", "unexpected_behaviour"),
        ("safety", "safety"),
        ("kernel_panic", None),
    ],
)
def test_nearest_cause_suggests_a_shipped_slug(slug, expected):
    assert nearest_cause(slug) == expected


def test_nearest_cause_searches_the_given_slugs_and_the_merged_taxonomy():
    assert nearest_cause("gpu_om", ["gpu_oom", "latency"]) == "gpu_oom"
    taxonomy = load_taxonomy([CauseOverride("gpu_oom", "serving", "capacity tests", "OOM.")])
    assert taxonomy.nearest("gpu_om") == "gpu_oom"
    assert load_taxonomy().nearest("gpu_om") is None


def test_the_taxonomy_file_is_package_data():
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text("utf-8"))
    assert "metrics/taxonomy.toml" in data["tool"]["setuptools"]["package-data"]["rollback_rate"]
