"""Which executor runs a check: `--executor` / `--ray-address` (they win), else the spec's `run:`.

`choose_executor` checks the choice against the spec before a run exists (exit 2 with
the file and line) and builds the executor without starting anything; `release` ends
it after the run (a Ray executor stops its actors and the local cluster it started;
the local executor's engine stays resident in the process-wide pool).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from evalspec.engines import default_pool
from evalspec.errors import InfraError, SpecError
from evalspec.runner.executor import Executor
from evalspec.runner.local import LocalExecutor
from evalspec.spec import LoadedSpec
from evalspec.spec.models import ModelSpec

EXECUTORS = ("local", "ray")


def choose_executor(
    loaded: LoadedSpec,
    name: str | None = None,
    ray_address: str | None = None,
    notify: Callable[[str], None] = lambda _: None,
) -> Executor:
    run = loaded.spec.run
    chosen = name or ("ray" if ray_address else run.executor)
    if chosen == "local":
        if ray_address:
            raise SpecError("--ray-address needs the ray executor; drop --executor local")
        return LocalExecutor(default_pool())
    _check_ray_spec(loaded)
    if importlib.util.find_spec("ray") is None:
        raise InfraError(
            "the ray executor needs Ray: install evalspec's `ray` extra "
            "(pip install 'evalspec[ray]', or `make install`)"
        )
    from evalspec.runner.ray import RayExecutor, RaySettings

    return RayExecutor(RaySettings.from_spec(run, ray_address), notify=notify)


def release(executor: Executor) -> None:
    """End an executor `choose_executor` made, once the run is over."""
    if not isinstance(executor, LocalExecutor):
        executor.close()


def _check_ray_spec(loaded: LoadedSpec) -> None:
    """What cannot run inside a replica, and replica counts for models the spec lacks."""
    for part in ("models", "judges"):
        for index, model in enumerate(getattr(loaded.spec, part)):
            if isinstance(model, ModelSpec):
                _check_engine_args(loaded, part, index, model)
    replicas = loaded.spec.run.replicas
    if isinstance(replicas, dict):
        ids = {m.id for m in (*loaded.spec.resolved_models(), *loaded.spec.resolved_judges())}
        for model_id in replicas:
            if model_id not in ids:
                raise SpecError(
                    f"{loaded.where('run', 'replicas', model_id)}: run.replicas names model "
                    f"'{model_id}', which this spec does not have; use one of: "
                    + ", ".join(sorted(ids))
                )


def _check_engine_args(loaded: LoadedSpec, part: str, index: int, model: ModelSpec) -> None:
    args = model.engine_args
    if args.get("distributed_executor_backend") == "ray":
        raise SpecError(
            f"{loaded.where(part, index, 'engine_args', 'distributed_executor_backend')}: "
            "with the ray executor each replica runs inside a Ray actor and uses vLLM's "
            "multiprocessing backend; remove distributed_executor_backend"
        )
    data_parallel = args.get("data_parallel_size", 1)
    if isinstance(data_parallel, int) and data_parallel > 1:
        raise SpecError(
            f"{loaded.where(part, index, 'engine_args', 'data_parallel_size')}: vLLM's offline "
            "data parallelism is not supported for dense models; remove data_parallel_size "
            f"and set run.replicas (e.g. `run: {{executor: ray, replicas: {data_parallel}}}`)"
        )
