"""The Sample: one evaluation item as every dataset format produces it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sample:
    """One item of a dataset.

    id:       stable across runs (from the file, or derived from content), unique in its dataset.
    prompt:   the text that fills `{prompt}` in the task's prompt template (turn 1 when
              the sample has several turns).
    target:   the reference answer for generate scorers (exact, numeric, regex, math: the
              answer text; choice: the gold option's label, e.g. "B"); "" when the scorer
              reads its reference from `meta` (code tests, IFEval instructions, ...).
    meta:     format-specific fields the scorer needs (humaneval/mbpp: test, entry_point;
              ifeval: instruction_id_list, kwargs; bfcl: functions, ground_truth; ...)
              plus any extra fields of the source row (usable in prompt templates).
    choices:  multiple choice: the continuation of each option, scored by log-likelihood
              after the rendered prompt and the task's choice delimiter (mmlu: "A".."D";
              hellaswag: the endings). Empty for other formats.
    gold:     indices into `choices` of the correct options (mc2: several).
    contexts: per-choice contexts replacing the prompt (winogrande's partial scoring:
              the sentence up to the blank with each option filled in); empty: the
              prompt is the context of every choice.
    labels:   the option labels a generate-mode choice scorer accepts ("A".."D", "yes"...);
              empty: letters A, B, ... one per choice.
    turns:    later user turns of a multi-turn conversation (mt_bench turn 2, ...).
    tags:     slice keys (difficulty, domain, subject): metrics are also reported per tag.
    cluster:  samples sharing a cluster (one passage, one prompt) are not independent:
              standard errors and the gate resample whole clusters.
    preamble: text the whole prompt opens with, before any few-shot examples: the task
              description lm-eval prepends (mmlu: "The following are multiple choice
              questions (with answers) about {subject}.\n\n"). Few-shot examples come from
              pool rows with the same preamble (mmlu: the same subject). "" for most formats.
    """

    id: str
    prompt: str
    target: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    choices: tuple[str, ...] = ()
    gold: tuple[int, ...] = ()
    contexts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    turns: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    cluster: str | None = None
    preamble: str = ""

    def option_labels(self) -> tuple[str, ...]:
        """The labels of the options (explicit, else A, B, C, ... one per choice)."""
        if self.labels:
            return self.labels
        return tuple(chr(ord("A") + i) for i in range(len(self.choices)))


@dataclass(frozen=True)
class Dataset:
    """Samples in file order plus a digest of the source content (for unit hashing)."""

    samples: list[Sample]
    digest: str
    source: str
