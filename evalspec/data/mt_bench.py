"""The `mt_bench` format: MT-Bench (Zheng et al. 2023) two-turn questions.

Layouts: FastChat's original (fastchat/llm_judge/data/mt_bench/question.jsonl:
question_id, category, turns [turn 1, turn 2], reference (optional, one per turn)) and
hf:HuggingFaceH4/mt_bench_prompts (prompt_id, category, prompt [turns], reference).

prompt = turn 1, turns = the later turns, tags {"category": ...}, meta["reference"] when
present (math, reasoning and coding questions), target = "" (answers are judged).
id = str(question_id).
"""

from __future__ import annotations

from evalspec.data.choices import extra_meta, text_items
from evalspec.data.rows import Row
from evalspec.data.types import Sample

USED = ("question_id", "prompt_id", "category", "turns", "prompt", "reference")


def parse_mt_bench_row(row: Row) -> tuple[Sample, bool]:
    """(sample, False): turn 1 as the prompt, later turns in `turns`."""
    _, question_id = row.text("question_id", "prompt_id")
    key = "turns" if "turns" in row.fields else "prompt"
    if key not in row.fields:
        raise row.error("missing required field 'turns' (a list of user turns)")
    turns = text_items(row, key, row.fields[key])
    category = row.optional_text("category")
    meta = extra_meta(row, USED)
    reference = row.fields.get("reference")
    if reference is not None and reference != []:
        meta["reference"] = text_items(row, "reference", reference, min_items=0)
    sample = Sample(
        id=question_id,
        prompt=turns[0],
        meta=meta,
        turns=tuple(turns[1:]),
        tags={"category": category} if category else {},
    )
    return sample, False
