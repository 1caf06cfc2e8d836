"""The generic `jsonl` format: prompt/target rows; every other key becomes sample meta.

Optional fields with a meaning of their own:
- tags: an object of slice keys ({"difficulty": "hard"}); values become text
- cluster: a name shared by rows that are not independent (one passage, one prompt)
- choices: a list of option continuations for multiple choice, with
  gold: the index (or a list of indices) of the correct option(s) and
  labels: optional option labels (default A, B, C, ...); the target then defaults to the
  first correct option's label.
"""

from __future__ import annotations

from evalspec.data.choices import (
    gold_indices,
    letters,
    optional_cluster,
    optional_tags,
    text_list,
)
from evalspec.data.ids import row_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

PROMPT_KEYS = ("prompt", "question", "input")
TARGET_KEYS = ("target", "answer", "output")
SPECIAL_KEYS = ("id", "tags", "cluster", "choices", "gold", "labels")


def _multiple_choice(row: Row) -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    """(choices, gold, labels) of a row with a `choices` list; all empty without one."""
    if "choices" not in row.fields:
        for key in ("gold", "labels"):
            if key in row.fields:
                raise row.error(f"field '{key}' needs a 'choices' list of options")
        return (), (), ()
    choices = tuple(text_list(row, "choices", min_items=2))
    if "gold" not in row.fields:
        raise row.error("missing required field 'gold' (the index of the correct choice)")
    gold = gold_indices(row, "gold", row.fields["gold"], len(choices))
    labels: tuple[str, ...] = ()
    if "labels" in row.fields:
        labels = tuple(text_list(row, "labels"))
        if len(labels) != len(choices):
            raise row.error(
                f"field 'labels' has {len(labels)} labels for {len(choices)} choices; "
                "give one label per choice"
            )
    elif len(choices) > len(letters(len(choices))):
        raise row.error(f"{len(choices)} choices need a 'labels' list (more than 26)")
    return choices, gold, labels


def parse_jsonl_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): prompt from prompt|question|input, target from target|answer|output.

    A multiple-choice row (`choices` + `gold`) may omit the target: it is then the label of
    the first correct choice.
    """
    prompt_key, prompt = row.text(*PROMPT_KEYS)
    choices, gold, labels = _multiple_choice(row)
    target_key = next((k for k in TARGET_KEYS if k in row.fields), None)
    if target_key is None and choices:
        target = (labels or letters(len(choices)))[gold[0]]
    else:
        target_key, target = row.text(*TARGET_KEYS)
    sample_id, derived = row_id(row, prompt)
    used = {prompt_key, target_key, *SPECIAL_KEYS}
    meta = {k: v for k, v in row.fields.items() if k not in used}
    sample = Sample(
        id=sample_id,
        prompt=prompt,
        target=target,
        meta=meta,
        choices=choices,
        gold=gold,
        labels=labels,
        tags=optional_tags(row),
        cluster=optional_cluster(row),
    )
    return sample, derived
