"""The `math` format: Hendrycks MATH (Hendrycks et al. 2021) problems.

Layouts:
- original (MATH/test/<type>/<n>.json) and hf:EleutherAI/hendrycks_math,
  hf:hendrycks/competition_math: problem, level ("Level 3"), type ("Algebra"), solution
- hf:HuggingFaceH4/MATH-500 (test.jsonl): problem, solution, answer, subject, level (int),
  unique_id

target = the `answer` field when present, else the content of the LAST `\\boxed{...}`
(or `\\fbox{...}`, or `\\boxed 5`) of the solution, nested braces handled, as
lm-evaluation-harness's hendrycks_math / minerva_math `last_boxed_only_string` and
`remove_boxed` extract it. prompt = the problem; meta["solution"] = the worked solution.
tags: level ("Level N"; integer levels become "Level N") and type (or MATH-500's subject).
id: the `unique_id` or `id` field, else derived from the problem text.
"""

from __future__ import annotations

from evalspec.data.choices import extra_meta, text_value
from evalspec.data.ids import row_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

BOX_COMMANDS = ("\\boxed", "\\fbox")
USED = ("problem", "solution", "answer", "level", "type", "subject", "unique_id", "id")


def last_boxed(solution: str) -> str | None:
    """The content of the last \\boxed{...} / \\fbox{...} / `\\boxed x`; None without one."""
    start = max(solution.rfind(cmd) for cmd in BOX_COMMANDS)
    if start < 0:
        return None
    command = next(c for c in BOX_COMMANDS if solution.startswith(c, start))
    rest = solution[start + len(command) :]
    if rest.startswith(" "):  # "\boxed 5$": up to the closing dollar sign
        return rest[1:].split("$", 1)[0].strip() or None
    if not rest.startswith("{"):
        return None
    depth = 0
    for i, char in enumerate(rest):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return rest[1:i]
    return None  # unbalanced braces


def _level(row: Row) -> str | None:
    if "level" not in row.fields or row.fields["level"] is None:
        return None
    value = row.fields["level"]
    if isinstance(value, int) and not isinstance(value, bool):
        return f"Level {value}"
    return text_value(row, "level", value, 'a string like "Level 3" or an integer')


def _sample_id(row: Row, problem: str) -> tuple[str, bool]:
    unique = row.optional_text("unique_id")
    if unique is not None and unique.strip():
        return unique, False
    return row_id(row, problem)


def parse_math_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): target = the final answer; tags level and type."""
    _, problem = row.text("problem")
    _, solution = row.text("solution")
    answer = row.optional_text("answer")
    target = answer.strip() if answer is not None else last_boxed(solution)
    if target is None:
        raise row.error(
            "field 'solution' has no \\boxed{...} final answer (MATH solutions end with "
            "one); add an 'answer' field or fix the solution"
        )
    tags: dict[str, str] = {}
    level = _level(row)
    if level is not None:
        tags["level"] = level
    for key in ("type", "subject"):
        value = row.optional_text(key)
        if value is not None:
            tags["type"] = value
            break
    sample_id, derived = _sample_id(row, problem)
    meta = extra_meta(row, USED)
    meta["solution"] = solution
    return Sample(id=sample_id, prompt=problem, target=target, meta=meta, tags=tags), derived
