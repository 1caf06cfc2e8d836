"""Plan: compile a loaded spec into units with content hashes, grouped so each model loads once.

Public entry point: `compile_plan` (narrowed by `Targets`: --model, --task, --adapter, --mode).
"""

from __future__ import annotations

from evalspec.plan.compile import compile_plan, unit_id
from evalspec.plan.models import JudgeRef, ModelGroup, Plan, Unit
from evalspec.plan.targets import Targets, targets

__all__ = [
    "JudgeRef",
    "ModelGroup",
    "Plan",
    "Targets",
    "Unit",
    "compile_plan",
    "targets",
    "unit_id",
]
