"""The `gsm8k` format: published GSM8K rows (`question`, `answer` ending in `#### N`)."""

from __future__ import annotations

from evalspec.data.ids import row_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

FINAL_MARKER = "####"


def final_answer(solution: str) -> str | None:
    """The text after the last `####`, thousands separators removed; None without a marker."""
    if FINAL_MARKER not in solution:
        return None
    answer = solution.rsplit(FINAL_MARKER, 1)[1].strip().replace(",", "")
    return answer or None


def parse_gsm8k_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): target = final answer, meta["solution"] = the full worked answer."""
    _, question = row.text("question")
    _, solution = row.text("answer")
    target = final_answer(solution)
    if target is None:
        raise row.error(
            f"field 'answer' has no final answer after '{FINAL_MARKER}' "
            "(GSM8K answers end with '#### <number>')"
        )
    sample_id, derived = row_id(row, question)
    meta = {k: v for k, v in row.fields.items() if k not in ("question", "answer", "id")}
    meta["solution"] = solution
    return Sample(id=sample_id, prompt=question, target=target, meta=meta), derived
