"""Few-shot examples, picked as lm-evaluation-harness's samplers pick them.

- first_n: each evaluated row gets the first k rows of the pool (lm-eval's MMLU);
- random:  lm-eval's default sampler: one generator seeded with `samples.seed` (lm-eval's
  fewshot seed, 1234 by default) draws k rows from the pool for each evaluated row in turn,
  in file order, so a row's examples do not depend on which rows a run selects.

The pool is split by preamble (lm-eval's per-subject MMLU tasks each sample their own
subject's rows, with their own generator). When the examples come from the evaluated rows
themselves (the same files), k + 1 are taken and the row itself is left out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from evalspec.data import load_dataset
from evalspec.data.formats import FORMATS
from evalspec.data.types import Dataset, Sample
from evalspec.errors import SpecError
from evalspec.plan.prompts import Example, Shots, check_fields, fill
from evalspec.spec.models import FewShotSpec, TaskSpec


@dataclass(frozen=True)
class Pool(Dataset):
    """The examples' dataset, with the evaluated rows it picks for (in file order)."""

    evaluated: tuple[Sample, ...] = ()
    same_split: bool = False  # the examples are the evaluated rows: leave each row out
    sampler: Literal["first_n", "random"] = "random"


class Drawn(list[Sample]):
    """Every example some evaluated row uses (first use first: the unit identity lists
    them), and each evaluated row's own examples, by sample id."""

    def __init__(self, chosen: dict[str, list[Sample]]) -> None:
        used: dict[str, Sample] = {}
        for examples in chosen.values():
            for example in examples:
                used.setdefault(example.id, example)
        super().__init__(used.values())
        self.chosen = chosen


def load_examples(task: TaskSpec, base_dir: Path, where: str) -> Pool:
    """The pool the task's few-shot examples come from (its split of the source), checked
    to hold k examples (k + 1 on the evaluated split) for every evaluated row."""
    assert task.fewshot is not None
    fewshot = task.fewshot
    dataset_spec = task.dataset
    if fewshot.source is not None:
        dataset_spec = dataset_spec.model_copy(update={"source": fewshot.source})
    try:
        pool = load_dataset(dataset_spec, base_dir, split=fewshot.split)
        evaluated = load_dataset(task.dataset, base_dir)
    except SpecError as exc:
        raise SpecError(f"{where}: fewshot examples: {exc}") from exc
    same = pool.digest == evaluated.digest
    need = fewshot.k + 1 if same else fewshot.k
    groups = _groups(pool.samples)
    for sample in evaluated.samples:
        have = len(groups.get(sample.preamble, []))
        if have < need:
            subject = sample.tags.get("subject") if sample.preamble else None
            scope = f" for subject '{subject}'" if subject else ""
            why = " (need k + 1 to leave out the question itself)" if same else ""
            raise SpecError(
                f"{where}: fewshot.k is {fewshot.k} but split '{fewshot.split}' has only "
                f"{have} samples{scope}{why}"
            )
    sampler = fewshot.sampler or FORMATS[task.dataset.format].fewshot_sampler
    return Pool(
        samples=pool.samples,
        digest=pool.digest,
        source=pool.source,
        evaluated=tuple(evaluated.samples),
        same_split=same,
        sampler=sampler,
    )


def draw(pool: Pool, fewshot: FewShotSpec, seed: int) -> Drawn:
    """Each evaluated row's examples (k, the row itself never among them)."""
    k = fewshot.k
    groups = _groups(pool.samples)
    rngs: dict[str, random.Random] = {}
    chosen: dict[str, list[Sample]] = {}
    for sample in pool.evaluated:
        group = groups[sample.preamble]
        if pool.sampler == "first_n":
            picked = group[: k + 1] if pool.same_split else group[:k]
        else:
            rng = rngs.setdefault(sample.preamble, random.Random(seed))
            picked = rng.sample(group, k + 1 if pool.same_split else k)
        if pool.same_split:
            picked = [ex for ex in picked if ex.id != sample.id][:k]
        chosen[sample.id] = picked
    return Drawn(chosen)


def examples_for(sample: Sample, drawn: list[Sample], task: TaskSpec, where: str) -> Shots:
    """The sample's examples written out, with the preamble its prompt opens with."""
    assert task.fewshot is not None and isinstance(drawn, Drawn)
    examples: list[Example] = [
        (_question(ex, task), _answer(ex, task, where)) for ex in drawn.chosen[sample.id]
    ]
    return Shots(examples, preamble=sample.preamble)


def _groups(samples: list[Sample]) -> dict[str, list[Sample]]:
    """The pool's rows by preamble, in file order (MMLU: one group per subject)."""
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(sample.preamble, []).append(sample)
    return groups


def _question(example: Sample, task: TaskSpec) -> str:
    """The example's question; with per-choice contexts (winogrande) its gold context."""
    if task.output_type == "loglikelihood" and example.contexts and example.gold:
        context = example.contexts[example.gold[0]]
        return fill(task.prompt.template, example, prompt=context, preamble=False)
    return fill(task.prompt.template, example, preamble=False)


def _answer(example: Sample, task: TaskSpec, where: str) -> str:
    assert task.fewshot is not None
    if task.output_type == "loglikelihood":
        if not example.choices or not example.gold:
            raise SpecError(f"{where}: few-shot example '{example.id}' has no gold choice")
        return example.choices[example.gold[0]]
    check_fields(task.fewshot.answer, example, where, "fewshot.answer")
    return fill(task.fewshot.answer, example, preamble=False)
