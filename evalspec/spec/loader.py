"""Loading spec, catalog and thresholds files: validation, `include:` resolution, digests.

Every problem with a file becomes one `SpecError` line naming the file, the YAML
line and the field path; relative paths in a spec resolve against its directory.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from evalspec.errors import SpecError
from evalspec.spec import yamlsrc
from evalspec.spec.explain import explain, show
from evalspec.spec.json_schemas import read_schema_file
from evalspec.spec.models import ModelCatalog, ModelSpec, Spec
from evalspec.spec.thresholds import Thresholds
from evalspec.spec.yamlsrc import Document

M = TypeVar("M", bound=BaseModel)
PathArg = str | os.PathLike[str]


@dataclass(frozen=True)
class _Origin:
    """Where a resolved model is defined: a document and its index in that `models:` list."""

    doc: Document
    index: int


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with its models resolved, and where its fields sit in the files."""

    spec: Spec
    path: Path  # resolved
    base_dir: Path  # the spec's directory; relative paths in the spec resolve against it
    digest: str  # sha256 over the spec file and its included catalogs, in order
    _doc: Document = field(repr=False, compare=False)
    _origins: tuple[_Origin, ...] = field(repr=False, compare=False)

    def where(self, *loc: str | int) -> str:
        """`FILE:LINE` of a field path such as ("tasks", 0, "dataset", "source").

        Falls back to the nearest existing parent, then to just FILE. Paths under
        ("models", i) point into the file that defines model i (spec or catalog).
        """
        index = loc[1] if len(loc) >= 2 and loc[0] == "models" else None
        if isinstance(index, int) and 0 <= index < len(self._origins):
            origin = self._origins[index]
            return origin.doc.where("models", origin.index, *loc[2:])
        return self._doc.where(*loc)

    def resolve(self, relative: str) -> Path:
        """A path written in the spec, resolved against the spec's directory."""
        return self.base_dir / relative


def load_spec(path: PathArg) -> LoadedSpec:
    """Load and validate a spec; resolve `include:` catalogs and model ids."""
    display = os.fspath(path)
    doc = _parse(Path(path), display)
    spec = _validate(Spec, doc)
    resolved = Path(path).resolve()
    base_dir = resolved.parent
    catalogs = _load_includes(spec, doc, base_dir)
    catalog = _catalog_index(catalogs)
    models, origins = _resolve_models(spec, doc, catalog)
    judges, _ = _resolve_entries(spec.judges, "judges", doc, catalog)
    _check_judges(spec, doc, models, judges)
    _check_gate_files(spec, doc, base_dir)
    _check_scorer_files(spec, doc, base_dir)
    digest = _digest([doc.raw, *(cat.raw for cat, _ in catalogs)])
    return LoadedSpec(
        spec=spec.model_copy(update={"models": models, "judges": judges}),
        path=resolved,
        base_dir=base_dir,
        digest=digest,
        _doc=doc,
        _origins=tuple(origins),
    )


@dataclass(frozen=True)
class LoadedThresholds:
    """A validated thresholds file and where its fields sit (for errors found later)."""

    thresholds: Thresholds
    _doc: Document = field(repr=False, compare=False)

    def where(self, *loc: str | int) -> str:
        """`FILE:LINE` of a field path such as ("rules", 2, "task")."""
        return self._doc.where(*loc)


def load_thresholds(path: PathArg) -> Thresholds:
    """Load and validate a thresholds file."""
    return load_located_thresholds(path).thresholds


def load_located_thresholds(path: PathArg) -> LoadedThresholds:
    """Load and validate a thresholds file, keeping the line of every field."""
    doc = _parse(Path(path), os.fspath(path))
    return LoadedThresholds(_validate(Thresholds, doc), doc)


def load_catalog(path: PathArg) -> ModelCatalog:
    """Load and validate a model catalog file (`version: 1`, `models: [...]`)."""
    return _validate(ModelCatalog, _parse(Path(path), os.fspath(path)))


def _parse(path: Path, display: str) -> Document:
    doc = yamlsrc.load(path, display)
    if not isinstance(doc.data, dict):
        got = "a list" if isinstance(doc.data, list) else f"a scalar ({show(doc.data)})"
        raise SpecError(
            f"{doc.display}:{doc.line(()) or 1}: the top level must be a mapping (key: value), "
            f"got {got}"
        )
    return doc


def _validate(model: type[M], doc: Document) -> M:
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise explain(exc, doc, model) from None


def _referenced(doc: Document, loc: yamlsrc.Loc, relative: str, base_dir: Path) -> Path:
    """A file a spec names (relative to the spec); missing: an error at the naming key."""
    target = base_dir / relative
    if not target.is_file():
        shown = os.path.normpath(os.path.join(os.path.dirname(doc.display), relative))
        problem = "file not found" if not target.exists() else "not a file"
        raise doc.error(loc, f"{problem}: {shown}. paths are relative to the spec's directory")
    return target


def _load_includes(
    spec: Spec, doc: Document, base_dir: Path
) -> list[tuple[Document, ModelCatalog]]:
    catalogs: list[tuple[Document, ModelCatalog]] = []
    seen: dict[Path, int] = {}
    for i, relative in enumerate(spec.include):
        target = _referenced(doc, ("include", i), relative, base_dir).resolve()
        if target in seen:
            raise doc.error(("include", i), f"'{relative}' is already include[{seen[target]}]")
        seen[target] = i
        shown = os.path.normpath(os.path.join(os.path.dirname(doc.display), relative))
        cat_doc = _parse(target, shown)
        catalogs.append((cat_doc, _validate(ModelCatalog, cat_doc)))
    return catalogs


def _catalog_index(
    catalogs: list[tuple[Document, ModelCatalog]],
) -> dict[str, tuple[ModelSpec, _Origin]]:
    catalog: dict[str, tuple[ModelSpec, _Origin]] = {}
    for cat_doc, cat in catalogs:
        for j, model in enumerate(cat.models):
            if model.id in catalog:
                first = catalog[model.id][1]
                raise cat_doc.error(
                    ("models", j, "id"),
                    f"model id '{model.id}' is also defined at "
                    f"{first.doc.where('models', first.index, 'id')}. rename one of them",
                )
            catalog[model.id] = (model, _Origin(cat_doc, j))
    return catalog


def _resolve_models(
    spec: Spec, doc: Document, catalog: dict[str, tuple[ModelSpec, _Origin]]
) -> tuple[list[ModelSpec], list[_Origin]]:
    """Replace catalog ids by definitions; no models listed: every catalog model."""
    if not spec.models:
        if not catalog:
            raise doc.error(
                ("models",),
                "no models to run. define one under `models:` or include a model catalog",
            )
        return [m for m, _ in catalog.values()], [o for _, o in catalog.values()]
    return _resolve_entries(spec.models, "models", doc, catalog)


def _resolve_entries(
    entries: list[ModelSpec | str],
    key: str,
    doc: Document,
    catalog: dict[str, tuple[ModelSpec, _Origin]],
) -> tuple[list[ModelSpec], list[_Origin]]:
    models: list[ModelSpec] = []
    origins: list[_Origin] = []
    for i, entry in enumerate(entries):
        if isinstance(entry, ModelSpec):
            if entry.id in catalog:
                origin = catalog[entry.id][1]
                raise doc.error(
                    (key, i, "id"),
                    f"model id '{entry.id}' is also defined at "
                    f"{origin.doc.where('models', origin.index, 'id')}. "
                    f"write just `- {entry.id}` to use the catalog's model, or rename this one",
                )
            models.append(entry)
            origins.append(_Origin(doc, i))
        elif entry in catalog:
            models.append(catalog[entry][0])
            origins.append(catalog[entry][1])
        else:
            raise doc.error((key, i), _unknown_model(entry, list(catalog)))
    return models, origins


def _check_judges(
    spec: Spec, doc: Document, models: list[ModelSpec], judges: list[ModelSpec]
) -> None:
    """A judge scorer's model must be a model or judge of this spec."""
    model_ids = {m.id for m in models}
    for j, judge in enumerate(judges):
        if judge.id in model_ids:
            raise doc.error(
                ("judges", j),
                f"'{judge.id}' is both a model and a judge; a model of the spec can judge "
                "already: remove it from `judges:`",
            )
    known = {m.id for m in [*models, *judges]}
    for i, task in enumerate(spec.tasks):
        if task.scorer.type == "judge" and task.scorer.model not in known:
            close = difflib.get_close_matches(task.scorer.model, sorted(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise doc.error(
                ("tasks", i, "scorer", "model"),
                f"judge model '{task.scorer.model}' is not in this spec{hint}. "
                "add it under `judges:` (judge only) or `models:`",
            )


def _unknown_model(name: str, known: list[str]) -> str:
    if not known:
        return (
            f"unknown model id '{name}': no catalog is included. "
            "define the model here or add `include: [models.yaml]`"
        )
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.0)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown model id '{name}'{hint}. catalog models: {', '.join(known)}"


def _check_gate_files(spec: Spec, doc: Document, base_dir: Path) -> None:
    """The thresholds file must exist; the baseline may not exist yet (first run)."""
    if spec.gate.thresholds is not None:
        _referenced(doc, ("gate", "thresholds"), spec.gate.thresholds, base_dir)


def _check_scorer_files(spec: Spec, doc: Document, base_dir: Path) -> None:
    """A json scorer's schema_file must exist and hold a usable JSON Schema."""
    for i, task in enumerate(spec.tasks):
        relative = getattr(task.scorer, "schema_file", None)
        if relative is None:
            continue
        loc = ("tasks", i, "scorer", "schema_file")
        target = _referenced(doc, loc, relative, base_dir)
        try:
            read_schema_file(target)
        except ValueError as exc:
            shown = os.path.normpath(os.path.join(os.path.dirname(doc.display), relative))
            raise doc.error(loc, f"{shown}: {exc}; fix the schema file") from None


def _digest(parts: list[bytes]) -> str:
    """sha256 over the files' bytes in order, each framed by its length."""
    h = hashlib.sha256()
    for raw in parts:
        h.update(len(raw).to_bytes(8, "big"))
        h.update(raw)
    return h.hexdigest()
