"""The base of every spec-file model: strict pydantic settings and the id type."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]


class Strict(BaseModel):
    # strict: YAML already gives native types; `max_tokens: true` or `temperature: "0.5"` is a typo
    # no inf/nan: `.nan` passes no comparison, so a limit or threshold of it would never fire
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
