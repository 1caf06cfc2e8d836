"""Plan: compile a loaded spec into units with content hashes, grouped so each model loads once.

Public entry point: `compile_plan`.
"""

from __future__ import annotations

from evalspec.plan.compile import compile_plan, unit_id
from evalspec.plan.models import JudgeRef, ModelGroup, Plan, Unit

__all__ = ["JudgeRef", "ModelGroup", "Plan", "Unit", "compile_plan", "unit_id"]
