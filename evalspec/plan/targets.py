"""Targeting: which models, adapters and tasks of a spec a run covers, and its sample mode.

`--model`, `--task` and `--adapter` take ids or glob patterns (fnmatch, repeatable: a
unit is selected when each of its model, adapter and task matches one pattern of that
option, or the option is not given). The base model's "adapter" is ``-``, as in
thresholds rules. A pattern that matches nothing is a usage error listing the valid
ids. `--mode` replaces the spec's sample mode (and its `samples.limit`); a task's own
`limit` still caps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from evalspec.errors import SpecError
from evalspec.spec.models import SAMPLE_MODES, SamplesSpec, Spec

BASE_ADAPTER = "-"  # the base model's adapter id, as thresholds rules spell it


@dataclass(frozen=True)
class Targets:
    """What a run covers: glob patterns per option (empty: everything) and a sample mode."""

    models: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    adapters: tuple[str, ...] = ()
    mode: str | None = None

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in SAMPLE_MODES:
            raise SpecError(
                f"--mode {self.mode!r}: unknown sample mode; valid: {', '.join(SAMPLE_MODES)}"
            )

    @property
    def narrowed(self) -> bool:
        """True when an option leaves units of the spec out."""
        return bool(self.models or self.tasks or self.adapters)

    def model(self, model_id: str) -> bool:
        return _matches(model_id, self.models)

    def task(self, task_id: str) -> bool:
        return _matches(task_id, self.tasks)

    def adapter(self, adapter_id: str | None) -> bool:
        return _matches(adapter_id or BASE_ADAPTER, self.adapters)

    def selects(self, model: str, adapter: str | None, task: str) -> bool:
        return self.model(model) and self.adapter(adapter) and self.task(task)

    def samples(self, samples: SamplesSpec) -> SamplesSpec:
        """The spec's sample settings with `--mode` applied (it replaces `samples.limit`)."""
        if self.mode is None:
            return samples
        return samples.model_copy(update={"mode": self.mode, "limit": None})

    def check(self, spec: Spec) -> None:
        """A SpecError (exit 2) for a pattern that matches no id of the spec, listing them."""
        models = spec.resolved_models()
        adapters = [BASE_ADAPTER, *dict.fromkeys(a.id for m in models for a in m.adapters)]
        for option, patterns, valid in (
            ("--model", self.models, [m.id for m in models]),
            ("--task", self.tasks, [t.id for t in spec.tasks]),
            ("--adapter", self.adapters, adapters),
        ):
            for pattern in patterns:
                if not any(fnmatchcase(v, pattern) for v in valid):
                    raise SpecError(
                        f"{option} {pattern!r} matches no {option[2:]} of spec '{spec.name}'; "
                        f"valid: {', '.join(_shown(valid))}"
                    )

    def options(self) -> str:
        """The options as typed, e.g. "--model smol --task 'arith*' --mode quick"."""
        parts = [
            f"{option} {_quoted(pattern)}"
            for option, patterns in (
                ("--model", self.models),
                ("--adapter", self.adapters),
                ("--task", self.tasks),
            )
            for pattern in patterns
        ]
        if self.mode is not None:
            parts.append(f"--mode {self.mode}")
        return " ".join(parts)

    def scope(self, ran: int, total: int, spec_mode: str) -> str | None:
        """What the report says about coverage, or None for an untargeted run."""
        if not self.narrowed and self.mode is None:
            return None
        parts = []
        if self.narrowed:
            parts.append(
                f"only {ran} of the spec's {total} units ran; the gate covers only these "
                "(baseline units that were not run are not compared)"
            )
        if self.mode is not None and self.mode != spec_mode:
            parts.append(f"sample mode {self.mode} (the spec says {spec_mode})")
        return f"Targeted run ({self.options()}): " + "; ".join(parts or ["as the spec says"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": list(self.models),
            "tasks": list(self.tasks),
            "adapters": list(self.adapters),
            "mode": self.mode,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Targets:
        data = data or {}
        return cls(
            models=tuple(data.get("models") or ()),
            tasks=tuple(data.get("tasks") or ()),
            adapters=tuple(data.get("adapters") or ()),
            mode=data.get("mode"),
        )


def targets(
    models: Iterable[str] = (),
    tasks: Iterable[str] = (),
    adapters: Iterable[str] = (),
    mode: str | None = None,
) -> Targets:
    """Targets from command-line values (duplicates dropped, order kept)."""
    return Targets(
        models=_unique(models), tasks=_unique(tasks), adapters=_unique(adapters), mode=mode
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _matches(value: str, patterns: Sequence[str]) -> bool:
    return not patterns or any(fnmatchcase(value, p) for p in patterns)


def _shown(valid: list[str]) -> list[str]:
    return [f"{v} (the base model)" if v == BASE_ADAPTER else v for v in valid]


def _quoted(pattern: str) -> str:
    return f"'{pattern}'" if any(c in pattern for c in "*?[] ") else pattern
