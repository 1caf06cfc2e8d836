"""The markdown report (PR comment body) rendered from templates/report.md.j2."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import jinja2

import evalspec
from evalspec.gate import GateResult
from evalspec.report.format import (
    MARKS,
    cell,
    changed_units,
    details,
    model_label,
    number,
    one_line,
    signed,
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
    return env


def render_markdown(
    result: GateResult,
    *,
    spec_name: str,
    run_id: str,
    baseline_run_id: str | None,
    fingerprint_notes: Sequence[str] = (),
) -> str:
    rows = [
        {
            "model": model_label(row),
            "task": row.task,
            "metric": row.metric,
            "baseline": number(row.baseline),
            "current": with_stderr(row.current, row.stderr),
            "delta": signed(row.delta),
            "verdict": f"{MARKS[row.status]} {row.status}",
        }
        for row in result.rows
    ]
    template = _environment().get_template("report.md.j2")
    return template.render(
        marker=MARKER.format(spec=spec_name),
        verdict=verdict_line(result, spec_name, run_id, baseline_run_id),
        rows=rows,
        details=details(result),
        changed_units=changed_units(result),
        fingerprint_notes=list(fingerprint_notes),
        version=evalspec.__version__,
        exit_code=result.exit_code,
    )
