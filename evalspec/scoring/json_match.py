"""The json scorer: structured output, checked for validity, a JSON Schema and target fields.

Per-sample metrics (`Score.values`): json_valid; schema_valid when a schema is given;
field_match (the fraction of the target's top-level fields matched) and exact_match (all
matched) when a target is given. The primary value is field_match with a target, else
json_valid.

Schemas are checked before anything is generated (`evalspec.spec.json_schemas`) and
resolve `$ref` only inside themselves. An output nested too deeply to parse is invalid
JSON; a schema whose validation does not end on an output (a `$ref` cycle that the
output walks into) makes that sample an error, left out of the metrics.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import referencing.exceptions

from evalspec.scoring.results import Score
from evalspec.spec.json_schemas import validator

JSON_METRICS = ("field_match", "json_valid", "schema_valid", "exact_match")

FENCE = re.compile(r"```[ \t]*(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)(?:```|\Z)", re.DOTALL)
OPENING = re.compile(r"[{\[]")
THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def _loads(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply to read"


def _span_end(text: str, start: int) -> int | None:
    """The index after the bracket span opening at text[start] (strings respected), or None."""
    closing = {"{": "}", "[": "]"}
    stack: list[str] = []
    in_string = escaped = False
    for i in range(start, len(text)):
        char = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in closing:
            stack.append(closing[char])
        elif char in "}]":
            if not stack or stack.pop() != char:
                return None
            if not stack:
                return i + 1
    return None


def _spans(text: str) -> list[tuple[Any, str | None]]:
    """Each top-level balanced {...} / [...] span of prose, parsed (a failed span is skipped
    whole: the valid object inside `{"a": {"b": 1},}` does not make it valid)."""
    found = []
    i = 0
    while (match := OPENING.search(text, i)) is not None:
        end = _span_end(text, match.start())
        if end is None:
            i = match.start() + 1
            continue
        found.append(_loads(text[match.start() : end]))
        i = end
    return found


def extract_json(output: str) -> tuple[Any | None, str | None]:
    """(value, None) for the JSON an output holds, else (None, why).

    The whole output, else a ```json fenced block (else any fenced block), else the first
    balanced {...} / [...] span of the prose that parses; a list of scalars (a citation
    like "[1]") gives way to a later object.
    """
    text = output.strip()
    value, error = _loads(text)
    if error is None:
        return value, None
    blocks = [(m.group("lang").lower(), m.group("body")) for m in FENCE.finditer(output)]
    if blocks:
        ordered = [b for lang, b in blocks if lang == "json"] + [
            b for lang, b in blocks if lang != "json"
        ]
        first_error = None
        for body in ordered:
            value, block_error = _loads(body.strip())
            if block_error is None:
                return value, None
            first_error = first_error or block_error
        return None, first_error
    spans = _spans(text)
    parsed = [value for value, span_error in spans if span_error is None]
    if parsed:
        for value in parsed:
            if isinstance(value, dict) or any(isinstance(v, dict | list) for v in value):
                return value, None
        return parsed[0], None
    if spans:
        return None, spans[0][1]
    return None, error if text[:1] in ("{", "[") else "no JSON found"


class SchemaTrouble(Exception):
    """Validation against a schema could not finish (the sample is an error, not a 0)."""


def schema_error(value: Any, schema: Mapping[str, Any]) -> str | None:
    """Why `value` does not satisfy `schema` (Draft 2020-12 unless `$schema` says), or None.

    SchemaTrouble when validation cannot finish: a `$ref` cycle the value walks into
    (RecursionError) or a reference that does not resolve inside the schema.
    """
    try:
        error = jsonschema.exceptions.best_match(validator(schema).iter_errors(value))
    except RecursionError:
        raise SchemaTrouble("validation did not end (a $ref cycle in the schema?)") from None
    except (referencing.exceptions.Unresolvable, jsonschema.SchemaError) as exc:
        raise SchemaTrouble(f"the schema cannot be used ({str(exc)[:200]})") from None
    if error is None:
        return None
    path = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"schema: {error.message} at {path}"


def _show(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except RecursionError:
        return "(nested too deeply to show)"


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def mismatch(got: Any, want: Any, path: str) -> str | None:
    """Where `got` differs from `want` ("address.city: expected 'Paris', got 'London'")."""
    where = path or "(root)"
    if isinstance(want, bool) or want is None:
        same = got is want
    elif isinstance(want, int | float) or (
        isinstance(got, int | float) and not isinstance(got, bool)
    ):
        x, y = _as_number(got), _as_number(want)
        same = x is not None and y is not None and math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
        if not same and isinstance(want, str) and isinstance(got, int | float):
            same = str(got).casefold() == want.strip().casefold()
    elif isinstance(want, str):
        same = isinstance(got, str) and got.strip().casefold() == want.strip().casefold()
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{where}: expected {_show(want)}, got {_show(got)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            found = mismatch(g, w, f"{path}[{i}]")
            if found:
                return found
        return None
    elif isinstance(want, Mapping):
        if not isinstance(got, Mapping):
            return f"{where}: expected an object, got {_show(got)}"
        for key, w in want.items():
            sub = f"{path}.{key}" if path else str(key)
            if key not in got:
                return f"{sub}: missing"
            found = mismatch(got[key], w, sub)
            if found:
                return found
        return None
    else:
        same = got == want
    return None if same else f"{where}: expected {_show(want)}, got {_show(got)}"


def json_score(
    output: str,
    *,
    target: Mapping[str, Any] | None,
    schema: Mapping[str, Any] | None,
) -> Score:
    """The json metrics of one output (see the module doc); detail: the first failure."""
    value, error = extract_json(output)
    valid = error is None
    extracted = _show(value) if valid else None
    values: dict[str, float] = {"json_valid": float(valid)}
    details: list[str] = [] if valid else [error or "invalid JSON"]
    if schema is not None:
        try:
            why = schema_error(value, schema) if valid else "invalid JSON"
        except SchemaTrouble as exc:
            return Score(0.0, extracted=extracted, detail=f"error: {exc}; left out", excluded=True)
        values["schema_valid"] = float(why is None)
        if valid and why is not None:
            details.append(why)
    if target is not None:
        matched, misses = 0, []
        if isinstance(value, Mapping):
            for key, want in target.items():
                why = f"{key}: missing" if key not in value else mismatch(value[key], want, key)
                matched += why is None
                misses += [why] if why else []
        elif valid:
            misses.append(f"expected an object, got {type(value).__name__}")
        details += misses[:1]
        field = matched / len(target) if target else float(valid and isinstance(value, Mapping))
        values["field_match"] = field
        values["exact_match"] = float(field == 1.0)
    primary = values["field_match"] if target is not None else values["json_valid"]
    return Score(primary, extracted=extracted, detail="; ".join(details) or None, values=values)
