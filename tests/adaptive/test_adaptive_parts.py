"""The adaptive run's parts: budgets in units, settings from the spec or the command line,
baselines of before adaptive gating, the account in the JSON report."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalspec.adaptive import force_adaptive
from evalspec.adaptive.settings import adaptive_settings
from evalspec.adaptive.tracks import _budget
from evalspec.errors import SpecError
from evalspec.gate import GateResult, baseline_text, read_baseline
from evalspec.gate.adaptive import AdaptiveAccount, AdaptiveRule, AdaptiveUnit
from evalspec.gate.sequential import Target
from evalspec.report import render_markdown
from evalspec.spec import load_spec

REPO = Path(__file__).resolve().parents[2]


def test_a_budget_in_samples_holds_whole_clusters() -> None:
    order = [("a", "b"), ("c",), ("d", "e", "f"), ("g",)]
    assert _budget(order, None) == 4
    assert _budget(order, 3) == 2  # a, b, c: the next cluster would pass 3 samples
    assert _budget(order, 5) == 2
    assert _budget(order, 6) == 3
    assert _budget(order, 1) == 1  # at least one unit, even a cluster larger than the budget
    assert _budget(order, 100) == 4


def test_baselines_of_before_adaptive_gating_read_and_write_back_unchanged() -> None:
    path = REPO / "baselines" / "smoke.json"
    baseline = read_baseline(path, "smoke")

    assert baseline is not None
    assert all(unit.order is None for unit in baseline.units.values())
    assert baseline_text(baseline) == path.read_text()


def test_check_adaptive_keeps_the_spec_seed_and_limit_and_takes_the_defaults() -> None:
    loaded = load_spec(REPO / "specs" / "smoke.yaml")
    assert adaptive_settings(loaded) is None

    forced = force_adaptive(loaded)
    settings = adaptive_settings(forced)
    assert settings is not None
    assert (settings.max_samples, settings.first_look, settings.every) == (None, 64, None)
    assert settings.target is Target.POPULATION and settings.sequential_share == 0.8
    assert forced.spec.samples.seed == loaded.spec.samples.seed
    assert forced.spec.samples.limit == loaded.spec.samples.limit == 40
    assert forced.spec.tasks == loaded.spec.tasks and forced.digest == loaded.digest


def test_a_spec_in_mode_adaptive_keeps_its_settings(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "version: 1\nname: s\nmodels: [{id: m, source: org/model}]\n"
        "tasks: [{id: t, dataset: {format: jsonl, source: d.jsonl}, scorer: {type: exact_match}}]\n"
        "samples: {mode: adaptive, max: 500, first_look: 32, every: 8, target: benchmark, "
        "sequential_share: 0.5}\n"
    )
    loaded = load_spec(spec)
    assert force_adaptive(loaded) is loaded
    settings = adaptive_settings(loaded)
    assert settings is not None
    assert (settings.max_samples, settings.first_look, settings.every) == (500, 32, 8)
    assert settings.target is Target.BENCHMARK and settings.sequential_share == 0.5


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        ("{mode: adaptive, max: 0}", "samples.max"),
        ("{mode: adaptive, every: sometimes}", "samples.every"),
        ("{mode: adaptive, sequential_share: 1.5}", "samples.sequential_share"),
        (
            "{mode: standard, first_look: 16}",
            "first_look: only for mode adaptive (this spec's mode is standard)",
        ),
    ],
)
def test_bad_adaptive_settings_are_one_line_naming_the_field(
    tmp_path: Path, samples: str, message: str
) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "version: 1\nname: s\nmodels: [{id: m, source: org/model}]\n"
        "tasks: [{id: t, dataset: {format: jsonl, source: d.jsonl}, scorer: {type: exact_match}}]\n"
        f"samples: {samples}\n"
    )
    with pytest.raises(SpecError) as error:
        load_spec(spec)
    text = str(error.value)
    assert text.startswith(f"{spec}:5:") and message in text and "\n" not in text


def test_the_account_survives_the_json_report_and_says_what_was_saved() -> None:
    account = AdaptiveAccount(
        rules=[
            AdaptiveRule(
                "smol/arith", "accuracy", 0.05, "PASS", 320, 1319, "samples", -0.04, 0.03,
                0.96, "sequential-betting",
                "decided PASS after 320 of 1319 samples: anytime-valid evidence of a drop of "
                "less than 0.05 (max_drop): e-value 51.2, threshold 50",
            )
        ],
        units=[AdaptiveUnit("smol/arith", 320, 1319, 300, 20, 6, "every rule decided")],
    )  # fmt: skip
    result = GateResult(rows=[], adaptive=account)
    again = GateResult.from_dict(result.to_dict())

    assert again.adaptive == account
    assert result.to_dict()["adaptive"]["saved"] == pytest.approx(1 - 320 / 1319, abs=1e-4)
    markdown = render_markdown(again, spec_name="s", run_id="r", baseline_run_id="b")
    assert "320 of 1319 samples of the budget used (24%): **76% of the compute saved**" in markdown
    assert "300 outputs generated, 20 reused from the response cache" in markdown
    assert "| smol/arith | accuracy | 0.05 | 320 / 1319 samples | [-0.040, +0.030] (96%" in markdown
    assert "✅ decided PASS: anytime-valid evidence" in markdown
