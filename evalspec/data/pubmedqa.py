"""The `pubmedqa` format: PubMedQA (Jin et al. 2019) labelled yes/no/maybe questions.

Layouts:
- original (pubmedqa data/ori_pqal.json, an object keyed by PMID; the reader gives each
  entry's key as `_key`): QUESTION, CONTEXTS (list), LABELS, MESHES, final_decision,
  LONG_ANSWER
- hf:bigbio/pubmed_qa (config pubmed_qa_labeled_fold0_source): the same upper-case fields
- hf:qiaojin/PubMedQA (config pqa_labeled): pubid, question,
  context: {contexts: [...], labels: [...]}, long_answer, final_decision

The prompt follows lm-evaluation-harness's `pubmedqa` task (tasks/pubmedqa/preprocess_pubmedqa.py):
"Abstract: {contexts joined by newlines}\\nQuestion: {question}\\nAnswer:". choices and
labels ("yes", "no", "maybe"), gold the final decision's index, target the decision,
meta["long_answer"]. id = the PMID (`_key`, `pubid` or `id`), else derived from the question.
"""

from __future__ import annotations

from evalspec.data.choices import extra_meta, gold_by_label, object_field, text_items, text_list
from evalspec.data.ids import content_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

DECISIONS = ("yes", "no", "maybe")
ID_KEYS = ("_key", "pubid", "PMID", "pmid", "id")
USED = (
    *ID_KEYS,
    "QUESTION",
    "question",
    "CONTEXTS",
    "context",
    "final_decision",
    "LONG_ANSWER",
    "long_answer",
)


def _contexts(row: Row) -> list[str]:
    if "CONTEXTS" in row.fields:
        return text_list(row, "CONTEXTS")
    context = object_field(row, "context")
    return text_items(row, "context.contexts", context.get("contexts"))


def _pmid(row: Row) -> str | None:
    for key in ID_KEYS:
        value = row.optional_text(key)
        if value is not None and value.strip():
            return value.strip()
    return None


def parse_pubmedqa_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): abstract + question prompt, yes/no/maybe choices."""
    _, question = row.text("QUESTION", "question")
    contexts = _contexts(row)
    gold = gold_by_label(row, "final_decision", DECISIONS)
    long_answer = row.optional_text("LONG_ANSWER") or row.optional_text("long_answer")
    meta = extra_meta(row, USED)
    if long_answer is not None:
        meta["long_answer"] = long_answer
    pmid = _pmid(row)
    abstract = "\n".join(contexts)
    sample = Sample(
        id=pmid if pmid is not None else content_id(question),
        prompt=f"Abstract: {abstract}\nQuestion: {question}\nAnswer:",
        target=DECISIONS[gold],
        meta=meta,
        choices=DECISIONS,
        gold=(gold,),
        labels=DECISIONS,
    )
    return sample, pmid is None
