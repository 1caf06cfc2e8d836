"""The format registry: every format a spec may name has a parser, split and publication."""

from __future__ import annotations

from typing import get_args

from evalspec.data.formats import FORMATS
from evalspec.spec.models import DatasetFormat

OWN_FORMATS = {"jsonl", "json_extraction", "open_qa"}


def test_every_spec_format_is_registered() -> None:
    assert set(get_args(DatasetFormat)) == set(FORMATS)


def test_published_formats_say_where_they_are_published() -> None:
    for name, info in FORMATS.items():
        assert bool(info.published) == (name not in OWN_FORMATS), name


def test_default_splits() -> None:
    splits = {name: info.default_split for name, info in FORMATS.items()}
    assert {n for n, s in splits.items() if s == "validation"} == {
        "hellaswag",
        "winogrande",
        "truthfulqa_mc1",
        "truthfulqa_mc2",
    }
    assert {n for n, s in splits.items() if s == "train"} == {"ifeval", "mt_bench"}
