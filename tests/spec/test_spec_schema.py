"""JSON Schema export, checked against the repo's example specs, catalogs and thresholds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from evalspec.errors import SpecError
from evalspec.spec import KINDS, json_schema, load_catalog, load_spec, load_thresholds

REPO = Path(__file__).parents[2]


def example_files() -> list[tuple[Path, str]]:
    """(file, kind) for every YAML file under specs/ and thresholds/ of the repo."""
    found: list[tuple[Path, str]] = []
    for path in sorted((REPO / "specs").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "tasks" in data:
            found.append((path, "spec"))
        elif isinstance(data, dict) and "models" in data:
            found.append((path, "catalog"))
    found += [(path, "thresholds") for path in sorted((REPO / "thresholds").glob("*.yaml"))]
    return found


def validate(data: Any, kind: str) -> None:
    schema = json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)


def test_every_kind_has_dialect_and_title() -> None:
    assert KINDS == ("spec", "thresholds", "catalog")
    for kind in KINDS:
        schema = json_schema(kind)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["title"].startswith("evalspec ")
        jsonschema.Draft202012Validator.check_schema(schema)


def test_unknown_kind_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match=r"^unknown schema kind 'plan'\. use one of: spec, "):
        json_schema("plan")


def test_schema_rejects_unknown_keys_like_the_loader() -> None:
    spec: dict[str, Any] = {
        "version": 1,
        "name": "s",
        "models": [{"id": "m", "source": "x"}],
        "tasks": [
            {
                "id": "t",
                "dataset": {"format": "jsonl", "source": "d"},
                "scorer": {"type": "numeric"},
            }
        ],
    }
    validate(spec, "spec")
    spec["tasks"][0]["generaton"] = {}
    with pytest.raises(jsonschema.ValidationError):
        validate(spec, "spec")


def test_repo_has_example_specs_and_thresholds() -> None:
    kinds = {kind for _, kind in example_files()}
    assert {"spec", "thresholds"} <= kinds, (
        f"no example specs/*.yaml (with `tasks:`) or thresholds/*.yaml under {REPO}; "
        f"found kinds: {sorted(kinds)}"
    )


@pytest.mark.parametrize(
    ("path", "kind"),
    example_files(),
    ids=[str(path.relative_to(REPO)) for path, _ in example_files()],
)
def test_repo_example_matches_schema_and_loads(path: Path, kind: str) -> None:
    validate(yaml.safe_load(path.read_text(encoding="utf-8")), kind)
    if kind == "spec":
        assert load_spec(path).spec.resolved_models()
    elif kind == "catalog":
        assert load_catalog(path).models
    else:
        assert load_thresholds(path).version == 1
