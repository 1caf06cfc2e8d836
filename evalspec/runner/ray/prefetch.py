"""Weights made local once, by the driver, before any replica of a model starts.

A built-in model is converted (once per machine, under its lock); a Hugging Face model
at the commit the plan pinned is downloaded into the hub cache when it is not there
and the Hub is reachable. Replicas on this machine (every GPU of a runner) then load
from the local copy instead of racing to download it; nodes of a cluster without a
shared cache fetch their own copy the same way when their replica loads.
"""

from __future__ import annotations

from evalspec.data.hub import cached_snapshot, hub_cache_dir, hub_offline
from evalspec.engines import EngineRequest
from evalspec.engines.sources import materialize
from evalspec.errors import InfraError


def prefetch_weights(request: EngineRequest) -> None:
    source = request.source
    if source.kind == "builtin":
        materialize(source)
    elif source.kind == "hub" and not hub_offline():
        if cached_snapshot(source.location, source.revision) is not None:
            return
        from huggingface_hub import snapshot_download

        try:
            snapshot_download(source.location, revision=source.revision, cache_dir=hub_cache_dir())
        except Exception as exc:  # network, auth, disk: the group cannot run
            raise InfraError(
                f"{request.model_id}: cannot download {source.location}@{source.revision} "
                f"into {hub_cache_dir()}: {type(exc).__name__}: {exc}"
            ) from exc
