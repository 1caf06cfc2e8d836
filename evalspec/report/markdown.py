"""The markdown report (PR comment body) rendered from templates/report.md.j2."""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import cache
from typing import Any

import jinja2

import evalspec
from evalspec.gate import GateResult, GateRow
from evalspec.gate.compare import FLIP_THRESHOLD
from evalspec.gate.verdict import PerfRow
from evalspec.report.adaptive import adaptive_section
from evalspec.report.flips import (
    BETTER,
    FAIL_TO_PASS,
    PASS_TO_FAIL,
    WORSE,
    WORSE_DIRECTIONS,
    FlipGroup,
    SampleExcerpt,
    excerpt,
)
from evalspec.report.format import (
    MARKS,
    NONE,
    cell,
    changed_units,
    confidence_label,
    details,
    fence,
    interval,
    measure,
    model_label,
    number,
    one_line,
    p_value,
    percent,
    signed,
    ungated,
    verdict_line,
    with_stderr,
)

MARKER = "<!-- evalspec:report spec={spec} -->"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("evalspec", "report/templates"),
        autoescape=False,  # markdown, not HTML: cells are escaped by the `cell` filter
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = cell
    env.filters["one_line"] = one_line
    env.filters["html"] = html.escape
    return env


def render_markdown(
    result: GateResult,
    *,
    spec_name: str,
    run_id: str,
    baseline_run_id: str | None,
    fingerprint_notes: Sequence[str] = (),
    flips: Sequence[FlipGroup] = (),
    resources: Sequence[str] = (),
    scope: str | None = None,
) -> str:
    """The PR comment: marker, verdict line, scope (what a targeted run covered), metric
    table, adaptive sampling (budgets used, compute saved), reasons, flips, performance,
    resources (lines from evalspec.report.resources), notes."""
    template = _environment().get_template("report.md.j2")
    notes = list(dict.fromkeys([*result.fingerprint_notes, *fingerprint_notes]))
    no_gate = ungated(result, baseline_run_id)
    return template.render(
        marker=MARKER.format(spec=spec_name),
        verdict=verdict_line(result, spec_name, run_id, baseline_run_id),
        scope=scope,
        no_gate=no_gate,
        ci_header=confidence_label(
            next((r.confidence for r in result.rows if r.confidence is not None), None)
        ),
        rows=[_metric_row(row, no_gate) for row in result.rows],
        tests=sorted({row.test for row in result.rows if row.test}),
        details=details(result),
        adaptive=adaptive_section(result.adaptive),
        flips=[_flip_group(group) for group in flips],
        perf=[_perf_row(row) for row in result.perf_rows],
        resources=list(resources),
        slices=[
            {**row, "value": with_stderr(row["value"], row["stderr"])} for row in result.slices
        ],
        changed_units=changed_units(result),
        fingerprint_notes=notes,
        version=evalspec.__version__,
        exit_code=result.exit_code,
    )


def _metric_row(row: GateRow, no_gate: bool = False) -> dict[str, str]:
    """A table row; without a gate its verdict cell is empty: nothing judged it."""
    return {
        "model": model_label(row),
        "task": row.task,
        "metric": row.metric,
        "baseline": number(row.baseline),
        "current": with_stderr(row.current, row.stderr),
        "delta": signed(row.delta),
        "ci": interval(row.ci_low, row.ci_high),
        "p": p_value(row.p_value),
        "verdict": NONE if no_gate else f"{MARKS[row.status]} {row.status}",
    }


_FLIP_TEXT = {
    PASS_TO_FAIL: "passed in the baseline and fail now",
    FAIL_TO_PASS: "failed in the baseline and pass now",
    WORSE: f"scored more than {FLIP_THRESHOLD:g} below the baseline",
    BETTER: f"scored more than {FLIP_THRESHOLD:g} above the baseline",
}


def _flip_group(group: FlipGroup) -> dict[str, Any]:
    worse = group.direction in WORSE_DIRECTIONS
    plural = "" if group.total == 1 else "s"
    summary = (
        f"{'❌' if worse else '✅'} {group.unit_id}: {group.total} sample{plural} "
        f"{_FLIP_TEXT[group.direction]}"
    )
    return {
        "summary": summary,
        "samples": [_sample(s) for s in group.samples],
        "hidden": group.hidden,
    }


def _sample(sample: SampleExcerpt) -> dict[str, Any]:
    blocks: list[tuple[str, str]] = []
    if sample.prompt is not None:
        blocks.append(("Prompt", fence(excerpt(sample.prompt))))
    if sample.baseline_output is not None:
        blocks.append(("Baseline output", fence(excerpt(sample.baseline_output))))
    if sample.candidate_output is not None:
        blocks.append(("Candidate output", fence(excerpt(sample.candidate_output))))
    facts = []
    if sample.target is not None:
        facts.append(f"target `{one_line(sample.target)[:80]}`")
    if sample.detail:
        facts.append(one_line(sample.detail)[:200])
    return {"id": sample.sample_id, "facts": "; ".join(facts), "blocks": blocks}


def _perf_row(row: PerfRow) -> dict[str, str]:
    return {
        "model": model_label(row),
        "task": row.task,
        "measure": row.measure,
        "baseline": measure(row.baseline),
        "current": measure(row.current),
        "change": percent(row.change_pct),
        "tolerance": percent(row.tolerance_pct, signed_=False),
        # a measure no rule gates is shown for information, without a verdict
        "verdict": f"{MARKS[row.status]} {row.status}" if row.tolerance_pct is not None else NONE,
    }
