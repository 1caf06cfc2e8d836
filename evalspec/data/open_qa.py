"""The `open_qa` format: evalspec's own open-ended questions for judged scoring.

One JSON object per line:

    {"id": "q1",                                   optional: else derived from the question
     "question": "Why is the sky blue?",            the prompt
     "reference": "Rayleigh scattering ...",        optional reference answer for the judge
     "rubric": "Full marks if it names ...",        optional grading rubric for the judge
     "tags": {"topic": "physics"},                  optional slice keys
     "cluster": "set-3"}                            optional: rows that are not independent

prompt = question; target = the reference ("" without one); meta["reference"] and
meta["rubric"] when given; other fields stay in meta (usable in prompt templates).
"""

from __future__ import annotations

from evalspec.data.choices import extra_meta, optional_cluster, optional_tags
from evalspec.data.ids import row_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

USED = ("id", "question", "reference", "rubric", "tags", "cluster")


def parse_open_qa_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): the question, with reference and rubric in meta."""
    _, question = row.text("question")
    sample_id, derived = row_id(row, question)
    meta = extra_meta(row, USED)
    for key in ("reference", "rubric"):
        value = row.optional_text(key) if row.fields.get(key) is not None else None
        if value is not None:
            meta[key] = value
    sample = Sample(
        id=sample_id,
        prompt=question,
        target=meta.get("reference", ""),
        meta=meta,
        tags=optional_tags(row),
        cluster=optional_cluster(row),
    )
    return sample, derived
