"""Every report of one gate result at once: markdown (with flipped samples), JSON, JUnit XML."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from evalspec.gate import GateResult
from evalspec.report.flips import collect_flips
from evalspec.report.json_report import render_json
from evalspec.report.junit import render_junit
from evalspec.report.markdown import render_markdown
from evalspec.report.resources import resource_lines
from evalspec.store import Record


@dataclass(frozen=True)
class Reports:
    markdown: str
    json: str
    junit: str


def render_reports(
    result: GateResult,
    *,
    spec_name: str,
    run_id: str,
    baseline_run_id: str | None,
    candidate_records: Iterable[Record] = (),
    baseline_records: Iterable[Record] | None = None,
    perf: Mapping[str, Mapping[str, Any]] | None = None,
    scope: str | None = None,
) -> Reports:
    """``baseline_records`` is None when the baseline run's directory is not available here;
    ``perf`` (unit id -> measurements) adds the monitor's resource lines to the markdown;
    ``scope`` says what a targeted run covered (markdown and JSON)."""
    flips = collect_flips(result, candidate_records, baseline_records)
    return Reports(
        markdown=render_markdown(
            result,
            spec_name=spec_name,
            run_id=run_id,
            baseline_run_id=baseline_run_id,
            flips=flips,
            resources=resource_lines(perf or {}),
            scope=scope,
        ),
        json=render_json(
            result,
            spec_name=spec_name,
            run_id=run_id,
            baseline_run_id=baseline_run_id,
            scope=scope,
        ),
        junit=render_junit(result, spec_name=spec_name, run_id=run_id),
    )
