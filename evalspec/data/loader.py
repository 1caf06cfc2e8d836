"""load_dataset: a DatasetSpec to a Dataset (samples in file order, content digest)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evalspec.data.gsm8k import parse_gsm8k_row
from evalspec.data.humaneval import parse_humaneval_row
from evalspec.data.jsonl import parse_jsonl_row
from evalspec.data.rows import Row, read_rows
from evalspec.data.sources import resolve_source
from evalspec.data.types import Dataset, Sample
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

RowParser = Callable[[Row], tuple[Sample, bool]]

PARSERS: dict[str, RowParser] = {
    "jsonl": parse_jsonl_row,
    "gsm8k": parse_gsm8k_row,
    "humaneval": parse_humaneval_row,
}


def load_dataset(spec: DatasetSpec, base_dir: Path) -> Dataset:
    """Read the dataset a spec names; raises SpecError (exit 2) naming FILE:LINE on bad data."""
    parser = PARSERS.get(spec.format)
    if parser is None:  # pragma: no cover - the spec model only admits known formats
        raise SpecError(f"unknown dataset format '{spec.format}'; known: {', '.join(PARSERS)}")
    path = resolve_source(spec.source, base_dir)
    rows = read_rows(path)
    samples: list[Sample] = []
    first_seen: dict[str, int] = {}
    for row in rows.rows:
        sample, derived = parser(row)
        if sample.id in first_seen:
            hint = (
                "; the id is derived from the prompt text, so two rows have the same prompt: "
                "give them distinct 'id' fields or remove the duplicate"
                if derived
                else ""
            )
            raise row.error(
                f"duplicate sample id '{sample.id}' (first at line {first_seen[sample.id]}){hint}"
            )
        first_seen[sample.id] = row.line
        samples.append(sample)
    if not samples:
        raise SpecError(f"{path}: the dataset has no rows")
    return Dataset(samples=samples, digest=rows.digest, source=str(path))
