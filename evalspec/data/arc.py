"""The `arc`, `arc_challenge` and `arc_easy` formats: AI2 Reasoning Challenge questions.

Layouts:
- original (ARC-V1-Feb2018 ARC-Challenge-Test.jsonl):
  id, question: {stem, choices: [{text, label}]}, answerKey
- hf:allenai/ai2_arc: id, question (text), choices: {text: [...], label: [...]}, answerKey

The prompt follows lm-evaluation-harness's `arc_easy`/`arc_challenge` tasks:
"Question: {question}\\nAnswer:"; choices are the option texts (scored as continuations),
labels their labels (A-D, or 1-4 in some rows), gold the answerKey's index and target the
answerKey. id: the `id` field.
"""

from __future__ import annotations

from typing import Any

from evalspec.data.choices import (
    extra_meta,
    gold_by_label,
    object_field,
    object_value,
    text_items,
    text_value,
)
from evalspec.data.ids import row_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

USED = ("id", "question", "choices", "answerKey")


def _original_options(row: Row, question: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    stem = text_value(row, "question.stem", question.get("stem"))
    raw = question.get("choices")
    if not isinstance(raw, list) or not raw:
        raise row.error("field 'question.choices' must be a list of {text, label} objects")
    texts: list[str] = []
    labels: list[str] = []
    for option in raw:
        item = object_value(row, "question.choices[]", option)
        texts.append(text_value(row, "question.choices[].text", item.get("text")))
        labels.append(text_value(row, "question.choices[].label", item.get("label")))
    return stem, texts, labels


def _hf_options(row: Row) -> tuple[str, list[str], list[str]]:
    _, stem = row.text("question")
    choices = object_field(row, "choices")
    texts = text_items(row, "choices.text", choices.get("text"))
    labels = text_items(row, "choices.label", choices.get("label"))
    if len(texts) != len(labels):
        raise row.error(
            f"field 'choices' has {len(texts)} texts but {len(labels)} labels; "
            "they must pair up one to one"
        )
    return stem, texts, labels


def parse_arc_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): options as continuations, labels, gold from answerKey."""
    question = row.fields.get("question")
    if isinstance(question, dict):
        stem, texts, labels = _original_options(row, question)
    else:
        stem, texts, labels = _hf_options(row)
    if len(set(labels)) != len(labels):
        raise row.error(f"the option labels {labels} repeat; each option needs its own label")
    gold = gold_by_label(row, "answerKey", labels)
    sample_id, derived = row_id(row, stem)
    meta = extra_meta(row, USED)
    meta["question"] = stem
    sample = Sample(
        id=sample_id,
        prompt=f"Question: {stem}\nAnswer:",
        target=labels[gold],
        meta=meta,
        choices=tuple(texts),
        gold=(gold,),
        labels=tuple(labels),
    )
    return sample, derived
