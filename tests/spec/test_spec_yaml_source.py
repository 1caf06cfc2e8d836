"""yamlsrc: plain values with per-path lines, and YAML problems as one-line SpecErrors."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalspec.errors import SpecError
from evalspec.spec import yamlsrc


def parse(text: str) -> yamlsrc.Document:
    return yamlsrc.parse(text.encode(), "f.yaml")


def parse_error(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(SpecError) as info:
        yamlsrc.parse(raw, "f.yaml")
    return str(info.value)


def test_values_keep_yaml_scalar_resolution() -> None:
    doc = parse("a: 1\nb: 2.5\nc: true\nd: null\ne: text\nf: '3'\n")
    assert doc.data == {"a": 1, "b": 2.5, "c": True, "d": None, "e": "text", "f": "3"}


def test_lines_are_recorded_for_keys_and_list_items() -> None:
    doc = parse("top:\n  inner: 1\nitems:\n  - x\n  - {k: v}\n")
    assert doc.lines[("top",)] == 1
    assert doc.lines[("top", "inner")] == 2
    assert doc.lines[("items", 0)] == 4
    assert doc.lines[("items", 1, "k")] == 5


def test_where_falls_back_to_nearest_parent_then_to_file() -> None:
    doc = parse("top:\n  inner: 1\n")
    assert doc.where("top", "inner") == "f.yaml:2"
    assert doc.where("top", "missing", "deeper") == "f.yaml:1"
    assert doc.where("absent") == "f.yaml"


def test_format_loc_writes_indexes_in_brackets() -> None:
    assert (
        yamlsrc.format_loc(("tasks", 0, "generation", "stop", 2)) == "tasks[0].generation.stop[2]"
    )


def test_duplicate_key_is_reported_at_second_occurrence() -> None:
    message = parse_error("a: 1\nb:\n  x: 1\n  x: 2\n")
    assert message == "f.yaml:4: b.x: duplicate key 'x' (first at line 3). remove one of them"


def test_syntax_error_reports_line_and_column() -> None:
    message = parse_error("a: 1\nb: [1, 2\n")
    assert message.startswith("f.yaml:3:1: invalid YAML: ")


def test_second_document_is_invalid_yaml() -> None:
    message = parse_error("a: 1\n---\nb: 2\n")
    assert message == (
        "f.yaml:2:1: invalid YAML: expected a single document in the stream, "
        "but found another document"
    )


def test_unknown_tag_is_invalid_yaml() -> None:
    assert parse_error("a: !nope x\n").startswith("f.yaml:1:4: invalid YAML: could not determine")


def test_empty_and_comment_only_files_are_errors() -> None:
    assert parse_error("") == "f.yaml: file is empty. expected a YAML mapping (key: value)"
    assert parse_error("# only a comment\n").startswith("f.yaml: file is empty")


def test_non_string_key_must_be_quoted() -> None:
    assert parse_error("a:\n  yes: 1\n") == (
        'f.yaml:2: a: key yes is read as a bool, not a string. quote it: "yes":'
    )


def test_recursive_alias_is_an_error() -> None:
    assert parse_error("a: &x [*x]\n") == "f.yaml:1: a[0]: recursive alias"


def test_merge_keys_apply_and_explicit_keys_win() -> None:
    doc = parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n")
    assert doc.data["use"] == {"x": 1, "y": 3}
    assert doc.lines[("use", "y")] == 4
    assert doc.lines[("use", "x")] == 1


def test_non_utf8_file_is_an_error() -> None:
    assert parse_error(b"a: \xff\n") == "f.yaml: not UTF-8 text (byte 3)"


def test_missing_file_and_directory_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"^nope\.yaml: file not found$"):
        yamlsrc.load(tmp_path / "nope.yaml", "nope.yaml")
    with pytest.raises(SpecError, match=r"^dir: not a file$"):
        yamlsrc.load(tmp_path, "dir")
