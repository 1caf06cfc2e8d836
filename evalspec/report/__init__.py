"""Reports: a gate result as markdown (PR comment), JSON or JUnit XML; the step summary; a plan.

Public API: render_reports (+ Reports), render_markdown, render_json, render_junit,
collect_flips, append_step_summary, write_reports, MARKER, render_plan. The sticky PR comment
client lives in evalspec.report.github (imported on demand: it needs httpx).
"""

from __future__ import annotations

from evalspec.report.bundle import Reports, render_reports
from evalspec.report.files import write_reports
from evalspec.report.flips import FlipGroup, SampleExcerpt, collect_flips
from evalspec.report.json_report import render_json
from evalspec.report.junit import render_junit
from evalspec.report.markdown import MARKER, render_markdown
from evalspec.report.plan_view import render_plan
from evalspec.report.step_summary import append_step_summary

__all__ = [
    "MARKER",
    "FlipGroup",
    "Reports",
    "SampleExcerpt",
    "append_step_summary",
    "collect_flips",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_plan",
    "render_reports",
    "write_reports",
]
