"""From a unit's Scores to per-sample values, its UnitResult and its records (no engine)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from evalspec.data.types import Sample
from evalspec.engines.base import Completion, Prompt
from evalspec.plan.models import Unit
from evalspec.runner.outcomes import (
    Attempts,
    per_sample_value,
    records,
    score_unit,
    unit_result,
)
from evalspec.scoring.multiple_choice import choice_score
from evalspec.scoring.results import Score
from evalspec.spec.models import ModelSpec, TaskSpec

FINGERPRINT = {"engine": "stand-in", "version": "0"}


def _task(**fields: Any) -> TaskSpec:
    return TaskSpec.model_validate(
        {"id": "t", "dataset": {"format": "jsonl", "source": "data.jsonl"}, **fields}
    )


def _unit(task: TaskSpec, samples: Sequence[Sample], **fields: Any) -> Unit:
    prompts: tuple[Prompt, ...] = fields.pop(
        "prompts", tuple([{"role": "user", "content": s.prompt}] for s in samples)
    )
    return Unit(
        unit_id="m/t",
        hash="abc123",
        model=ModelSpec.model_validate({"id": "m", "source": "some/model"}),
        adapter=None,
        task=task,
        samples=tuple(samples),
        prompts=prompts,
        dataset_size=len(samples),
        identity={},
        **fields,
    )


def _completion(text: str, prompt_tokens: int = 3, completion_tokens: int = 2) -> Completion:
    return Completion(
        text=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        finish_reason="stop",
        latency_s=0.25,
    )


def _pass_at_k(n: int, c: int, k: int) -> float:
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _clt(values: Sequence[float]) -> float:
    n = len(values)
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)


def _clustered(values: Sequence[float], clusters: Sequence[str]) -> float:
    n = len(values)
    mean = sum(values) / n
    sums: dict[str, float] = {}
    for value, cluster in zip(values, clusters, strict=True):
        sums[cluster] = sums.get(cluster, 0.0) + value - mean
    g = len(sums)
    return math.sqrt(g / (g - 1) * sum(s * s for s in sums.values())) / n


EXCLUDED = Score(0.0, detail="no rating", excluded=True)


# -------------------------------------------------------------------- per_sample_value


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_pass_at_k_over_the_attempts(k: int) -> None:
    attempts = [Score(1.0), Score(0.0), Score(1.0), Score(0.0), Score(0.0)]
    assert per_sample_value(f"pass@{k}", attempts) == pytest.approx(_pass_at_k(5, 2, k))


def test_pass_at_k_counts_only_full_passes() -> None:
    # a value short of 1.0 is not a pass
    attempts = [Score(0.99), Score(1.0), Score(0.5)]
    assert per_sample_value("pass@1", attempts) == pytest.approx(1 / 3)


def test_pass_at_k_ignores_excluded_attempts() -> None:
    attempts = [Score(1.0), EXCLUDED, Score(0.0), Score(1.0, excluded=True)]
    # two scored attempts, one passed
    assert per_sample_value("pass@1", attempts) == pytest.approx(0.5)
    assert per_sample_value("pass@2", attempts) == 1.0


def test_pass_at_k_with_fewer_scored_attempts_than_k_has_no_value() -> None:
    attempts = [Score(1.0), EXCLUDED, EXCLUDED]
    assert per_sample_value("pass@2", attempts) is None
    assert per_sample_value("pass@1", attempts) == 1.0


def test_other_metrics_are_the_mean_over_attempts() -> None:
    attempts = [Score(1.0), Score(0.0), Score(1.0), Score(0.5)]
    assert per_sample_value("exact_match", attempts) == pytest.approx(0.625)


def test_mean_ignores_excluded_attempts() -> None:
    attempts = [Score(8.0), Score(0.0, excluded=True), Score(6.0)]
    assert per_sample_value("judge_score", attempts) == pytest.approx(7.0)


def test_all_attempts_excluded_has_no_value() -> None:
    assert per_sample_value("judge_score", [EXCLUDED, EXCLUDED]) is None
    assert per_sample_value("pass@1", [EXCLUDED]) is None


def test_metric_values_come_from_score_values() -> None:
    attempts = [
        Score(0.5, values={"field_match": 0.5, "json_valid": 1.0, "exact_match": 0.0}),
        Score(1.0, values={"field_match": 1.0, "json_valid": 1.0, "exact_match": 1.0}),
    ]
    assert per_sample_value("field_match", attempts) == pytest.approx(0.75)
    assert per_sample_value("json_valid", attempts) == 1.0
    assert per_sample_value("exact_match", attempts) == pytest.approx(0.5)


def test_a_metric_missing_from_values_is_not_counted() -> None:
    # json without a schema leaves schema_valid out: no value, not a 0 (nor the primary)
    no_schema = [Score(0.5, values={"field_match": 0.5, "json_valid": 1.0})]
    assert per_sample_value("schema_valid", no_schema) is None
    # attempts that report it count; those that do not are skipped
    mixed = [
        Score(1.0, values={"json_valid": 1.0, "schema_valid": 1.0}),
        Score(1.0, values={"json_valid": 1.0}),
        Score(0.0, values={"json_valid": 0.0, "schema_valid": 0.0}),
    ]
    assert per_sample_value("schema_valid", mixed) == pytest.approx(0.5)


# ------------------------------------------------------------------------- unit_result


def _json_samples() -> list[Sample]:
    return [
        Sample(id="s1", prompt="p1", tags={"domain": "a"}, cluster="doc1"),
        Sample(id="s2", prompt="p2", tags={"domain": "a"}, cluster="doc1"),
        Sample(id="s3", prompt="p3", tags={"domain": "b"}, cluster="doc2"),
        Sample(id="s4", prompt="p4", tags={"domain": "b"}),
    ]


def _json_score(field_match: float, exact: float) -> Score:
    valid = 1.0 if field_match > 0 else 0.0
    return Score(
        field_match, values={"field_match": field_match, "json_valid": valid, "exact_match": exact}
    )


def test_unit_result_metrics_outcomes_and_clusters() -> None:
    task = _task(scorer={"type": "json"}, metrics=["json_valid", "field_match", "exact_match"])
    samples = _json_samples()
    unit = _unit(task, samples)
    attempts: Attempts = [
        [_json_score(1.0, 1.0)],
        [_json_score(0.5, 0.0)],
        [_json_score(0.0, 0.0)],
        [_json_score(1.0, 1.0)],
    ]
    result = unit_result(unit, attempts, FINGERPRINT)
    assert result.error is None
    assert (result.unit_id, result.unit_hash, result.model, result.adapter, result.task) == (
        "m/t",
        "abc123",
        "m",
        None,
        "t",
    )
    assert result.fingerprint == FINGERPRINT
    assert list(result.metrics) == ["json_valid", "field_match", "exact_match"]
    clusters = ["doc1", "doc1", "doc2", "__s4"]  # s4 has no cluster: its own group
    for name, values in {
        "json_valid": [1.0, 1.0, 0.0, 1.0],
        "field_match": [1.0, 0.5, 0.0, 1.0],
        "exact_match": [1.0, 0.0, 0.0, 1.0],
    }.items():
        metric = result.metrics[name]
        assert metric.value == pytest.approx(sum(values) / 4)
        assert metric.n == 4
        assert metric.stderr == pytest.approx(_clustered(values, clusters)), name
    # outcomes: the first metric's per-sample values
    assert result.outcomes == {"s1": 1.0, "s2": 1.0, "s3": 0.0, "s4": 1.0}
    assert result.clusters == {"s1": "doc1", "s2": "doc1", "s3": "doc2"}
    assert result.notes == []


def test_metric_outcomes_only_for_metrics_differing_from_the_first() -> None:
    task = _task(scorer={"type": "json"}, metrics=["field_match", "json_valid", "exact_match"])
    samples = [Sample(id=f"s{i}", prompt="p") for i in range(3)]
    unit = _unit(task, samples)
    # json_valid equals field_match on every sample; exact_match does not
    attempts: Attempts = [[_json_score(1.0, 1.0)], [_json_score(0.0, 0.0)], [_json_score(1.0, 0.0)]]
    result = unit_result(unit, attempts, FINGERPRINT)
    assert result.outcomes == {"s0": 1.0, "s1": 0.0, "s2": 1.0}
    assert result.metric_outcomes == {"exact_match": {"s0": 1.0, "s1": 0.0, "s2": 0.0}}
    assert result.outcomes_for("json_valid") == result.outcomes
    assert result.outcomes_for("exact_match") == {"s0": 1.0, "s1": 0.0, "s2": 0.0}
    # independent samples: the CLT standard error
    assert result.metrics["exact_match"].stderr == pytest.approx(_clt([1.0, 0.0, 0.0]))


def test_pass_at_k_metrics_over_n_attempts() -> None:
    task = _task(
        scorer={"type": "exact_match"},
        metrics=["pass@1", "pass@3"],
        generation={"n": 4, "temperature": 0.7},
    )
    samples = [Sample(id="a", prompt="p"), Sample(id="b", prompt="p"), Sample(id="c", prompt="p")]
    unit = _unit(task, samples)
    passes = {"a": [1, 0, 0, 0], "b": [1, 1, 0, 1], "c": [0, 0, 0, 0]}
    attempts: Attempts = [[Score(float(v)) for v in passes[s.id]] for s in samples]
    result = unit_result(unit, attempts, FINGERPRINT)
    p1 = {sid: _pass_at_k(4, sum(v), 1) for sid, v in passes.items()}
    p3 = {sid: _pass_at_k(4, sum(v), 3) for sid, v in passes.items()}
    assert result.outcomes == pytest.approx(p1)
    assert result.metric_outcomes["pass@3"] == pytest.approx(p3)
    assert result.metrics["pass@1"].value == pytest.approx(sum(p1.values()) / 3)
    assert result.metrics["pass@3"].value == pytest.approx(sum(p3.values()) / 3)
    assert result.metrics["pass@3"].stderr == pytest.approx(_clt(list(p3.values())))


def test_slices_from_sample_tags() -> None:
    task = _task(scorer={"type": "json"}, metrics=["field_match", "exact_match"])
    samples = _json_samples()
    unit = _unit(task, samples)
    attempts: Attempts = [
        [_json_score(1.0, 1.0)],
        [_json_score(0.5, 0.0)],
        [_json_score(0.0, 0.0)],
        [_json_score(1.0, 1.0)],
    ]
    result = unit_result(unit, attempts, FINGERPRINT)
    assert list(result.slices) == ["domain=a", "domain=b"]
    a, b = result.slices["domain=a"], result.slices["domain=b"]
    assert a["field_match"].value == pytest.approx(0.75)
    assert a["field_match"].n == 2
    assert a["exact_match"].value == pytest.approx(0.5)
    assert a["field_match"].stderr == 0.0  # s1, s2 share cluster doc1: a single group
    assert b["field_match"].value == pytest.approx(0.5)
    assert b["field_match"].stderr == pytest.approx(_clustered([0.0, 1.0], ["doc2", "own"]))


def test_excluded_outputs_leave_a_note_and_are_left_out() -> None:
    task = _task(
        scorer={"type": "exact_match"},
        metrics=["exact_match"],
        generation={"n": 2, "temperature": 0.5},
    )
    samples = [Sample(id="a", prompt="p"), Sample(id="b", prompt="p"), Sample(id="c", prompt="p")]
    unit = _unit(task, samples)
    attempts: Attempts = [
        [Score(1.0), EXCLUDED],
        [EXCLUDED, EXCLUDED],  # no value at all: left out of the metric
        [Score(0.0), Score(1.0)],
    ]
    result = unit_result(unit, attempts, FINGERPRINT)
    assert result.error is None
    assert result.outcomes == {"a": 1.0, "c": 0.5}
    assert result.metrics["exact_match"].n == 2
    assert result.metrics["exact_match"].value == pytest.approx(0.75)
    assert result.notes == ["3 of 6 outputs could not be scored and were left out"]


def test_no_sample_with_a_value_is_an_error_result() -> None:
    task = _task(scorer={"type": "exact_match"})
    unit = _unit(task, [Sample(id="a", prompt="p"), Sample(id="b", prompt="p")])
    result = unit_result(unit, [[EXCLUDED], [EXCLUDED]], FINGERPRINT)
    assert result.error is not None
    assert "no sample has a value for exact_match" in result.error
    assert "2 of 2 outputs could not be scored" in result.error
    assert result.metrics == {}
    assert result.outcomes == {}
    assert (result.unit_id, result.model, result.task) == ("m/t", "m", "t")


def test_a_metric_no_sample_reports_is_left_out_with_a_note() -> None:
    # schema_valid asked for, but no sample had a schema: the scorer never reported it;
    # the unit's other metrics still count
    task = _task(scorer={"type": "json"}, metrics=["json_valid", "schema_valid"])
    unit = _unit(task, [Sample(id="a", prompt="p")])
    result = unit_result(unit, [[_json_score(1.0, 1.0)]], FINGERPRINT)
    assert result.error is None
    assert list(result.metrics) == ["json_valid"]
    assert result.notes == ["schema_valid: no sample has a value for it (not reported)"]


def test_only_unreported_metrics_is_an_error_result() -> None:
    task = _task(scorer={"type": "json"}, metrics=["schema_valid"])
    unit = _unit(task, [Sample(id="a", prompt="p")])
    result = unit_result(unit, [[_json_score(1.0, 1.0)]], FINGERPRINT)
    assert result.error == "schema_valid: no sample has a value for it (not reported)"


# ----------------------------------------------------------------------------- records


def _multi_turn_unit() -> tuple[Unit, dict[tuple[str, int], Completion]]:
    task = _task(
        scorer={"type": "exact_match"},
        generation={"n": 2, "temperature": 0.5},
    )
    samples = [
        Sample(id="one", prompt="2+2?", target="4", tags={"kind": "math"}, cluster="c1"),
        Sample(id="two", prompt="Name a colour.", target="blue", turns=("Another one?",)),
    ]
    unit = _unit(task, samples)
    n = 2
    completions = {
        ("one", 0): _completion("4", 5, 1),
        ("one", 1): _completion("5", 5, 1),
    }
    for turn in range(2):
        for attempt in range(n):
            key = ("two", turn * n + attempt)
            completions[key] = _completion(f"t{turn}a{attempt}", 10 + turn, 2 + attempt)
    return unit, completions


def test_score_unit_scores_each_attempt_of_the_last_turn(tmp_path: Path) -> None:
    unit, completions = _multi_turn_unit()
    completions[("two", 3)] = _completion("blue")  # turn 1, attempt 1
    attempts = score_unit(unit, completions, tmp_path)
    assert [[s.value for s in a] for a in attempts] == [[1.0, 0.0], [0.0, 1.0]]
    assert attempts[1][0].extracted == "t1a0"


def test_records_one_per_sample_and_attempt_with_turns() -> None:
    unit, completions = _multi_turn_unit()
    attempts: Attempts = [
        [Score(1.0, extracted="4"), Score(0.0, extracted="5", detail="expected '4'")],
        [Score(0.0, extracted="t1a0"), Score(0.0, extracted="t1a1")],
    ]
    cached = {("one", 0), ("two", 0), ("two", 2)}
    out = [r.to_json_dict() for r in records(unit, completions, attempts, cached)]
    assert [(r["sample_id"], r["sample_index"]) for r in out] == [
        ("one", 0),
        ("one", 1),
        ("two", 0),
        ("two", 1),
    ]
    first, second, third, fourth = out
    assert first["unit_id"] == "m/t"
    assert first["unit_hash"] == "abc123"
    assert first["prompt"] == [{"role": "user", "content": "2+2?"}]
    assert first["output"] == "4"
    assert first["target"] == "4"
    assert first["score"] == 1.0
    assert first["extracted"] == "4"
    assert first.get("detail") is None
    assert first.get("isolation") is None
    assert first["finish_reason"] == "stop"
    assert first["latency_s"] == 0.25
    assert first["tokens"] == {"prompt": 5, "completion": 1}
    assert first["cached"] is True
    assert "turns" not in first
    assert second["output"] == "5"
    assert second["detail"] == "expected '4'"
    assert second["cached"] is False
    # multi-turn: keys (sample id, turn * n + attempt)
    assert third["turns"] == ["t0a0", "t1a0"]
    assert third["output"] == "t1a0"
    assert third["tokens"] == {"prompt": 10 + 11, "completion": 2 + 2}
    assert third["cached"] is True  # (two, 0) and (two, 2)
    assert fourth["turns"] == ["t0a1", "t1a1"]
    assert fourth["output"] == "t1a1"
    assert fourth["tokens"] == {"prompt": 21, "completion": 3 + 3}
    assert fourth["cached"] is False  # (two, 1) is not cached
    for record in out:
        assert "loglikelihoods" not in record
        assert "judge" not in record
        assert "values" not in record
        assert "excluded" not in record


def test_records_carry_tags_cluster_values_and_exclusion() -> None:
    unit, completions = _multi_turn_unit()
    attempts: Attempts = [
        [Score(1.0, values={"exact_match": 1.0}), EXCLUDED],
        [Score(0.0), Score(0.0)],
    ]
    out = [r.to_json_dict() for r in records(unit, completions, attempts, set())]
    assert out[0]["tags"] == {"kind": "math"}
    assert out[0]["cluster"] == "c1"
    assert out[0]["values"] == {"exact_match": 1.0}
    assert "excluded" not in out[0]
    assert out[1]["excluded"] is True
    assert out[1]["detail"] == "no rating"
    assert "tags" not in out[2]
    assert "cluster" not in out[2]
    assert all(r["cached"] is False for r in out)


def test_records_carry_the_judge_replies_of_their_keys() -> None:
    unit, completions = _multi_turn_unit()
    attempts: Attempts = [[Score(1.0), Score(1.0)], [Score(0.0), Score(0.0)]]
    judged = {("one", 0): "Rating: [[9]]", ("two", 1): "[[3]]", ("two", 3): "[[4]]"}
    out = [r.to_json_dict() for r in records(unit, completions, attempts, set(), judged)]
    assert [r["judge"] for r in out] == [["Rating: [[9]]"], [], [], ["[[3]]", "[[4]]"]]


def _loglikelihood_unit() -> tuple[Unit, dict[tuple[str, int], Completion], list[list[float]]]:
    task = _task(
        dataset={"format": "jsonl", "source": "mc.jsonl"},
        output_type="loglikelihood",
        scorer={"type": "multiple_choice"},
        metrics=["acc", "acc_norm", "mc2"],
    )
    assert task.prompt.chat is False
    samples = [
        Sample(
            id="q1",
            prompt="The sky is",
            choices=("green", "blue", "a colour that is easy to name"),
            gold=(1,),
            tags={"subject": "sky"},
            cluster="passage-1",
        ),
        Sample(id="q2", prompt="Two plus two is", choices=("four", "five"), gold=(0,)),
    ]
    pairs = tuple(tuple((s.prompt, " " + c) for c in s.choices) for s in samples)
    unit = _unit(task, samples, prompts=tuple(s.prompt for s in samples), choice_pairs=pairs)
    lls = [[-9.0, -2.0, -7.5], [-4.0, -1.5]]
    completions = {
        (s.id, 0): Completion(
            text=json.dumps(values),
            prompt_tokens=0,
            completion_tokens=0,
            finish_reason="loglikelihood",
            latency_s=None,
        )
        for s, values in zip(samples, lls, strict=True)
    }
    return unit, completions, lls


def test_score_unit_scores_loglikelihood_choices(tmp_path: Path) -> None:
    unit, completions, lls = _loglikelihood_unit()
    attempts = score_unit(unit, completions, tmp_path)
    assert len(attempts) == 2
    assert all(len(a) == 1 for a in attempts)
    expected = [
        choice_score(lls[0], [" green", " blue", " a colour that is easy to name"], [1]),
        choice_score(lls[1], [" four", " five"], [0]),
    ]
    assert [a[0] for a in attempts] == expected
    q1, q2 = attempts[0][0], attempts[1][0]
    assert q1.values["acc"] == 1.0
    assert q1.values["acc_norm"] == 0.0  # -7.5 / 30 bytes beats -2 / 5 bytes
    assert q2.values["acc"] == 0.0


def test_loglikelihood_records_carry_the_loglikelihoods(tmp_path: Path) -> None:
    unit, completions, lls = _loglikelihood_unit()
    attempts = score_unit(unit, completions, tmp_path)
    out = [r.to_json_dict() for r in records(unit, completions, attempts, {("q1", 0)})]
    assert [(r["sample_id"], r["sample_index"]) for r in out] == [("q1", 0), ("q2", 0)]
    q1, q2 = out
    assert q1["loglikelihoods"] == lls[0]
    assert q2["loglikelihoods"] == lls[1]
    # the output names the picked choice (not the JSON list of log-likelihoods)
    assert q1["output"].endswith("blue")
    assert "green" not in q1["output"]
    assert q2["output"].endswith("five")
    assert "four" not in q2["output"]
    assert q1["prompt"] == "The sky is"
    assert q1["values"]["mc2"] == attempts[0][0].values["mc2"]
    assert q1["finish_reason"] == "loglikelihood"
    assert q1["cached"] is True
    assert q2["cached"] is False
    assert q1["tags"] == {"subject": "sky"}
    assert q1["cluster"] == "passage-1"
    assert "turns" not in q1
    assert "tags" not in q2
    assert "cluster" not in q2


def test_loglikelihood_unit_result_reports_all_three_metrics(tmp_path: Path) -> None:
    unit, completions, _ = _loglikelihood_unit()
    result = unit_result(unit, score_unit(unit, completions, tmp_path), FINGERPRINT)
    assert result.error is None
    assert list(result.metrics) == ["acc", "acc_norm", "mc2"]
    assert result.outcomes == {"q1": 1.0, "q2": 0.0}
    assert result.metric_outcomes["acc_norm"] == {"q1": 0.0, "q2": 0.0}
    assert set(result.metric_outcomes) == {"acc_norm", "mc2"}
    assert result.clusters == {"q1": "passage-1"}
    assert list(result.slices) == ["subject=sky"]


# ----------------------------------------------------------------------------- pooled metrics


def test_ifeval_instruction_level_metrics_pool_all_instructions_like_the_reference() -> None:
    """inst_level_* = followed instructions / all instructions over the unit (lm-eval's
    number), not the mean of per-prompt fractions; prompt_level_* stays a plain mean."""
    from evalspec.scoring.ifeval import ifeval_score

    task = _task(
        scorer={"type": "ifeval"},
        metrics=["prompt_level_strict_acc", "inst_level_strict_acc"],
    )
    samples = [Sample(id="one", prompt="p"), Sample(id="three", prompt="p")]
    unit = _unit(task, samples)
    one = ifeval_score("hello", ["punctuation:no_comma"], [{}], "p")  # 1 of 1 followed
    three = ifeval_score(  # 1 of 3 followed: a title, but a comma and capitals
        "Hello, <<World>>",
        ["punctuation:no_comma", "change_case:english_lowercase", "detectable_format:title"],
        [{}, {}, {}],
        "p",
    )
    assert three.values["inst_level_strict_acc"] == pytest.approx(1 / 3)
    result = unit_result(unit, [[one], [three]], FINGERPRINT)
    assert result.metrics["inst_level_strict_acc"].value == pytest.approx(2 / 4)  # not 2/3
    assert result.metrics["prompt_level_strict_acc"].value == pytest.approx(0.5)
    # the gate's per-sample values average to the pooled metric
    values = result.outcomes_for("inst_level_strict_acc")
    assert sum(values.values()) / len(values) == pytest.approx(0.5)
