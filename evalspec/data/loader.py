"""load_dataset: a DatasetSpec to a Dataset (samples in file order, content digest).

Resolve the source to the split's files, read them into rows (`_file` added when a
directory gave several files), join the answers file on `id`, parse each row with the
format's parser, then apply the spec's `tags` and `cluster` fields and check that ids
are unique. Bad data is a SpecError (exit 2) naming FILE:LINE (or FILE:row N).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from evalspec.data.formats import FORMATS
from evalspec.data.readers import data_stem, read_rows
from evalspec.data.rows import Row, RowFile
from evalspec.data.sources import resolve_source
from evalspec.data.types import Dataset, Sample
from evalspec.digests import sha256_bytes
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec


def load_dataset(spec: DatasetSpec, base_dir: Path, split: str | None = None) -> Dataset:
    """Read the dataset a spec names; `split` overrides spec.split (few-shot examples)."""
    info = FORMATS.get(spec.format)
    if info is None:  # pragma: no cover - the spec model only admits known formats
        raise SpecError(f"unknown dataset format '{spec.format}'; known: {', '.join(FORMATS)}")
    split = split or spec.split or info.default_split
    source = resolve_source(spec.source, base_dir, split, spec.config)
    files = [read_rows(path, info.csv_columns) for path in source.files]
    rows = [_labelled(row, f.path, source.label_files) for f in files for row in f.rows]
    display = source.display
    if spec.answers is not None:
        answers = resolve_source(spec.answers, base_dir, split)
        answer_files = [read_rows(path, info.csv_columns) for path in answers.files]
        rows = _join_answers(rows, answer_files)
        files += answer_files
        display += f" + answers {answers.display}"
    samples: list[Sample] = []
    first_seen: dict[str, Row] = {}
    for row in rows:
        sample, derived = info.parser(row)
        sample = _overrides(sample, row, spec)
        _check_unique(sample.id, derived, row, first_seen)
        samples.append(sample)
    if not samples:
        raise SpecError(f"{display}: the dataset has no rows")
    digest = _digest(files)
    if info.revision > 1:  # the parser's prompts changed: so do the units' hashes
        digest = sha256_bytes(f"{digest} {spec.format} r{info.revision}\n".encode())
    return Dataset(samples=samples, digest=digest, source=display)


def _labelled(row: Row, path: Path, label: bool) -> Row:
    """The row with `_file` (the file's stem) when it came from one of several files."""
    if not label:
        return row
    return dataclasses.replace(row, fields={**row.fields, "_file": data_stem(path)})


def _join_answers(rows: list[Row], answer_files: list[RowFile]) -> list[Row]:
    """Each row with the fields of the answer row of the same `id` (except `id`)."""
    answers: dict[str, Row] = {}
    for answer in (row for f in answer_files for row in f.rows):
        key = _join_key(answer, "answer row")
        if key in answers:
            raise answer.error(f"duplicate answer id '{key}' (first at {answers[key].where})")
        answers[key] = answer
    joined: list[Row] = []
    for row in rows:
        key = _join_key(row, "row")
        found = answers.get(key)
        if found is None:
            raise row.error(f"no answer with id '{key}' in the answers file")
        fields = dict(row.fields)
        for name, value in found.fields.items():
            if name == "id":
                continue
            if name in fields and fields[name] != value:
                raise row.error(f"field '{name}' differs from its answer's ({found.where})")
            fields[name] = value
        joined.append(dataclasses.replace(row, fields=fields))
    return joined


def _join_key(row: Row, what: str) -> str:
    if "id" not in row.fields:
        raise row.error(f"the {what} has no 'id' field to join the answers on")
    return row.text("id")[1]


def _overrides(sample: Sample, row: Row, spec: DatasetSpec) -> Sample:
    """The spec's `tags` and `cluster` fields replace the parser's."""
    if spec.tags is None and spec.cluster is None:
        return sample
    tags = sample.tags
    if spec.tags is not None:
        tags = {name: _field_text(row, name, "dataset.tags") for name in spec.tags}
    cluster = sample.cluster
    if spec.cluster is not None:
        cluster = _field_text(row, spec.cluster, "dataset.cluster")
    return dataclasses.replace(sample, tags=tags, cluster=cluster)


def _field_text(row: Row, name: str, setting: str) -> str:
    if name not in row.fields:
        raise row.error(f"missing field '{name}' named in {setting}")
    return str(row.fields[name])


def _check_unique(sample_id: str, derived: bool, row: Row, first_seen: dict[str, Row]) -> None:
    first = first_seen.setdefault(sample_id, row)
    if first is row:
        return
    hint = (
        "; the id is derived from the prompt text, so two rows have the same prompt: "
        "give them distinct 'id' fields or remove the duplicate"
        if derived
        else ""
    )
    at = first.position if first.file == row.file else first.where
    raise row.error(f"duplicate sample id '{sample_id}' (first at {at}){hint}")


def _digest(files: list[RowFile]) -> str:
    """One file: the sha256 of its bytes; several: the sha256 of their digests and names."""
    if len(files) == 1:
        return files[0].digest
    lines = "".join(f"{f.digest} {f.path.name}\n" for f in files)
    return sha256_bytes(lines.encode("utf-8"))
