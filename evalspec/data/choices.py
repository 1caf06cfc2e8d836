"""Helpers shared by the format parsers: typed row fields, multiple-choice options and gold.

Every helper raises `row.error(...)` naming the field, what is wrong and what it should be.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from evalspec.data.rows import Row

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def letters(n: int) -> tuple[str, ...]:
    """The option letters A, B, C, ... for n options."""
    return tuple(LETTERS[:n])


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def text_value(row: Row, key: str, value: object, what: str = "a string") -> str:
    """`value` (read from field `key`) as text: strings as is, numbers as their text."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise row.error(f"field '{key}' must be {what}, got {_type_name(value)}")


def text_list(row: Row, key: str, *, min_items: int = 1) -> list[str]:
    """Field `key` as a list of strings (numbers become text); at least `min_items`."""
    if key not in row.fields:
        raise row.error(f"missing required field '{key}' (a list of strings)")
    return text_items(row, key, row.fields[key], min_items=min_items)


def text_items(row: Row, key: str, value: object, *, min_items: int = 1) -> list[str]:
    """`value` (read from field `key`) as a list of strings with at least `min_items` items."""
    if not isinstance(value, list | tuple):
        raise row.error(f"field '{key}' must be a list of strings, got {_type_name(value)}")
    items = [text_value(row, key, v, "a list of strings (an item is not)") for v in value]
    if len(items) < min_items:
        raise row.error(f"field '{key}' must have at least {min_items} item(s), got {len(items)}")
    return items


def object_field(row: Row, key: str) -> dict[str, Any]:
    """Field `key` as a JSON object."""
    if key not in row.fields:
        raise row.error(f"missing required field '{key}' (a JSON object)")
    return object_value(row, key, row.fields[key])


def object_value(row: Row, key: str, value: object) -> dict[str, Any]:
    """`value` (read from field `key`) as a JSON object with string keys."""
    if not isinstance(value, dict):
        raise row.error(f"field '{key}' must be a JSON object, got {_type_name(value)}")
    return {str(k): v for k, v in value.items()}


def optional_tags(row: Row, key: str = "tags") -> dict[str, str]:
    """An optional `tags` object: its values as text (slice keys); {} when absent."""
    if key not in row.fields or row.fields[key] is None:
        return {}
    tags = object_value(row, key, row.fields[key])
    return {
        k: text_value(row, f"{key}.{k}", v, "a string or a number (tag values are slice keys)")
        for k, v in tags.items()
    }


def optional_cluster(row: Row, key: str = "cluster") -> str | None:
    """An optional cluster name (samples sharing a passage); None when absent or null."""
    if key not in row.fields or row.fields[key] is None:
        return None
    return text_value(row, key, row.fields[key], "a string or a number naming the cluster")


def extra_meta(row: Row, used: Iterable[str]) -> dict[str, Any]:
    """The row's fields not in `used` (and not reader fields such as `_file`), for meta."""
    skip = set(used)
    return {k: v for k, v in row.fields.items() if k not in skip and not k.startswith("_")}


def gold_index(row: Row, key: str, value: object, n: int) -> int:
    """A 0-based option index read from an int (or digit text) field with n options."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise row.error(
            f"field '{key}' must be the index of the correct option (0 to {n - 1}), got {value!r}"
        )
    if not 0 <= value < n:
        raise row.error(f"field '{key}' is {value}, out of range: it must be 0 to {n - 1}")
    return value


def gold_by_label(row: Row, key: str, labels: Sequence[str]) -> int:
    """The index of the option whose label is field `key`'s value (e.g. answerKey "B")."""
    _, answer = row.text(key)
    answer = answer.strip()
    if answer not in labels:
        raise row.error(
            f"field '{key}' is {answer!r}, which is not an option label; "
            f"it must be one of {', '.join(labels)}"
        )
    return list(labels).index(answer)


def gold_indices(row: Row, key: str, value: object, n: int) -> tuple[int, ...]:
    """One index or a list of indices (several correct options) into n options."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise row.error(f"field '{key}' is an empty list; give at least one correct option index")
    return tuple(sorted({gold_index(row, key, item, n) for item in items}))
