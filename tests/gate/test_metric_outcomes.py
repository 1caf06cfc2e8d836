"""Units with several metrics whose per-sample values differ: each metric is paired on its
own samples; the baseline file keeps them; unit notes and slices reach the gate result."""

from __future__ import annotations

import json
import math
from pathlib import Path

from evalspec.gate import (
    GateResult,
    GateRow,
    Status,
    baseline_from_results,
    baseline_text,
    evaluate,
    read_baseline,
    write_baseline,
)
from evalspec.gate.compare import MCNEMAR, PAIRED_T
from evalspec.scoring.results import Metric, UnitResult
from evalspec.spec.thresholds import ThresholdRule, Thresholds

N = 40
IDS = [f"s{i:02d}" for i in range(N)]


def _metric(name: str, values: dict[str, float], higher_is_better: bool = True) -> Metric:
    mean = math.fsum(values.values()) / len(values)
    var = math.fsum((v - mean) ** 2 for v in values.values()) / (len(values) - 1)
    return Metric(name, mean, math.sqrt(var / len(values)), len(values), higher_is_better)


def _binary(ones: range) -> dict[str, float]:
    return {sid: 1.0 if i in ones else 0.0 for i, sid in enumerate(IDS)}


def _unit(
    acc: dict[str, float],
    acc_norm: dict[str, float],
    *,
    extra: dict[str, dict[str, float]] | None = None,
    unit_hash: str = "h" * 64,
    **fields: object,
) -> UnitResult:
    per_metric = {"acc_norm": acc_norm, **(extra or {})}
    metrics = {"acc": _metric("acc", acc)}
    metrics.update({name: _metric(name, values) for name, values in per_metric.items()})
    return UnitResult(
        unit_id="smol/mmlu",
        unit_hash=unit_hash,
        model="smol",
        adapter=None,
        task="mmlu",
        metrics=metrics,
        outcomes=dict(acc),
        metric_outcomes=per_metric,
        **fields,  # type: ignore[arg-type]
    )


def _rows(result: GateResult) -> dict[str, GateRow]:
    return {row.metric: row for row in result.rows}


MAX_DROP = Thresholds(version=1, rules=[ThresholdRule(max_drop=0.2)])

# baseline: acc and acc_norm have the same mean (0.75) but different per-sample values
BASE_ACC = _binary(range(0, 30))
BASE_NORM = _binary(range(10, 40))


def test_each_metric_is_paired_on_its_own_per_sample_values() -> None:
    baseline = baseline_from_results("mc", "R1", None, [_unit(BASE_ACC, BASE_NORM)])
    current = _unit(BASE_ACC, _binary(range(30, 40)))  # acc_norm lost s10..s29

    rows = _rows(evaluate([current], MAX_DROP, baseline))

    acc, norm = rows["acc"], rows["acc_norm"]
    assert acc.status is Status.PASS
    assert acc.delta == 0.0
    assert acc.test == MCNEMAR
    assert acc.n_paired == N
    assert acc.flips == {"pass_to_fail": [], "fail_to_pass": []}

    assert norm.status is Status.FAIL
    assert norm.baseline == 0.75
    assert norm.current == 0.25
    assert norm.delta == -0.5
    assert norm.test == MCNEMAR  # paired, not the unpaired fallback
    assert norm.n_paired == N
    assert norm.flips == {"pass_to_fail": IDS[10:30], "fail_to_pass": []}
    assert not any("unpaired" in note for note in norm.notes)


def test_regression_in_the_first_metric_only_fails_that_metric() -> None:
    baseline = baseline_from_results("mc", "R1", None, [_unit(BASE_ACC, BASE_NORM)])
    current = _unit(_binary(range(20, 30)), BASE_NORM)  # acc lost s00..s19

    rows = _rows(evaluate([current], MAX_DROP, baseline))

    assert rows["acc"].status is Status.FAIL
    assert rows["acc"].flips["pass_to_fail"] == IDS[:20]
    assert rows["acc_norm"].status is Status.PASS
    assert rows["acc_norm"].flips == {"pass_to_fail": [], "fail_to_pass": []}


def test_continuous_metric_outcomes_are_compared_on_their_own_values() -> None:
    mc2 = {sid: round(0.2 + 0.015 * i, 6) for i, sid in enumerate(IDS)}
    baseline = baseline_from_results(
        "mc", "R1", None, [_unit(BASE_ACC, BASE_NORM, extra={"mc2": mc2})]
    )
    current = _unit(BASE_ACC, BASE_NORM, extra={"mc2": mc2})

    rows = _rows(evaluate([current], MAX_DROP, baseline))

    assert rows["mc2"].status is Status.PASS
    assert rows["mc2"].test == PAIRED_T
    assert rows["mc2"].n_paired == N
    assert rows["mc2"].delta == 0.0
    assert {row.status for row in rows.values()} == {Status.PASS}


def test_baseline_keeps_the_per_metric_samples_rounded() -> None:
    acc_norm = {**BASE_NORM, "s00": 1 / 3}
    baseline = baseline_from_results("mc", "R1", None, [_unit(BASE_ACC, acc_norm)])
    entry = baseline.units["smol/mmlu"]

    assert entry.samples == BASE_ACC
    assert entry.metric_samples["acc_norm"]["s00"] == 0.333333
    assert entry.samples_for("acc") == BASE_ACC
    assert entry.samples_for("acc_norm") == {**BASE_NORM, "s00": 0.333333}


def test_baseline_file_round_trip_keeps_metric_samples(tmp_path: Path) -> None:
    single = UnitResult(
        unit_id="smol/arith",
        unit_hash="a" * 64,
        model="smol",
        adapter=None,
        task="arith",
        metrics={"accuracy": _metric("accuracy", BASE_ACC)},
        outcomes=dict(BASE_ACC),
    )
    baseline = baseline_from_results("mc", "R1", None, [_unit(BASE_ACC, BASE_NORM), single])
    path = tmp_path / "baselines" / "mc.json"

    write_baseline(path, baseline)
    data = json.loads(path.read_text(encoding="utf-8"))
    back = read_baseline(path)

    assert data["units"]["smol/mmlu"]["metric_samples"] == {"acc_norm": BASE_NORM}
    assert "metric_samples" not in data["units"]["smol/arith"]  # omitted when empty
    assert back == baseline
    assert back is not None
    assert back.units["smol/arith"].metric_samples == {}
    assert back.units["smol/mmlu"].samples_for("acc_norm") == BASE_NORM
    assert baseline_text(back) == path.read_text(encoding="utf-8")


def test_read_back_baseline_gates_like_the_original(tmp_path: Path) -> None:
    baseline = baseline_from_results("mc", "R1", None, [_unit(BASE_ACC, BASE_NORM)])
    path = tmp_path / "mc.json"
    write_baseline(path, baseline)
    back = read_baseline(path)
    current = [_unit(BASE_ACC, _binary(range(30, 40)))]

    direct = evaluate(current, MAX_DROP, baseline)
    via_file = evaluate(current, MAX_DROP, back)

    assert [r.to_dict() for r in via_file.rows] == [r.to_dict() for r in direct.rows]
    assert _rows(via_file)["acc_norm"].status is Status.FAIL


def test_unit_notes_become_fingerprint_notes_prefixed_by_unit_id() -> None:
    unit = _unit(
        BASE_ACC,
        BASE_NORM,
        notes=["3 judge replies without a rating (left out)", "second note"],
    )

    result = evaluate([unit], None, None)

    assert "smol/mmlu: 3 judge replies without a rating (left out)" in result.fingerprint_notes
    assert "smol/mmlu: second note" in result.fingerprint_notes


def test_unit_notes_are_kept_next_to_a_baseline() -> None:
    baseline = baseline_from_results("mc", "R1", None, [_unit(BASE_ACC, BASE_NORM)])
    unit = _unit(BASE_ACC, BASE_NORM, notes=["1 sample excluded"])

    result = evaluate([unit], MAX_DROP, baseline)

    assert "smol/mmlu: 1 sample excluded" in result.fingerprint_notes
    assert result.status is Status.PASS


def test_slices_are_reported_and_round_trip_through_dicts() -> None:
    slices = {
        "subject=anatomy": {"acc": Metric("acc", 0.5, 0.1, 10)},
        "subject=virology": {
            "acc": Metric("acc", 0.75, 0.05, 20),
            "acc_norm": Metric("acc_norm", 0.8, 0.04, 20),
        },
    }
    unit = _unit(BASE_ACC, BASE_NORM, slices=slices)
    baseline = baseline_from_results("mc", "R1", None, [_unit(BASE_ACC, BASE_NORM)])

    result = evaluate([unit], MAX_DROP, baseline)

    assert result.slices == [
        {
            "unit": "smol/mmlu",
            "slice": "subject=anatomy",
            "metric": "acc",
            "value": 0.5,
            "stderr": 0.1,
            "n": 10,
        },
        {
            "unit": "smol/mmlu",
            "slice": "subject=virology",
            "metric": "acc",
            "value": 0.75,
            "stderr": 0.05,
            "n": 20,
        },
        {
            "unit": "smol/mmlu",
            "slice": "subject=virology",
            "metric": "acc_norm",
            "value": 0.8,
            "stderr": 0.04,
            "n": 20,
        },
    ]
    assert {row.metric for row in result.rows} == {"acc", "acc_norm"}  # slices are not gated

    data = json.loads(json.dumps(result.to_dict()))
    back = GateResult.from_dict(data)
    assert back.slices == result.slices
    assert back.fingerprint_notes == result.fingerprint_notes
    assert [r.to_dict() for r in back.rows] == [r.to_dict() for r in result.rows]
    assert back.status is result.status


def test_result_without_slices_round_trips_empty() -> None:
    result = evaluate([_unit(BASE_ACC, BASE_NORM)], None, None)
    assert result.slices == []
    data = result.to_dict()
    assert data["slices"] == []
    assert GateResult.from_dict(data).slices == []
    del data["slices"]  # results written before slices existed
    assert GateResult.from_dict(data).slices == []
