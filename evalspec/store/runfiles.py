"""The typed files of a run directory: manifest.json, results.json and the records.jsonl lines.

Every reader and writer of a run directory goes through these models, so a field is
a typed attribute, never a string looked up in a nested dict, and a file with wrong
types is one clear error naming the file instead of a crash further down.

Versions. Manifests without a ``version`` and ``results.json`` with ``"version": 1``
were written before these models (evalspec 0.1); they are read as version 1 and
upgraded in memory (``upgrade_results``: ``perf.cached_samples`` becomes
``cached_outputs``, a fully cached unit's ``{"cached": true}`` keeps its meaning).
Writers always write the current version. A file of a newer version than this
evalspec knows is refused with a message saying so.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evalspec.monitor.perf import UnitPerf
from evalspec.scoring.results import UnitResult

MANIFEST_VERSION = 2
RESULTS_VERSION = 2

RunStatus = Literal["running", "complete", "failed", "interrupted"]
FINAL_STATUSES: tuple[str, ...] = ("complete", "failed", "interrupted")


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class GitInfo(_File):
    sha: str
    branch: str | None = None  # None: a detached HEAD outside CI, or an older manifest
    dirty: bool | None = None


class Environment(_File):
    """Where the run ran: git revision, Python, platform, package versions."""

    git: GitInfo | None = None
    python: str | None = None
    platform: str | None = None
    packages: dict[str, str | None] = Field(default_factory=dict)


class EngineEntry(_File):
    """One engine a model group asked for (as planned; no weights loaded yet)."""

    model: str
    engine: str
    source: str
    source_digest: str
    device: str
    args: dict[str, Any] = Field(default_factory=dict)


class ManifestUnit(_File):
    unit_id: str
    hash: str
    model: str
    adapter: str | None = None
    task: str
    samples: int
    identity: dict[str, Any] = Field(default_factory=dict)


class MonitorInfo(_File):
    gpu: str
    gpus: list[str] = Field(default_factory=list)
    interval_s: float
    file: str


class RunTargets(_File):
    """What a targeted run covered: `check --model/--task/--adapter` patterns, `--mode`."""

    models: list[str] = Field(default_factory=list)
    tasks: list[str] = Field(default_factory=list)
    adapters: list[str] = Field(default_factory=list)
    mode: str | None = None


class Manifest(_File):
    """manifest.json: what ran, where, and how the run ended."""

    version: int = MANIFEST_VERSION
    run_id: str
    spec: str
    started_at: str
    status: RunStatus = "running"
    finished_at: str | None = None
    reason: str | None = None  # why a run failed or was interrupted, in one sentence
    executor: str = "local"
    spec_path: str | None = None
    spec_digest: str | None = None
    environment: Environment | None = None
    engines: list[EngineEntry] = Field(default_factory=list)
    units: list[ManifestUnit] = Field(default_factory=list)
    monitor: MonitorInfo | None = None
    engine_fingerprints: dict[str, dict[str, Any]] = Field(default_factory=dict)
    targets: RunTargets | None = None  # None: the whole spec as written
    adaptive: bool = False  # samples mode adaptive: each task stopped once its gate was decided

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        return _known(value, MANIFEST_VERSION)

    @property
    def git_sha(self) -> str | None:
        git = self.environment.git if self.environment is not None else None
        return git.sha if git is not None else None


class RunResults(_File):
    """results.json: every unit's result and perf measurements (unit id -> UnitPerf)."""

    version: int = RESULTS_VERSION
    units: list[UnitResult]
    perf: dict[str, UnitPerf] = Field(default_factory=dict)

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        return _known(value, RESULTS_VERSION)


class TokenCounts(_File):
    prompt: int
    completion: int


class Record(_File):
    """One line of records.jsonl: one (sample, attempt) with its prompt, output and score."""

    unit_id: str
    unit_hash: str
    sample_id: str
    sample_index: int
    prompt: str | list[dict[str, str]]
    output: str
    target: Any = ""
    score: float
    extracted: str | None = None
    detail: str | None = None
    isolation: str | None = None
    finish_reason: str | None = None
    tokens: TokenCounts
    latency_s: float | None = None
    cached: bool
    values: dict[str, float] = Field(default_factory=dict)
    excluded: bool = False
    turns: list[str] | None = None  # multi-turn: every turn's output
    loglikelihoods: list[float] | None = None
    judge: list[str] | None = None  # judged units: the judge's reply per turn
    tags: dict[str, str] = Field(default_factory=dict)
    cluster: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The line's JSON object: optional fields left out while they hold their default."""
        return self.model_dump(mode="json", exclude_defaults=True)


def upgrade_results(data: Any) -> Any:
    """A results.json of version 1 in the current layout (other versions unchanged)."""
    if not isinstance(data, dict) or data.get("version") != 1:
        return data
    perf = data.get("perf")
    if isinstance(perf, dict):
        data = {**data, "perf": {k: _upgrade_perf(v) for k, v in perf.items()}}
    return {**data, "version": RESULTS_VERSION}


def upgrade_manifest(data: Any) -> Any:
    """A manifest written before versions (evalspec 0.1) in the current layout."""
    if isinstance(data, dict) and "version" not in data:
        return {**data, "version": MANIFEST_VERSION}
    return data


def _upgrade_perf(perf: Any) -> Any:
    if not isinstance(perf, dict) or "cached_samples" not in perf:
        return perf
    perf = dict(perf)
    perf["cached_outputs"] = perf.pop("cached_samples")
    return perf


def _known(value: int, current: int) -> int:
    if value > current:
        raise ValueError(
            f"version {value} was written by a newer evalspec (this one reads up to "
            f"{current}); upgrade evalspec to read it"
        )
    if value < current:
        raise ValueError(f"version {value} is not readable (expected {current})")
    return value
