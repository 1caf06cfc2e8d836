"""The `mmlu` format: MMLU (Hendrycks et al. 2021) four-option questions.

Layouts:
- original (hendrycks/test data/test/<subject>_test.csv): header-less CSV rows read with
  the columns question, A, B, C, D, answer (a letter); the subject is a `subject` column,
  else the file's stem without its _test/_dev/_val suffix (`_file`, or the row's file).
- hf:cais/mmlu: question, subject, choices (4 strings), answer (index 0-3).

The prompt follows lm-evaluation-harness's `mmlu` task (tasks/mmlu/default/_default_template_yaml):
"{question.strip()}\\nA. {A}\\nB. {B}\\nC. {C}\\nD. {D}\\nAnswer:"; choices are the
letters "A".."D" (scored as continuations), gold the correct letter's index, target the
letter, meta["options"] the option texts, tags {"subject": ...}. The preamble is lm-eval's
per-subject description, "The following are multiple choice questions (with answers) about
{subject, underscores as spaces}.\\n\\n", which opens the prompt before any few-shot examples
(and groups them: examples come from the same subject's rows).
id: "<subject>/<12 hex digits of sha256(question + options)>", stable whichever files
or splits the rows are read from.
"""

from __future__ import annotations

from pathlib import Path

from evalspec.data.choices import extra_meta, gold_by_label, gold_index, letters, text_list
from evalspec.data.ids import content_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample

CSV_COLUMNS = ("question", "A", "B", "C", "D", "answer")
LETTERS = letters(4)
SPLIT_SUFFIXES = ("_test", "_dev", "_val", "_validation", "_train", "_auxiliary_train")
USED = ("question", "subject", "choices", "answer", *LETTERS)


def _file_stem(row: Row) -> str | None:
    """The reader's `_file` field (several files), else the stem of the row's own file."""
    stem = row.optional_text("_file")
    if stem is None and row.file:
        stem = Path(row.file).name.split(".", 1)[0]
    return stem or None


def subject_of(row: Row) -> str | None:
    """The `subject` field, else the file stem without its split suffix."""
    subject = row.optional_text("subject")
    if subject is None:
        stem = _file_stem(row)
        if stem is None:
            return None
        for suffix in SPLIT_SUFFIXES:
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        subject = stem
    return subject.strip() or None


def _options_and_gold(row: Row) -> tuple[list[str], int]:
    if "choices" in row.fields:
        options = text_list(row, "choices", min_items=4)
        if len(options) != 4:
            raise row.error(f"field 'choices' must have 4 options, got {len(options)}")
        return options, gold_index(row, "answer", row.fields.get("answer"), 4)
    options = [row.text(letter)[1] for letter in LETTERS]
    return options, gold_by_label(row, "answer", LETTERS)


def mmlu_prompt(question: str, options: list[str]) -> str:
    """lm-eval's MMLU prompt: the question, lettered options, then "Answer:"."""
    lines = [question.strip()]
    lines.extend(f"{letter}. {option}" for letter, option in zip(LETTERS, options, strict=True))
    lines.append("Answer:")
    return "\n".join(lines)


def description(subject: str) -> str:
    """lm-eval's MMLU task description (tasks/mmlu/_generate_configs.py) for a subject."""
    return (
        "The following are multiple choice questions (with answers) about "
        f"{' '.join(subject.split('_'))}.\n\n"
    )


def parse_mmlu_row(row: Row) -> tuple[Sample, bool]:
    """(sample, True): choices A-D, gold index, target letter, subject tag."""
    _, question = row.text("question")
    options, gold = _options_and_gold(row)
    subject = subject_of(row)
    digest = content_id("\n".join([question.strip(), *options]))
    meta = extra_meta(row, USED)
    meta["options"] = options
    sample = Sample(
        id=f"{subject or 'mmlu'}/{digest}",
        prompt=mmlu_prompt(question, options),
        target=LETTERS[gold],
        meta=meta,
        choices=LETTERS,
        gold=(gold,),
        tags={"subject": subject} if subject else {},
        preamble=description(subject) if subject else "",
    )
    return sample, True
