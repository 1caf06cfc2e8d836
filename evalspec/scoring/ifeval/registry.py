"""The registry of IFEval instruction ids (the 25 of the original release) and their builders."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from evalspec.errors import SpecError
from evalspec.scoring.ifeval import (
    checks_case,
    checks_format,
    checks_keywords,
    checks_length,
    checks_startend,
)
from evalspec.scoring.ifeval.args import Check, Kwargs

INSTRUCTIONS: dict[str, Callable[[Kwargs], Check]] = {
    **checks_keywords.BUILDERS,
    **checks_length.BUILDERS,
    **checks_format.BUILDERS,
    **checks_case.BUILDERS,
    **checks_startend.BUILDERS,
}


def build_check(instruction_id: str, kwargs: Mapping[str, Any] | None, prompt: str) -> Check:
    """The check of one instruction, its kwargs validated (None values ignored)."""
    builder = INSTRUCTIONS.get(instruction_id) if isinstance(instruction_id, str) else None
    if builder is None:
        raise SpecError(
            f"unknown IFEval instruction {instruction_id!r}; "
            f"known: {', '.join(sorted(INSTRUCTIONS))}"
        )
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, Mapping):
        raise SpecError(
            f"IFEval instruction {instruction_id!r}: kwargs must be a mapping, got {kwargs!r}"
        )
    reader = Kwargs(instruction_id, kwargs, prompt)
    check = builder(reader)
    reader.finish()
    return check
