"""The engine table: every engine a spec can name, how its requests are built, loaded and versioned.

One entry per engine (`ENGINES`); the pool loads through it, the plan asks it for the
version that enters unit hashes, and `engine_request` dispatches through it. A new
engine is one module with its `Engine` class plus one entry here (and the name in
`spec.models.ENGINE_NAMES`, which a test keeps equal to this table).
Heavy packages (vLLM, transformers) are imported only when an engine loads.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evalspec.engines.base import Engine, LocalModelConfig
from evalspec.engines.presets import vllm_distribution
from evalspec.engines.requests import (
    EngineRequest,
    hf_request,
    openai_request,
    vllm_request,
)
from evalspec.engines.sources import ModelSource, materialize
from evalspec.spec.models import ModelSpec

RequestBuilder = Callable[
    [ModelSpec, ModelSource, Sequence[tuple[str, str, int]], str | None], EngineRequest
]


@dataclass(frozen=True)
class EngineKind:
    name: str
    build_request: RequestBuilder  # (model, source, adapters (id, path, rank), device)
    load: Callable[[EngineRequest], Engine]  # loads the model (InfraError when it cannot)
    version: Callable[[], str | None]  # what enters unit hashes (None: in the fingerprint)
    remote: bool = False  # the model is behind someone else's endpoint: known by name only
    # can score log-likelihoods after a chat context (has the model's chat template)
    chat_loglikelihood: bool = True


def _load_vllm(request: EngineRequest) -> Engine:
    from evalspec.engines.vllm_engine import VllmEngine

    return VllmEngine.load(_local_config(request))


def _load_hf(request: EngineRequest) -> Engine:
    from evalspec.engines.hf_engine import HfEngine

    return HfEngine.load(_local_config(request))


def _load_http(request: EngineRequest) -> Engine:
    from evalspec.engines.http_load import load_http_engine

    return load_http_engine(request)


def _local_config(request: EngineRequest) -> LocalModelConfig:
    return LocalModelConfig(
        model=materialize(request.source),
        revision=request.source.revision,
        device=request.device,
        kwargs=request.args,
        adapters=request.adapters,
    )


def _vllm_version() -> str | None:
    dist = vllm_distribution()
    return dist[1] if dist else None


def _hf_versions() -> str | None:
    """transformers, torch and peft all shape the outputs."""
    return ",".join(f"{d}=={_dist_version(d)}" for d in ("transformers", "torch", "peft"))


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


ENGINES: dict[str, EngineKind] = {
    kind.name: kind
    for kind in (
        EngineKind("vllm", vllm_request, _load_vllm, _vllm_version),
        EngineKind("vllm-server", vllm_request, _load_http, _vllm_version),
        EngineKind("hf", hf_request, _load_hf, _hf_versions),
        # a remote server: its version is in the engine fingerprint, not the unit hash
        EngineKind(
            "openai",
            openai_request,
            _load_http,
            lambda: None,
            remote=True,
            chat_loglikelihood=False,  # /v1/completions takes text; the template is not ours
        ),
    )
}


def engine_kind(name: str) -> EngineKind:
    return ENGINES[name]


def engine_request(
    model: ModelSpec,
    source: ModelSource,
    adapters: Sequence[tuple[str, str, int]],
    device: str | None = None,
) -> EngineRequest:
    """Effective engine arguments: preset, then the spec's engine_args, then LoRA settings."""
    return ENGINES[model.engine].build_request(model, source, adapters, device)
