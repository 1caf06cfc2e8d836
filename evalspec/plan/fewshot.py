"""Few-shot examples: a seeded draw from another split, written as (question, answer) pairs."""

from __future__ import annotations

import random
from pathlib import Path

from evalspec.data import load_dataset
from evalspec.data.types import Dataset, Sample
from evalspec.errors import SpecError
from evalspec.plan.prompts import Example, check_fields, fill
from evalspec.spec.models import FewShotSpec, TaskSpec


def load_examples(task: TaskSpec, base_dir: Path, where: str) -> Dataset:
    """The dataset the task's few-shot examples come from (its split of the source)."""
    assert task.fewshot is not None
    fewshot = task.fewshot
    dataset_spec = task.dataset
    if fewshot.source is not None:
        dataset_spec = dataset_spec.model_copy(update={"source": fewshot.source})
    try:
        dataset = load_dataset(dataset_spec, base_dir, split=fewshot.split)
    except SpecError as exc:
        raise SpecError(f"{where}: fewshot examples: {exc}") from exc
    if len(dataset.samples) < fewshot.k + 1:
        raise SpecError(
            f"{where}: fewshot.k is {fewshot.k} but split '{fewshot.split}' has only "
            f"{len(dataset.samples)} samples (need k + 1 to leave out the question itself)"
        )
    return dataset


def draw(pool: Dataset, fewshot: FewShotSpec, seed: int) -> list[Sample]:
    """k + 1 examples in a seeded order (one spare: a sample never sees itself)."""
    rng = random.Random(f"fewshot:{seed}:{pool.digest}")
    return rng.sample(list(pool.samples), fewshot.k + 1)


def examples_for(sample: Sample, drawn: list[Sample], task: TaskSpec, where: str) -> list[Example]:
    """The k examples for one sample, in the drawn order, the sample itself left out."""
    assert task.fewshot is not None
    chosen = [ex for ex in drawn if ex.id != sample.id][: task.fewshot.k]
    return [(_question(ex, task), _answer(ex, task, where)) for ex in chosen]


def _question(example: Sample, task: TaskSpec) -> str:
    """The example's question; with per-choice contexts (winogrande) its gold context."""
    if task.output_type == "loglikelihood" and example.contexts and example.gold:
        return fill(task.prompt.template, example, prompt=example.contexts[example.gold[0]])
    return fill(task.prompt.template, example)


def _answer(example: Sample, task: TaskSpec, where: str) -> str:
    assert task.fewshot is not None
    if task.output_type == "loglikelihood":
        if not example.choices or not example.gold:
            raise SpecError(f"{where}: few-shot example '{example.id}' has no gold choice")
        return example.choices[example.gold[0]]
    check_fields(task.fewshot.answer, example, where, "fewshot.answer")
    return fill(task.fewshot.answer, example)
