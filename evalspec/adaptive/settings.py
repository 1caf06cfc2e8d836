"""An adaptive run's settings, from `samples` (or `check --adaptive`), fixed before looking."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from evalspec.gate.sequential import Target
from evalspec.spec import LoadedSpec
from evalspec.spec.models import SamplesSpec

ADAPTIVE = "adaptive"


@dataclass(frozen=True)
class AdaptiveSettings:
    """Budget, looks, target and α split of every sequential rule of a run."""

    max_samples: int | None  # the budget in samples per unit; None: every selected sample
    first_look: int  # units (samples, or clusters) observed before the first decision
    every: int | None  # units added per look; None: auto (a quarter of those seen, >= 16)
    target: Target
    sequential_share: float
    seed: int  # the order's seed when the baseline records none

    @classmethod
    def of(cls, samples: SamplesSpec) -> AdaptiveSettings:
        return cls(
            max_samples=None if samples.max == "full" else samples.max,
            first_look=samples.first_look,
            every=None if samples.every == "auto" else samples.every,
            target=Target(samples.target),
            sequential_share=samples.sequential_share,
            seed=samples.seed,
        )


def adaptive_settings(loaded: LoadedSpec) -> AdaptiveSettings | None:
    """The spec's adaptive settings; None when its samples mode is not adaptive."""
    samples = loaded.spec.samples
    return AdaptiveSettings.of(samples) if samples.mode == ADAPTIVE else None


def force_adaptive(loaded: LoadedSpec) -> LoadedSpec:
    """The spec in mode adaptive (`check --adaptive`: the command line wins over the file).

    A spec already in mode adaptive keeps its settings; any other keeps its seed and
    limit and gets the adaptive defaults (budget: every selected sample)."""
    samples = loaded.spec.samples
    if samples.mode == ADAPTIVE:
        return loaded
    adaptive = SamplesSpec(mode="adaptive", seed=samples.seed, limit=samples.limit)
    spec = loaded.spec.model_copy(update={"samples": adaptive})
    return dataclasses.replace(loaded, spec=spec)
