"""Flipped samples in the markdown report: collapsible blocks with prompt and output excerpts."""

from __future__ import annotations

from pathlib import Path

from report_runs import UNIT, outcomes, unit_result, write_run

from evalspec.diffing import run_diff
from evalspec.gate import GateResult, GateRow, Status
from evalspec.report import collect_flips, render_markdown, render_reports
from evalspec.report.flips import PER_UNIT


def _row(p2f: list[str], f2p: list[str], metric: str = "accuracy") -> GateRow:
    return GateRow(
        model="smol",
        adapter=None,
        task="arith",
        metric=metric,
        baseline=0.75,
        baseline_stderr=0.1,
        current=0.25,
        stderr=0.1,
        delta=-0.5,
        n=8,
        status=Status.FAIL,
        reasons=["dropped 0.500"],
        ci_low=-0.8,
        ci_high=-0.2,
        confidence=0.9,
        p_value=0.0312,
        test="mcnemar-exact",
        n_paired=8,
        flips={"pass_to_fail": p2f, "fail_to_pass": f2p},
    )


def _sections(text: str) -> list[str]:
    return [part.split("</details>")[0] for part in text.split("<details>")[1:]]


def test_flips_render_as_details_blocks_with_prompt_and_both_outputs(tmp_path: Path) -> None:
    old = write_run(tmp_path, outcomes({0, 1, 2, 3, 4, 5}), "OLD")
    new = write_run(tmp_path, outcomes({0, 1, 6}), "NEW")
    result = GateResult(rows=[_row(["s2", "s3", "s4", "s5"], ["s6"])])

    text = render_reports(
        result,
        spec_name="smoke",
        run_id=new.run_id,
        baseline_run_id=old.run_id,
        candidate_records=new.read_records(),
        baseline_records=old.read_records(),
    ).markdown

    worse, better = _sections(text)
    assert (
        "<summary>❌ smol/arith: 4 samples passed in the baseline and fail now</summary>" in worse
    )
    assert (
        "<summary>✅ smol/arith: 1 sample failed in the baseline and pass now</summary>" in better
    )
    assert [line for line in worse.splitlines() if line.startswith("**s")] == [
        "**s2** (target `42`; expected 42)",
        "**s3** (target `42`; expected 42)",
        "**s4** (target `42`; expected 42)",
        "**s5** (target `42`; expected 42)",
    ]
    assert "```\n[user] What is s2?\n```" in worse
    assert "Baseline output:\n\n```\nOLD s2\n```" in worse
    assert "Candidate output:\n\n```\nNEW s2\n```" in worse
    assert "NEW s6" in better and "OLD s6" in better
    assert text.index("**Why**") < text.index("**Flipped samples**")


def test_without_baseline_records_only_the_candidate_output_is_shown(tmp_path: Path) -> None:
    new = write_run(tmp_path, outcomes({0}), "NEW")
    groups = collect_flips(GateResult(rows=[_row(["s3"], [])]), new.read_records(), None)

    text = render_markdown(
        GateResult(rows=[_row(["s3"], [])]),
        spec_name="smoke",
        run_id=new.run_id,
        baseline_run_id="gone",
        flips=groups,
    )

    (section,) = _sections(text)
    assert "Candidate output:\n\n```\nNEW s3\n```" in section
    assert "Baseline output" not in section


def test_flips_are_capped_per_unit_and_the_rest_counted(tmp_path: Path) -> None:
    new = write_run(tmp_path, outcomes(set(), n=12), "NEW")
    ids = [f"s{i}" for i in range(12)]
    # two metric rows of the same unit name the same samples: each appears once
    result = GateResult(rows=[_row(ids, []), _row(ids, [], metric="exact_match")])

    (group,) = collect_flips(result, new.read_records(), None)

    assert group.unit_id == UNIT
    assert group.total == 12
    assert [s.sample_id for s in group.samples] == ids[:PER_UNIT]
    text = render_markdown(
        result, spec_name="smoke", run_id="r", baseline_run_id=None, flips=[group]
    )
    assert f"_…and {12 - PER_UNIT} more (see the run's records.jsonl)._" in text


def test_outputs_with_backtick_fences_cannot_break_out_of_their_block(tmp_path: Path) -> None:
    new = write_run(tmp_path, outcomes(set()), "```\n</details>\n```")

    text = render_markdown(
        GateResult(rows=[_row(["s1"], [])]),
        spec_name="smoke",
        run_id=new.run_id,
        baseline_run_id=None,
        flips=collect_flips(GateResult(rows=[_row(["s1"], [])]), new.read_records()),
    )

    assert "````\n```\n</details>\n``` s1\n````" in text


def test_intervals_p_values_and_the_test_name_are_shown() -> None:
    text = render_markdown(
        GateResult(rows=[_row([], [])]), spec_name="smoke", run_id="r", baseline_run_id="b"
    )

    assert "| Baseline | Candidate | Δ | 90% CI | p | Verdict |" in text
    assert "| 0.750 | 0.250 ± 0.100 | -0.500 | [-0.800, -0.200] | 0.031 | ❌ FAIL |" in text
    assert "interval and p-value from mcnemar-exact" in text
    assert "**Flipped samples**" not in text


def test_continuous_flips_reach_the_markdown_report(tmp_path: Path) -> None:
    """Judge ratings, IFEval instruction values, pass@k over n: moves of more than 0.5."""
    old = {f"s{i}": 8.0 for i in range(8)}
    new = {**old, "s1": 3.0, "s2": 9.0}
    a = write_run(tmp_path, old, "OLD", units=[unit_result(old, metric="judge_score")])
    b = write_run(tmp_path, new, "NEW", units=[unit_result(new, metric="judge_score")])

    text = run_diff(str(a.path), str(b.path), runs_dir=tmp_path).reports.markdown

    worse, better = _sections(text)
    assert "<summary>❌ smol/arith: 1 sample scored more than 0.5 below the baseline</summary>" in (
        worse
    )
    assert "<summary>✅ smol/arith: 1 sample scored more than 0.5 above the baseline</summary>" in (
        better
    )
    assert "Baseline output:\n\n```\nOLD s1\n```" in worse
    assert "Candidate output:\n\n```\nNEW s1\n```" in worse
    assert "NEW s2" in better and "NEW s1" not in better
