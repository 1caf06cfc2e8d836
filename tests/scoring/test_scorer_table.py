"""The scorer tables: the spec's (config, metrics) and scoring's (how to score) stay one set."""

from __future__ import annotations

from evalspec.scoring.scorers import RUNNER_SCORED, SCORE_TABLE
from evalspec.spec import json_schema
from evalspec.spec.scorers import BINARY_SCORERS, SCORER_METRICS, SCORERS


def test_every_scorer_of_the_spec_is_scored_here_or_by_the_runner() -> None:
    assert set(SCORE_TABLE).isdisjoint(RUNNER_SCORED)
    assert set(SCORE_TABLE) | RUNNER_SCORED == set(SCORERS)


def test_metric_lists_and_binary_flags_come_from_the_scorer_classes() -> None:
    assert SCORER_METRICS["gsm8k"] == ("strict-match", "flexible-extract")
    assert SCORER_METRICS["multiple_choice"][0] == "acc"
    assert all(SCORER_METRICS[name] for name in SCORERS)
    assert "code_exec" in BINARY_SCORERS and "judge" not in BINARY_SCORERS


def test_the_json_schema_lists_every_scorer_and_none_of_the_class_constants() -> None:
    text = str(json_schema("spec"))
    assert all(f"'{name}'" in text for name in SCORERS)
    assert "METRICS" not in text and "BINARY" not in text
