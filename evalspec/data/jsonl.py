"""The generic `jsonl` format: prompt/target rows; every other key becomes sample meta."""

from __future__ import annotations

from evalspec.data.ids import row_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

PROMPT_KEYS = ("prompt", "question", "input")
TARGET_KEYS = ("target", "answer", "output")


def parse_jsonl_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): prompt from prompt|question|input, target from target|answer|output."""
    prompt_key, prompt = row.text(*PROMPT_KEYS)
    target_key, target = row.text(*TARGET_KEYS)
    sample_id, derived = row_id(row, prompt)
    used = {prompt_key, target_key, "id"}
    meta = {k: v for k, v in row.fields.items() if k not in used}
    return Sample(id=sample_id, prompt=prompt, target=target, meta=meta), derived
