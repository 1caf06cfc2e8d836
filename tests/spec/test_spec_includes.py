"""load_spec: include catalogs, model id resolution, gate files, where() and digest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evalspec.errors import SpecError
from evalspec.spec import LoadedSpec, load_spec

Write = Callable[[str, str], Path]  # the `write` fixture of conftest.py

CATALOG = """\
version: 1
models:
  - id: smol
    source: builtin:smollm2-135m-instruct
  - id: big
    source: org/big
    preset: performance
"""

TASKS = """\
tasks:
  - id: t
    dataset: {format: jsonl, source: data.jsonl}
    scorer: {type: exact_match}
"""


def spec_text(models: str, include: str = "include: [models.yaml]\n", extra: str = "") -> str:
    return "version: 1\nname: s\n" + include + models + TASKS + extra


def load_error(path: Path | str) -> str:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return str(info.value)


def test_catalog_ids_resolve_to_catalog_definitions(write: Write) -> None:
    write("specs/models.yaml", CATALOG)
    loaded = load_spec(write("specs/s.yaml", spec_text("models: [big]\n")))
    assert loaded.spec.models == loaded.spec.resolved_models()
    assert [(m.id, m.preset) for m in loaded.spec.resolved_models()] == [("big", "performance")]


def test_inline_models_and_catalog_ids_keep_spec_order(write: Write) -> None:
    write("models.yaml", CATALOG)
    models = "models:\n  - big\n  - id: own\n    source: org/own\n  - smol\n"
    loaded = load_spec(write("s.yaml", spec_text(models)))
    assert [m.id for m in loaded.spec.resolved_models()] == ["big", "own", "smol"]
    assert all(not isinstance(m, str) for m in loaded.spec.models)


def test_no_models_listed_means_every_catalog_model(write: Write) -> None:
    write("models.yaml", CATALOG)
    write("more.yaml", "version: 1\nmodels:\n  - {id: third, source: org/third}\n")
    loaded = load_spec(
        write("s.yaml", spec_text("", include="include: [models.yaml, more.yaml]\n"))
    )
    assert [m.id for m in loaded.spec.resolved_models()] == ["smol", "big", "third"]


def test_unknown_catalog_id_suggests_closest_id(write: Write) -> None:
    write("models.yaml", CATALOG)
    path = write("s.yaml", spec_text("models:\n  - smoll\n"))
    assert load_error(path) == (
        "s.yaml:5: models[0]: unknown model id 'smoll' (did you mean 'smol'?). "
        "catalog models: smol, big"
    )


def test_model_id_without_any_catalog_is_an_error(write: Write) -> None:
    path = write("s.yaml", spec_text("models: [smol]\n", include=""))
    assert load_error(path) == (
        "s.yaml:3: models[0]: unknown model id 'smol': no catalog is included. "
        "define the model here or add `include: [models.yaml]`"
    )


def test_model_defined_in_spec_and_catalog_is_an_error(write: Write) -> None:
    write("models.yaml", CATALOG)
    path = write("s.yaml", spec_text("models:\n  - id: big\n    source: other\n"))
    assert load_error(path) == (
        "s.yaml:5: models[0].id: model id 'big' is also defined at models.yaml:5. "
        "write just `- big` to use the catalog's model, or rename this one"
    )


def test_model_defined_in_two_catalogs_is_an_error(write: Write) -> None:
    write("cat/a.yaml", CATALOG)
    write(
        "cat/b.yaml", "version: 1\nmodels:\n  - id: x\n    source: s\n  - id: big\n    source: t\n"
    )
    path = write("s.yaml", spec_text("", include="include: [cat/a.yaml, cat/b.yaml]\n"))
    assert load_error(path) == (
        "cat/b.yaml:5: models[1].id: model id 'big' is also defined at cat/a.yaml:5. "
        "rename one of them"
    )


def test_same_catalog_included_twice_is_an_error(write: Write) -> None:
    write("models.yaml", CATALOG)
    path = write("s.yaml", spec_text("", include="include:\n  - models.yaml\n  - ./models.yaml\n"))
    assert load_error(path) == "s.yaml:5: include[1]: './models.yaml' is already include[0]"


def test_duplicate_catalog_reference_points_at_second(write: Write) -> None:
    write("models.yaml", CATALOG)
    path = write("s.yaml", spec_text("models:\n  - smol\n  - smol\n"))
    assert load_error(path) == (
        "s.yaml:6: models[1]: duplicate model id 'smol' (first at line 5). give each a unique id"
    )


def test_no_models_at_all_is_an_error(write: Write) -> None:
    path = write("s.yaml", spec_text("", include=""))
    assert load_error(path) == (
        "s.yaml: models: no models to run. define one under `models:` or include a model catalog"
    )


def test_missing_include_is_reported_at_its_line(write: Write) -> None:
    path = write("specs/s.yaml", spec_text("", include="include:\n  - ../catalogs/m.yaml\n"))
    assert load_error(path) == (
        "specs/s.yaml:4: include[0]: file not found: catalogs/m.yaml. "
        "paths are relative to the spec's directory"
    )


def test_invalid_catalog_is_reported_in_the_catalog_file(write: Write) -> None:
    write("models.yaml", CATALOG.replace("preset: performance", "preset: turbo"))
    path = write("s.yaml", spec_text("models: [big]\n"))
    assert load_error(path).startswith("models.yaml:7: models[1].preset: invalid value 'turbo'")


def test_missing_thresholds_file_is_reported_at_its_key(write: Write) -> None:
    write("models.yaml", CATALOG)
    gate = "gate:\n  baseline: base.json\n  thresholds: th/s.yaml\n"
    path = write("s.yaml", spec_text("", extra=gate))
    assert load_error(path) == (
        "s.yaml:10: gate.thresholds: file not found: th/s.yaml. "
        "paths are relative to the spec's directory"
    )


def test_existing_thresholds_and_absent_baseline_are_accepted(write: Write) -> None:
    write("models.yaml", CATALOG)
    write("th/s.yaml", "version: 1\n")
    gate = "gate: {thresholds: th/s.yaml, baseline: baselines/none-yet.json}\n"
    loaded = load_spec(write("s.yaml", spec_text("", extra=gate)))
    assert loaded.resolve(loaded.spec.gate.thresholds or "").is_file()


def test_path_and_base_dir_are_resolved(write: Write, tmp_path: Path) -> None:
    write("specs/models.yaml", CATALOG)
    loaded = load_spec(write("specs/s.yaml", spec_text("")))
    assert loaded.path == (tmp_path / "specs" / "s.yaml").resolve()
    assert loaded.base_dir == (tmp_path / "specs").resolve()
    assert loaded.resolve("data.jsonl") == loaded.base_dir / "data.jsonl"


def loaded_for_where(write: Write) -> LoadedSpec:
    write("specs/models.yaml", CATALOG)
    models = "models:\n  - big\n  - id: own\n    source: org/own\n"
    return load_spec(write("specs/s.yaml", spec_text(models)))


def test_where_gives_file_and_line_of_a_field(write: Write) -> None:
    loaded = loaded_for_where(write)
    assert loaded.where("tasks", 0, "dataset", "source") == "specs/s.yaml:10"
    assert loaded.where("tasks", 0, "scorer") == "specs/s.yaml:11"


def test_where_falls_back_to_parent_then_file(write: Write) -> None:
    loaded = loaded_for_where(write)
    assert loaded.where("tasks", 0, "generation", "max_tokens") == "specs/s.yaml:9"
    assert loaded.where("samples", "mode") == "specs/s.yaml"


def test_where_of_a_model_points_into_the_file_defining_it(write: Write) -> None:
    loaded = loaded_for_where(write)
    assert loaded.where("models", 0, "source") == "specs/models.yaml:6"
    assert loaded.where("models", 0, "engine_args") == "specs/models.yaml:5"
    assert loaded.where("models", 1, "source") == "specs/s.yaml:7"


def test_digest_changes_when_an_included_catalog_changes(write: Write) -> None:
    write("models.yaml", CATALOG)
    path = write("s.yaml", spec_text(""))
    before = load_spec(path).digest
    assert load_spec(path).digest == before
    write("models.yaml", CATALOG.replace("org/big", "org/bigger"))
    assert load_spec(path).digest != before


def test_digest_changes_when_the_spec_changes(write: Write) -> None:
    write("models.yaml", CATALOG)
    before = load_spec(write("s.yaml", spec_text(""))).digest
    after = load_spec(write("s.yaml", spec_text("", extra="samples: {mode: full}\n"))).digest
    assert len(before) == 64
    assert after != before
