"""The repo's fixtures in the Hugging Face layouts lm-eval's task definitions read.

Each peer task config includes lm-eval's own task YAML (from the installed package) and
replaces only where the rows come from: `custom_dataset: !function peer_layouts.<layout>`
with `dataset_kwargs: {files: {split: path}}` (paths relative to the repository root).
evalspec reads the same files in their published layouts with its own parsers, so equal
prompts on both sides also check that the two readings agree.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import datasets

ROOT = Path(__file__).resolve().parents[2]
LETTERS = "ABCD"


def _json_rows(path: str) -> list[dict[str, Any]]:
    text = (ROOT / path).read_text(encoding="utf-8")
    if path.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    if isinstance(data, dict):  # PubMedQA's ori_pqal.json: {PMID: row}
        return [{"PUBMED_ID": key, **row} for key, row in data.items()]
    return list(data)


def _dataset(files: dict[str, str], convert: Any) -> datasets.DatasetDict:
    return datasets.DatasetDict(
        {
            split: datasets.Dataset.from_list([convert(row) for row in _json_rows(path)])
            for split, path in files.items()
        }
    )


def plain(files: dict[str, str], **_: Any) -> datasets.DatasetDict:
    """Layouts lm-eval reads as they are (gsm8k, hellaswag, winogrande, IFEval)."""
    return _dataset(files, lambda row: row)


def arc(files: dict[str, str], **_: Any) -> datasets.DatasetDict:
    """AI2's ARC jsonl (question.stem, question.choices) -> allenai/ai2_arc."""

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        options = row["question"]["choices"]
        return {
            "id": row["id"],
            "question": row["question"]["stem"],
            "choices": {
                "text": [o["text"] for o in options],
                "label": [o["label"] for o in options],
            },
            "answerKey": row["answerKey"],
        }

    return _dataset(files, convert)


def truthfulqa(files: dict[str, str], **_: Any) -> datasets.DatasetDict:
    """TruthfulQA's mc_task.json ({answer: 0/1}) -> truthfulqa/truthful_qa multiple_choice."""

    def targets(answers: dict[str, int]) -> dict[str, list[Any]]:
        return {"choices": list(answers), "labels": list(answers.values())}

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "question": row["question"],
            "mc1_targets": targets(row["mc1_targets"]),
            "mc2_targets": targets(row["mc2_targets"]),
        }

    return _dataset(files, convert)


def pubmedqa(files: dict[str, str], **_: Any) -> datasets.DatasetDict:
    """PubMedQA's ori_pqal.json -> bigbio/pubmed_qa pubmed_qa_labeled_fold0_source."""
    return _dataset(files, lambda row: row)


def mmlu(files: dict[str, str], **_: Any) -> datasets.DatasetDict:
    """hendrycks/test header-less CSVs (question, A-D, answer letter) -> cais/mmlu."""

    def rows(path: str) -> list[dict[str, Any]]:
        subject = Path(path).stem.rsplit("_", 1)[0]
        with (ROOT / path).open(encoding="utf-8", newline="") as handle:
            return [
                {
                    "question": q,
                    "subject": subject,
                    "choices": [a, b, c, d],
                    "answer": LETTERS.index(answer.strip()),
                }
                for q, a, b, c, d, answer in csv.reader(handle)
            ]

    return datasets.DatasetDict(
        {split: datasets.Dataset.from_list(rows(path)) for split, path in files.items()}
    )
