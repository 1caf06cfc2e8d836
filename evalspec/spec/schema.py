"""JSON Schema export of the spec, thresholds and catalog models (`evalspec schema`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from evalspec.errors import SpecError
from evalspec.spec.models import ModelCatalog, Spec
from evalspec.spec.thresholds import Thresholds

DIALECT = "https://json-schema.org/draft/2020-12/schema"

SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "spec": (Spec, "evalspec spec v1"),
    "thresholds": (Thresholds, "evalspec thresholds v1"),
    "catalog": (ModelCatalog, "evalspec model catalog v1"),
}
KINDS: tuple[str, ...] = tuple(SCHEMAS)


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one file kind: spec, thresholds or catalog."""
    if kind not in SCHEMAS:
        raise SpecError(f"unknown schema kind '{kind}'. use one of: {', '.join(KINDS)}")
    model, title = SCHEMAS[kind]
    schema = model.model_json_schema()
    return {"$schema": DIALECT, **schema, "title": title}
