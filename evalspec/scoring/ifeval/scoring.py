"""IFEval scoring: strict and loose checks of a response's instructions, and the four metrics
(the reference behaviour and its deviations are in the package's docstring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalspec.errors import SpecError
from evalspec.scoring.ifeval.registry import build_check
from evalspec.scoring.results import Score

IFEVAL_METRICS = (
    "prompt_level_strict_acc",
    "inst_level_strict_acc",
    "prompt_level_loose_acc",
    "inst_level_loose_acc",
)


def loose_variants(response: str) -> list[str]:
    """The eight responses loose evaluation tries, in the reference's order."""
    lines = response.split("\n")
    without_first = "\n".join(lines[1:]).strip()
    without_last = "\n".join(lines[:-1]).strip()
    without_both = "\n".join(lines[1:-1]).strip()
    trimmed = [without_first, without_last, without_both]
    return [response, response.replace("*", ""), *trimmed, *(t.replace("*", "") for t in trimmed)]


def check_instructions(
    response: str,
    instruction_ids: Sequence[str],
    kwargs: Sequence[Mapping[str, Any]],
    prompt: str,
) -> tuple[list[bool], list[bool]]:
    """(strict, loose): whether the response follows each instruction.

    Raises SpecError for an unknown instruction id, bad kwargs, or lists of different
    lengths.
    """
    if len(instruction_ids) != len(kwargs):
        raise SpecError(
            f"IFEval sample has {len(instruction_ids)} instruction ids "
            f"but {len(kwargs)} kwargs entries"
        )
    checks = [build_check(i, k, prompt) for i, k in zip(instruction_ids, kwargs, strict=True)]
    variants = loose_variants(response)
    strict = [bool(response.strip()) and check(response) for check in checks]
    loose = [any(v.strip() and check(v) for v in variants) for check in checks]
    return strict, loose


def ifeval_score(
    response: str,
    instruction_ids: Sequence[str],
    kwargs: Sequence[Mapping[str, Any]],
    prompt: str,
) -> Score:
    """One sample's four IFEval metrics; value = prompt-level strict accuracy."""
    if not instruction_ids:
        raise SpecError("IFEval sample has no instructions (instruction_id_list is empty)")
    strict, loose = check_instructions(response, instruction_ids, kwargs, prompt)
    values = {
        "prompt_level_strict_acc": float(all(strict)),
        "inst_level_strict_acc": sum(strict) / len(strict),
        "prompt_level_loose_acc": float(all(loose)),
        "inst_level_loose_acc": sum(loose) / len(loose),
    }
    failed = [i for i, ok in zip(instruction_ids, strict, strict=True) if not ok]
    detail = f"not followed (strict): {', '.join(failed)}" if failed else None
    count = float(len(instruction_ids))
    weights = {"inst_level_strict_acc": count, "inst_level_loose_acc": count}
    return Score(
        values["prompt_level_strict_acc"],
        extracted=None,
        detail=detail,
        values=values,
        weights=weights,
    )
