"""The exact_match scorer and score_outputs' dispatch for the text scorers."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalspec.data import Sample, load_dataset
from evalspec.scoring import score_outputs
from evalspec.scoring.exact import exact_match_score
from evalspec.spec.models import DatasetSpec
from evalspec.spec.scorers import ExactMatchScorer, NumericScorer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_default_options_ignore_surrounding_space_and_case() -> None:
    score = exact_match_score("  Paris\n", "paris", strip=True, ignore_case=True)
    assert (score.value, score.extracted) == (1.0, "paris")


def test_strict_options_require_identical_text() -> None:
    assert exact_match_score(" Paris", "Paris", strip=False, ignore_case=False).value == 0.0
    assert exact_match_score("paris", "Paris", strip=True, ignore_case=False).value == 0.0
    score = exact_match_score("Paris", "Paris", strip=False, ignore_case=False)
    assert (score.value, score.extracted) == (1.0, "Paris")


def test_mismatch_reports_expected_and_normalised_output() -> None:
    score = exact_match_score(" Rome ", "Paris", strip=True, ignore_case=True)
    assert (score.value, score.extracted, score.detail) == (0.0, "rome", "expected 'paris'")


def test_score_outputs_exact_match_on_the_arith_fixture() -> None:
    ds = load_dataset(DatasetSpec(format="jsonl", source="arith_mini.jsonl"), FIXTURES)
    outputs = ["5", " 6\n", "41", "4.5", "THREE"]
    scores = score_outputs(ExactMatchScorer(type="exact_match"), ds.samples, outputs)
    assert [s.value for s in scores] == [1.0, 1.0, 0.0, 1.0, 1.0]


def test_score_outputs_numeric_on_the_gsm8k_fixture() -> None:
    ds = load_dataset(DatasetSpec(format="gsm8k", source="gsm8k_mini.jsonl"), FIXTURES)
    outputs = [
        "She spends $14.",
        "The farm has 29 chickens.",
        "#### 1,200",
        "The answer is -5 degrees.",
        "He runs 16 km.",
    ]
    scores = score_outputs(NumericScorer(type="numeric"), ds.samples, outputs)
    assert [s.value for s in scores] == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_score_outputs_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="1 samples but 2 outputs"):
        score_outputs(ExactMatchScorer(type="exact_match"), [Sample("a", "p", "t")], ["x", "y"])
