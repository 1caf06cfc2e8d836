"""Spec v1: pydantic models, loading with file:line errors, include resolution, JSON Schema."""

from evalspec.spec.loader import (
    LoadedSpec,
    LoadedThresholds,
    load_catalog,
    load_located_thresholds,
    load_spec,
    load_thresholds,
)
from evalspec.spec.models import (
    AdapterSpec,
    DatasetSpec,
    GateSpec,
    GenerationSpec,
    ModelCatalog,
    ModelSpec,
    PromptSpec,
    SamplesSpec,
    Spec,
    TaskSpec,
)
from evalspec.spec.schema import KINDS, json_schema
from evalspec.spec.scorers import ScorerSpec
from evalspec.spec.thresholds import ThresholdRule, Thresholds

__all__ = [
    "KINDS",
    "AdapterSpec",
    "DatasetSpec",
    "GateSpec",
    "GenerationSpec",
    "LoadedSpec",
    "LoadedThresholds",
    "ModelCatalog",
    "ModelSpec",
    "PromptSpec",
    "SamplesSpec",
    "ScorerSpec",
    "Spec",
    "TaskSpec",
    "ThresholdRule",
    "Thresholds",
    "json_schema",
    "load_catalog",
    "load_located_thresholds",
    "load_spec",
    "load_thresholds",
]
