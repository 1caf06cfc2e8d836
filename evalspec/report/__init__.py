"""Reports: a gate result as markdown (PR comment) or JSON, and a plan as a dry-run table.

Public API: render_markdown, render_json, MARKER, render_plan.
"""

from __future__ import annotations

from evalspec.report.json_report import render_json
from evalspec.report.markdown import MARKER, render_markdown
from evalspec.report.plan_view import render_plan

__all__ = ["MARKER", "render_json", "render_markdown", "render_plan"]
