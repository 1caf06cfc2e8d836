"""JSON Schemas a spec or dataset supplies (json scorer): checked early, never fetched.

`check_schema` runs when the spec is loaded (`scorer.schema_file`) or the plan is
compiled (a sample's own `schema`): the schema must be a JSON object valid against its
draft's meta-schema (Draft 2020-12 unless `$schema` says), and every `$ref` must resolve
inside the schema itself. `validator` builds the validator scoring uses, whose registry
refuses retrieval: no schema ever makes evalspec open a URL or a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import referencing
import referencing.exceptions
import referencing.jsonschema
from jsonschema_specifications import REGISTRY as SPECIFICATIONS  # type: ignore[import-untyped]

# referencing's default `retrieve` raises NoSuchResource: a $ref outside the schema (a URL,
# another file) stays unresolved instead of being fetched, as jsonschema's default would
NO_RETRIEVAL: referencing.Registry[Any] = referencing.Registry()
_INLINE = "evalspec fetches no schema: put the definition under $defs and use '#/$defs/NAME'"


def validator(schema: Mapping[str, Any]) -> Any:
    """A jsonschema validator for `schema` (its draft, Draft 2020-12 by default) that
    resolves `$ref` only inside the schema."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, registry=NO_RETRIEVAL)


def check_schema(schema: Any) -> None:
    """ValueError (one sentence) when `schema` is not a usable JSON Schema."""
    if not isinstance(schema, Mapping):
        raise ValueError(f"a JSON Schema is a JSON object, got {type(schema).__name__}")
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise ValueError(f"invalid JSON Schema at {where}: {exc.message[:200]}") from None
    except RecursionError:
        raise ValueError("the JSON Schema is nested too deeply to check") from None
    dialect = schema.get("$schema")
    specification = referencing.jsonschema.specification_with(
        dialect if isinstance(dialect, str) else "",
        default=referencing.jsonschema.DRAFT202012,
    )
    root = specification.create_resource(schema)
    resolver = SPECIFICATIONS.combine(NO_RETRIEVAL).resolver_with_root(root)
    for at, ref in _refs(resolver, root):
        try:
            at.lookup(ref)
        except referencing.exceptions.Unresolvable:
            raise ValueError(
                f"$ref {ref[:100]!r} does not resolve inside the schema; {_INLINE}"
            ) from None
    try:
        validator(schema).is_valid(None)
    except RecursionError:
        raise ValueError("the schema's $ref chain never ends (a $ref cycle)") from None


def read_schema_file(path: Path) -> dict[str, Any]:
    """The checked JSON Schema in a file; ValueError saying what is wrong (line included)."""
    try:
        value = json.loads(path.read_bytes())
    except OSError as exc:
        raise ValueError(f"cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    check_schema(value)
    return dict(value)


def _refs(resolver: Any, resource: referencing.Resource[Any]) -> Iterator[tuple[Any, str]]:
    """Each `$ref` / `$dynamicRef` of the schema with the (referencing) resolver of its
    scope, which knows the base URI set by enclosing `$id`s."""
    contents = resource.contents
    if isinstance(contents, Mapping):
        for key in ("$ref", "$dynamicRef"):
            ref = contents.get(key)
            if isinstance(ref, str):
                yield resolver, ref
    for sub in resource.subresources():
        yield from _refs(resolver.in_subresource(sub), sub)
