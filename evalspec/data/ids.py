"""Sample ids: reading an `id` field or deriving a stable one from the prompt text."""

from __future__ import annotations

from evalspec.data.rows import Row
from evalspec.digests import sha256_bytes

DERIVED_ID_CHARS = 12


def content_id(prompt: str) -> str:
    """A stable id for a row without one: the first 12 hex digits of sha256(prompt)."""
    return sha256_bytes(prompt.encode("utf-8"))[:DERIVED_ID_CHARS]


def row_id(row: Row, prompt: str) -> tuple[str, bool]:
    """(id, derived): the row's `id` field as text, else the content id of its prompt."""
    given = row.optional_text("id")
    if given is not None:
        if not given.strip():
            raise row.error("field 'id' is empty")
        return given, False
    return content_id(prompt), True
