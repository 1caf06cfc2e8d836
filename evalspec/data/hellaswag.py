"""The `hellaswag` format: HellaSwag (Zellers et al. 2019) sentence completions.

Layouts: original (rowanz/hellaswag data/hellaswag_val.jsonl, `label` an int) and
hf:Rowan/hellaswag (`label` a string, "" in the unlabelled test split): ind,
activity_label, ctx_a, ctx_b, ctx, endings, label.

Follows lm-evaluation-harness's `hellaswag` task (tasks/hellaswag/utils.py): prompt =
preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize()), choices = the
preprocessed endings, where preprocess strips, turns " [title]" into ". ", removes
"[...]" brackets (WikiHow artifacts) and double spaces. gold = label (none for unlabelled
rows), target = its letter. id "hellaswag/<ind>" (else derived from the context).
"""

from __future__ import annotations

import re

from evalspec.data.choices import extra_meta, gold_index, letters, text_list
from evalspec.data.ids import content_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

BRACKETS = re.compile(r"\[.*?\]")
USED = ("ind", "activity_label", "ctx_a", "ctx_b", "ctx", "endings", "label")


def preprocess(text: str) -> str:
    """lm-eval's HellaSwag text clean-up."""
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = BRACKETS.sub("", text)
    return text.replace("  ", " ")


def _gold(row: Row, n: int) -> tuple[int, ...]:
    label = row.fields.get("label")
    if label is None or (isinstance(label, str) and not label.strip()):
        return ()
    return (gold_index(row, "label", label, n),)


def parse_hellaswag_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): preprocessed context and endings, gold = label."""
    _, activity = row.text("activity_label")
    _, ctx_a = row.text("ctx_a")
    ctx_b = row.optional_text("ctx_b") or ""
    endings = [preprocess(e) for e in text_list(row, "endings", min_items=2)]
    prompt = preprocess(activity + ": " + ctx_a + " " + ctx_b.capitalize())
    gold = _gold(row, len(endings))
    ind = row.optional_text("ind")
    derived = content_id("\n".join([prompt, *endings]))
    sample_id = f"hellaswag/{ind}" if ind is not None else derived
    sample = Sample(
        id=sample_id,
        prompt=prompt,
        target=letters(len(endings))[gold[0]] if gold else "",
        meta=extra_meta(row, USED),
        choices=tuple(endings),
        gold=gold,
    )
    return sample, ind is None
