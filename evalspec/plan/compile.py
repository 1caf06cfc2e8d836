"""Compile a loaded spec into a Plan: hashed units, grouped so that each model loads once."""

from __future__ import annotations

from typing import Any

from evalspec.data import load_dataset
from evalspec.data.types import Dataset, Sample
from evalspec.digests import canonical_json, sha256_bytes
from evalspec.engines import EngineRequest, Prompt, engine_kind, engine_request
from evalspec.engines.adapters import base_config, check_adapter
from evalspec.engines.sources import (
    ModelSource,
    adapter_digest,
    local_model_dir,
    model_source,
    remote_source,
    resolve_path,
)
from evalspec.errors import SpecError
from evalspec.plan.fewshot import draw, examples_for, load_examples
from evalspec.plan.models import JudgeRef, ModelGroup, Plan, Unit
from evalspec.plan.prompts import check_template, render
from evalspec.plan.sampling import sample_count, select
from evalspec.plan.targets import Targets
from evalspec.scoring.judge import load_rubric
from evalspec.scoring.scorers import check_inputs
from evalspec.spec import LoadedSpec
from evalspec.spec.models import AdapterSpec, ModelSpec, TaskSpec
from evalspec.spec.scorers import JudgeScorer


def unit_id(model: str, adapter: str | None, task: str) -> str:
    return f"{model}+{adapter}/{task}" if adapter else f"{model}/{task}"


def compile_plan(
    loaded: LoadedSpec,
    limit: int | None = None,
    device: str | None = None,
    targets: Targets | None = None,
) -> Plan:
    """Resolve models, adapters and datasets; select samples; render prompts; hash units.

    `targets` narrows the plan to some models, adapters and tasks (their units keep the
    hashes a full plan gives them) and may change the sample mode; what it leaves out is
    neither read nor resolved (a judge model is resolved when a targeted task needs it)."""
    spec = loaded.spec
    targets = targets or Targets()
    targets.check(spec)
    count = sample_count(targets.samples(spec.samples), limit)
    tasks = [(i, task) for i, task in enumerate(spec.tasks) if targets.task(task.id)]
    datasets = {task.id: _load_dataset(loaded, i, task) for i, task in tasks}
    fewshots = {
        task.id: draw(
            load_examples(task, loaded.base_dir, loaded.where("tasks", i, "fewshot")),
            task.fewshot,
            spec.samples.seed,
        )
        for i, task in tasks
        if task.fewshot is not None
    }
    judging = {t.scorer.model for _, t in tasks if isinstance(t.scorer, JudgeScorer)}
    resolved: list[tuple[ModelSpec, ModelSource, EngineRequest, list[Any]]] = []
    for m_index, model in enumerate(spec.resolved_models()):
        if not (targets.model(model.id) or model.id in judging):
            continue
        source = _source(loaded, model, loaded.where("models", m_index, "source"))
        adapters = _resolve_adapters(loaded, m_index, model, source)
        request = engine_request(
            model, source, [(a.id, a.path, rank) for a, _, rank in adapters], device
        )
        resolved.append((model, source, request, adapters))
    judges = _judges(loaded, resolved, device, {task.id for _, task in tasks}, judging)
    groups = []
    for model, source, request, adapters in resolved:
        if not targets.model(model.id):
            continue  # resolved only as a judge
        for t_index, task in tasks:
            _check_engine_fits(loaded, t_index, task, model)
        units = []
        for adapter, a_digest in [(None, None), *((a, d) for a, d, _ in adapters)]:
            if not targets.adapter(adapter.id if adapter else None):
                continue
            for t_index, task in tasks:
                identity: dict[str, Any] = {
                    "model": {"source": source.digest, "revision": source.revision},
                    "adapter": a_digest,
                    "engine": {
                        "name": model.engine,
                        "version": _engine_version(model.engine),
                        "args": request.output_args(),
                    },
                    "prompt": task.prompt.model_dump(),
                    "generation": _since_v1(task.generation.model_dump(), n=1),
                    **_task_identity(task),
                }
                judge = judges.get(task.id)
                if judge is not None:
                    identity["judge"] = judge.identity
                units.append(
                    _unit(
                        loaded,
                        t_index,
                        model,
                        adapter,
                        task,
                        datasets[task.id],
                        count,
                        identity,
                        fewshots.get(task.id, []),
                        judge,
                    )
                )
        if units:
            groups.append(ModelGroup(request=request, units=tuple(units)))
    if not groups and targets.narrowed:
        raise SpecError(
            f"{targets.options()} together select no unit of spec '{spec.name}'; "
            "`evalspec plan SPEC` lists its units"
        )
    # a model that also judges generates last: judging (after all generation) then runs on
    # the engine still loaded instead of loading it a second time
    judge_keys = {judge.request.key for judge in judges.values()}
    groups.sort(key=lambda g: g.request.key in judge_keys)
    return Plan(spec_name=spec.name, spec_digest=loaded.digest, groups=tuple(groups))


def _unit(
    loaded: LoadedSpec,
    t_index: int,
    model: ModelSpec,
    adapter: AdapterSpec | None,
    task: TaskSpec,
    dataset: Dataset,
    count: int | None,
    identity: dict[str, Any],
    drawn: list[Sample],
    judge: JudgeRef | None,
) -> Unit:
    if task.limit is not None:
        count = min(count, task.limit) if count is not None else task.limit
    samples = select(dataset.samples, count, loaded.spec.samples.seed)
    where = loaded.where("tasks", t_index, "prompt")
    for sample in samples:  # every row: a later one may lack a field the first one has
        check_template(task.prompt, sample, where)
    scorer_at = loaded.where("tasks", t_index, "scorer")
    for sample in samples:
        try:
            check_inputs(task.scorer, sample)
        except SpecError as exc:
            raise SpecError(f"{scorer_at}: tasks[{t_index}].scorer: {exc}") from exc
    examples = [examples_for(s, drawn, task, where) for s in samples] if drawn else []
    prompts = tuple(
        render(
            task.prompt,
            s,
            examples[i] if examples else (),
            delimiter=task.choice_delimiter,
            separator=task.fewshot.separator if task.fewshot else "\n\n",
        )
        for i, s in enumerate(samples)
    )
    pairs = (
        tuple(
            _choice_pairs(task, s, examples[i] if examples else [], where)
            for i, s in enumerate(samples)
        )
        if task.output_type == "loglikelihood"
        else ()
    )
    identity = {
        **identity,
        "seed": loaded.spec.samples.seed,
        "dataset": dataset.digest,
        "samples": [s.id for s in samples],
    }
    if drawn:
        identity["fewshot_examples"] = [ex.id for ex in drawn]
    return Unit(
        unit_id=unit_id(model.id, adapter.id if adapter else None, task.id),
        hash=sha256_bytes(canonical_json(identity).encode()),
        model=model,
        adapter=adapter,
        task=task,
        samples=tuple(samples),
        prompts=prompts,
        dataset_size=len(dataset.samples),
        identity=identity,
        choice_pairs=pairs,
        judge=judge,
    )


def _choice_pairs(
    task: TaskSpec, sample: Sample, examples: list[tuple[str, str]], where: str
) -> tuple[tuple[Prompt, str], ...]:
    """(context, continuation) per choice: the rendered prompt (or the choice's own
    context, winogrande) and the delimiter + choice. A chat context is the messages, which
    the engine renders with the generation prompt; the choice then opens the assistant
    turn, without a delimiter (lm-eval's `--apply_chat_template`)."""
    if not sample.choices or not sample.gold:
        lacks = (
            "no gold answer (an unlabelled split? use one with answers)"
            if sample.choices
            else "no choices"
        )
        raise SpecError(
            f"{where}: output_type loglikelihood needs multiple-choice samples with a gold "
            f"answer; sample '{sample.id}' of format {task.dataset.format} has {lacks}"
        )
    separator = task.fewshot.separator if task.fewshot else "\n\n"
    contexts = sample.contexts or (sample.prompt,) * len(sample.choices)
    delimiter = "" if task.prompt.chat else task.choice_delimiter
    return tuple(
        (
            render(
                task.prompt,
                sample,
                examples,
                delimiter=task.choice_delimiter,
                separator=separator,
                prompt=context,
            ),
            delimiter + choice,
        )
        for context, choice in zip(contexts, sample.choices, strict=True)
    )


def _check_engine_fits(loaded: LoadedSpec, t_index: int, task: TaskSpec, model: ModelSpec) -> None:
    """A chat-templated log-likelihood task needs an engine that has the chat template."""
    if task.output_type != "loglikelihood" or not task.prompt.chat:
        return
    if engine_kind(model.engine).chat_loglikelihood:
        return
    where = loaded.where("tasks", t_index, "prompt", "chat")
    raise SpecError(
        f"{where}: tasks[{t_index}].prompt.chat: task '{task.id}' scores choices after a chat "
        f"prompt, which needs the model's chat template, but model '{model.id}' (engine "
        f"{model.engine}) sends text to an endpoint that applies none; run it with engine "
        "vllm, vllm-server or hf, or set prompt.chat: false"
    )


def _task_identity(task: TaskSpec) -> dict[str, Any]:
    """Task settings added after spec v1's first release: only when not at their default,
    so units that do not use them keep their hash (and their baselines)."""
    extra: dict[str, Any] = {}
    if task.output_type != "generate":
        extra["output_type"] = task.output_type
        extra["choice_delimiter"] = task.choice_delimiter
    if task.fewshot is not None:
        extra["fewshot"] = task.fewshot.model_dump()
        extra["choice_delimiter"] = task.choice_delimiter
    return extra


def _since_v1(dump: dict[str, Any], **defaults: Any) -> dict[str, Any]:
    """A model dump without the given later-added fields where they hold their default."""
    return {k: v for k, v in dump.items() if not (k in defaults and defaults[k] == v)}


def _source(loaded: LoadedSpec, model: ModelSpec, where: str) -> ModelSource:
    if engine_kind(model.engine).remote:
        return remote_source(model.source, model.revision)
    return model_source(model.source, model.revision, loaded.base_dir, where)


def _judges(
    loaded: LoadedSpec,
    resolved: list[tuple[ModelSpec, ModelSource, EngineRequest, list[Any]]],
    device: str | None,
    selected: set[str],
    judging: set[str],
) -> dict[str, JudgeRef]:
    """task id -> its judge: the engine request (a candidate's own when the judge is one of
    the spec's models), the rubric, and the identity that enters the unit hash.
    `selected`: the plan's task ids; `judging`: the judge models they need (no other is
    resolved)."""
    spec = loaded.spec
    by_id = {m.id: (m, src, req) for m, src, req, _ in resolved}
    for j_index, judge in enumerate(spec.resolved_judges()):
        if judge.id not in judging:
            continue
        src = _source(loaded, judge, loaded.where("judges", j_index, "source"))
        by_id[judge.id] = (judge, src, engine_request(judge, src, [], device))
    refs: dict[str, JudgeRef] = {}
    for t_index, task in enumerate(spec.tasks):
        scorer = task.scorer
        if not isinstance(scorer, JudgeScorer) or task.id not in selected:
            continue
        where = loaded.where("tasks", t_index, "scorer", "rubric")
        try:
            rubric = load_rubric(scorer.rubric, loaded.base_dir)
        except SpecError as exc:
            raise SpecError(f"{where}: tasks[{t_index}].scorer.rubric: {exc}") from exc
        model, src, request = by_id[scorer.model]
        identity = {
            "model": {"source": src.digest, "revision": src.revision},
            "engine": {
                "name": model.engine,
                "version": _engine_version(model.engine),
                "args": request.output_args(),
            },
            "rubric": {"name": rubric.name, "version": rubric.version, "digest": rubric.digest},
            "scale": [scorer.min_rating, scorer.max_rating],
            "max_tokens": scorer.max_tokens,
        }
        refs[task.id] = JudgeRef(request=request, rubric=rubric, identity=identity)
    return refs


def _load_dataset(loaded: LoadedSpec, index: int, task: TaskSpec) -> Dataset:
    try:
        dataset = load_dataset(task.dataset, loaded.base_dir)
    except SpecError as exc:
        where = loaded.where("tasks", index, "dataset", "source")
        raise SpecError(f"{where}: tasks[{index}].dataset.source: {exc}") from exc
    if not dataset.samples:
        where = loaded.where("tasks", index, "dataset", "source")
        raise SpecError(f"{where}: dataset {dataset.source} has no samples")
    return dataset


def _resolve_adapters(
    loaded: LoadedSpec, m_index: int, model: ModelSpec, source: ModelSource
) -> list[tuple[AdapterSpec, str, int]]:
    """(adapter with absolute path, digest, rank) for each adapter; incompatible ones fail."""
    resolved = []
    config = base_config(local_model_dir(source)) if model.adapters else None
    max_rank = model.engine_args.get("max_lora_rank")
    for a_index, adapter in enumerate(model.adapters):
        where = loaded.where("models", m_index, "adapters", a_index, "path")
        path = resolve_path(adapter.path, loaded.base_dir)
        if not path.is_dir():
            raise SpecError(
                f"{where}: adapter directory not found: {path}; "
                "fix `path` (relative to the spec file)"
            )
        digest, rank = adapter_digest(path, where)
        check_adapter(
            adapter.id, path, rank, config, max_rank if isinstance(max_rank, int) else None, where
        )
        resolved.append((adapter.model_copy(update={"path": str(path)}), digest, rank))
    return resolved


def _engine_version(engine: str) -> str | None:
    return engine_kind(engine).version()
