"""The `humaneval` format: OpenAI HumanEval rows (task_id, prompt, tests, entry point)."""

from __future__ import annotations

from evalspec.data.rows import Row
from evalspec.data.types import Sample


def parse_humaneval_row(row: Row) -> tuple[Sample, bool]:
    """(sample, False): target = canonical solution; meta carries test, entry_point, prompt."""
    _, task_id = row.text("task_id")
    _, prompt = row.text("prompt")
    _, solution = row.text("canonical_solution")
    _, test = row.text("test")
    _, entry_point = row.text("entry_point")
    if not entry_point.isidentifier():
        raise row.error(f"field 'entry_point' is not a Python identifier: {entry_point!r}")
    meta = {"test": test, "entry_point": entry_point, "prompt": prompt}
    return Sample(id=task_id, prompt=prompt, target=solution, meta=meta), False
