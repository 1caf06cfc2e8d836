"""The `winogrande` format: WinoGrande (Sakaguchi et al. 2020) fill-in-the-blank pairs.

Layouts: original (allenai/winogrande dev.jsonl: qID, sentence, option1, option2, answer)
and hf:allenai/winogrande (the same without qID); answer is "1" or "2" ("" in test).

Follows lm-evaluation-harness's `winogrande` task (tasks/winogrande/preprocess_winogrande.py),
partial scoring: with idx = sentence.index("_"), the contexts are sentence[:idx] + option1
and sentence[:idx] + option2, and both choices are the same continuation
sentence[idx+1:].strip() (the scorer adds the " " delimiter). prompt = the sentence,
labels ("1", "2"), gold = answer - 1, target = the answer ("" when unlabelled).
id: qID, else derived from the sentence.
"""

from __future__ import annotations

from evalspec.data.choices import extra_meta
from evalspec.data.ids import content_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

LABELS = ("1", "2")
USED = ("qID", "sentence", "option1", "option2", "answer")


def parse_winogrande_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): per-option contexts sharing one continuation."""
    _, sentence = row.text("sentence")
    _, option1 = row.text("option1")
    _, option2 = row.text("option2")
    if "_" not in sentence:
        raise row.error("field 'sentence' has no '_' blank; WinoGrande sentences mark it with _")
    idx = sentence.index("_")
    continuation = sentence[idx + 1 :].strip()
    answer = (row.optional_text("answer") or "").strip()
    if answer and answer not in LABELS:
        raise row.error(f'field \'answer\' is {answer!r}; it must be "1", "2" or "" (test)')
    qid = row.optional_text("qID")
    sample = Sample(
        id=qid if qid else content_id(sentence),
        prompt=sentence,
        target=answer,
        meta=extra_meta(row, USED) | {"option1": option1, "option2": option2},
        choices=(continuation, continuation),
        gold=(LABELS.index(answer),) if answer else (),
        contexts=(sentence[:idx] + option1, sentence[:idx] + option2),
        labels=LABELS,
    )
    return sample, not qid
