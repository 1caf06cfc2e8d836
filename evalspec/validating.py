"""The `validate` pipeline: reject what `plan` and `check` would, without loading an engine.

A spec is loaded (templates, stop strings, seeds, schema files, includes), its
thresholds and baseline files are read, and its plan is compiled: datasets are read,
prompts rendered and each scorer's inputs checked; models are located (and the
built-in one converted once) but no engine starts. `spec_only` stops before the plan:
no dataset is read and no model located (for a machine without them). A model catalog
(a file with `models:` and neither `name:` nor `tasks:`) is validated as a catalog.
"""

from __future__ import annotations

from pathlib import Path

from evalspec.checking import load_gate
from evalspec.monitor import interval_from_env
from evalspec.plan import compile_plan
from evalspec.spec import load_catalog, load_spec
from evalspec.spec.yamlsrc import load as load_yaml


def validate_file(path: Path, *, spec_only: bool = False) -> str:
    """The `ok: ...` line for a valid spec or catalog; SpecError (exit 2) for the first
    problem found, or InfraError when a model or dataset package is missing."""
    data = load_yaml(path, str(path)).data
    if isinstance(data, dict) and "models" in data and not {"name", "tasks"} & data.keys():
        catalog = load_catalog(path)
        return f"ok: {path} (model catalog, {len(catalog.models)} models)"
    interval_from_env()  # `check` reads it before the first unit
    loaded = load_spec(path)
    spec = loaded.spec
    line = f"ok: {path} ({len(spec.models)} models, {len(spec.tasks)} tasks)"
    if spec_only:
        load_gate(loaded)  # thresholds (every rule selecting something) and baseline
        return line
    plan = compile_plan(loaded)  # in `check`'s order: the plan's problems first
    load_gate(loaded)
    samples = sum(len(unit.samples) for unit in plan.units)
    return f"{line}: {len(plan.units)} units, {samples} samples"
