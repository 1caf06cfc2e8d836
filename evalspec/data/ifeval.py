"""The `ifeval` format: IFEval (Zhou et al. 2023) verifiable-instruction prompts.

Layouts: original (google-research instruction_following_eval/data/input_data.jsonl) and
hf:google/IFEval (whose parquet gives every kwargs dict every instruction's keys, the
unused ones null): key, prompt, instruction_id_list, kwargs (one dict per instruction).

prompt = the prompt as is (lm-evaluation-harness's `ifeval` task: doc_to_text "{{prompt}}");
target = "" (the scorer checks the instructions); meta["instruction_id_list"] and
meta["kwargs"] (null-valued entries dropped). id = str(key).
"""

from __future__ import annotations

from typing import Any

from evalspec.data.choices import extra_meta, object_value, text_list
from evalspec.data.rows import Row
from evalspec.data.types import Sample

USED = ("key", "prompt", "instruction_id_list", "kwargs")


def _kwargs(row: Row, n: int) -> list[dict[str, Any]]:
    raw = row.fields.get("kwargs")
    if raw is None:
        return [{} for _ in range(n)]
    if not isinstance(raw, list) or len(raw) != n:
        raise row.error(
            f"field 'kwargs' must be a list of {n} objects, one per entry of 'instruction_id_list'"
        )
    dicts = [object_value(row, "kwargs[]", item if item is not None else {}) for item in raw]
    return [{k: v for k, v in d.items() if v is not None} for d in dicts]


def parse_ifeval_row(row: Row) -> tuple[Sample, bool]:
    """(sample, False): meta carries the instruction ids and their kwargs."""
    _, key = row.text("key")
    _, prompt = row.text("prompt")
    instructions = text_list(row, "instruction_id_list")
    meta = extra_meta(row, USED)
    meta["instruction_id_list"] = instructions
    meta["kwargs"] = _kwargs(row, len(instructions))
    return Sample(id=key, prompt=prompt, meta=meta), False
