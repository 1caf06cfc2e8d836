"""The Sample: one evaluation item as every dataset format produces it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sample:
    """One item of a dataset.

    id:      stable across runs (from the file, or derived from content), unique in its dataset.
    prompt:  the text that fills `{prompt}` in the task's prompt template.
    target:  the reference answer (exact/numeric scorers); may be "" for code tasks.
    meta:    format-specific fields the scorer needs (humaneval: test, entry_point, prompt)
             plus any extra fields of the source row (usable in prompt templates).
    """

    id: str
    prompt: str
    target: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    """Samples in file order plus a digest of the source content (for unit hashing)."""

    samples: list[Sample]
    digest: str
    source: str
