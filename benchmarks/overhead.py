"""Engine-layer overhead: evalspec's vLLM engine vs bare `vllm.LLM` calls, same process.

Both sides load the same model with the same engine arguments (evalspec's effective
arguments for the spec's model). Rounds rotate which side goes first so drift in machine
load hits all; the ratio of median wall times is printed (target: <= 1.05).

- `--kind generate` (default): the spec task's chat prompts, greedy, through evalspec's
  engine and a bare `LLM.chat`.
- `--kind loglikelihood`: MMLU-format 5-shot multiple choice (tests/fixtures/mmlu, raw
  prompts, every choice of every question in one call): evalspec's engine with the
  per-choice path (`EVALSPEC_MC_ONE_SEQUENCE=0`, the overhead figure), a bare
  `LLM.generate` with prompt logprobs per choice (lm-eval's way), and evalspec's default
  one-sequence path (its speed-up, not an overhead).

The vLLM engine core runs in this process or in its own, as VLLM_ENABLE_V1_MULTIPROCESSING
says (evalspec's default on CPU: see the README's Engines section); run the script once
per setting to compare them.

    .venv/bin/python benchmarks/overhead.py [--kind generate] [--spec specs/smoke.yaml]
        [--rounds 6] [--limit 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

TARGET = 1.05
ROOT = Path(__file__).resolve().parents[1]
Side = Callable[[], list[Any]]  # one timed call; its outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("generate", "loglikelihood"), default="generate")
    parser.add_argument("--spec", type=Path, default=Path("specs/smoke.yaml"))
    parser.add_argument("--task", default="arithmetic")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument(
        "--prefix-caching",
        choices=("on", "off"),
        default=None,
        help="loglikelihood: vLLM's enable_prefix_caching for both sides (default: vLLM's)",
    )
    args = parser.parse_args()
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")

    from evalspec.engines import EnginePool
    from evalspec.plan import compile_plan
    from evalspec.spec import load_spec

    with tempfile.TemporaryDirectory() as tmp:
        spec = args.spec if args.kind == "generate" else _mmlu_spec(Path(tmp), args.prefix_caching)
        task = args.task if args.kind == "generate" else "mmlu"
        plan = compile_plan(load_spec(spec), limit=args.limit)
    group = plan.groups[0]
    unit = next(u for u in group.units if u.task.id == task and u.adapter is None)
    pool = EnginePool()
    engine = pool.get(group.request)  # sets the CPU environment the same way for both sides
    bare = _bare_llm(group.request)
    if args.kind == "generate":
        sides = _generate_sides(engine, bare, unit)
        max_tokens = unit.task.generation.max_tokens
        what = f"{len(unit.prompts)} chats from {unit.unit_id}, max_tokens={max_tokens}"
    else:
        sides = _loglikelihood_sides(engine, bare, unit)
        pairs = sum(len(p) for p in unit.choice_pairs)
        what = (
            f"{pairs} (context, choice) pairs of {len(unit.samples)} MMLU-format 5-shot questions"
        )
    times = _rounds(sides, args.rounds)
    mode = os.environ.get("VLLM_ENABLE_V1_MULTIPROCESSING", "?")
    print(
        f"{args.kind}: {what}, device={group.request.device}, rounds={args.rounds}, "
        f"VLLM_ENABLE_V1_MULTIPROCESSING={mode}, prefix caching "
        f"{dict(group.request.args).get('enable_prefix_caching', 'vLLM default')}"
    )
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.3f}s  {_fmt(values)}")
    ours, theirs, *rest = list(times)  # evalspec, bare, then evalspec's other path
    ratio = statistics.median(times[ours]) / statistics.median(times[theirs])
    print(
        f"ratio {ours} / {theirs}: {ratio:.3f} (target <= {TARGET}) -> "
        f"{'OK' if ratio <= TARGET else 'OVER TARGET'}"
    )
    for name in rest:
        speed = statistics.median(times[name]) / statistics.median(times[theirs])
        print(f"ratio {name} / {theirs}: {speed:.3f}")
    pool.close()


def _bare_llm(request: Any) -> Any:
    from vllm import LLM

    from evalspec.engines.sources import materialize

    kwargs: dict[str, Any] = dict(request.args)
    kwargs.pop("kv_cache_gib", None)
    if request.device == "cpu":
        kwargs.setdefault("enforce_eager", True)
    kwargs.setdefault("disable_log_stats", False)
    return LLM(model=str(materialize(request.source)), **kwargs)


def _generate_sides(engine: Any, bare: Any, unit: Any) -> dict[str, Side]:
    from vllm import SamplingParams

    prompts, gen = list(unit.prompts), unit.task.generation
    sampling = SamplingParams(
        max_tokens=gen.max_tokens,
        temperature=gen.temperature,
        top_p=gen.top_p,
        stop=list(gen.stop) or None,
        seed=gen.seed,
    )
    return {
        "evalspec engine layer": lambda: [c.text for c in engine.generate(prompts, gen)[0]],
        "bare vllm.LLM.chat": lambda: [
            o.outputs[0].text for o in bare.chat(prompts, sampling, use_tqdm=False)
        ],
    }


def _loglikelihood_sides(engine: Any, bare: Any, unit: Any) -> dict[str, Side]:
    """evalspec per choice, bare per choice (lm-eval's way), evalspec one sequence."""
    from vllm import SamplingParams

    pairs = [pair for question in unit.choice_pairs for pair in question]
    tokenizer = bare.get_tokenizer()
    encoded = []
    for context, continuation in pairs:  # lm-eval's split (no trailing whitespace here)
        whole = tokenizer(context + continuation)["input_ids"]
        encoded.append((whole, len(tokenizer(context)["input_ids"])))
    sampling = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=1, detokenize=False)

    def bare_per_choice() -> list[Any]:
        prompts = [{"prompt_token_ids": whole} for whole, _ in encoded]
        outputs = bare.generate(prompts, sampling, use_tqdm=False)
        return [
            round(sum(o.prompt_logprobs[k][whole[k]].logprob for k in range(n, len(whole))), 4)
            for (whole, n), o in zip(encoded, outputs, strict=True)
        ]

    def evalspec(one_sequence: str) -> Side:
        def run() -> list[Any]:
            os.environ["EVALSPEC_MC_ONE_SEQUENCE"] = one_sequence
            return [round(v, 4) for v in engine.loglikelihood(pairs)]

        return run

    return {
        "evalspec engine layer, per choice": evalspec("0"),
        "bare vllm.LLM.generate, per choice": bare_per_choice,
        "evalspec engine layer, one sequence": evalspec("1"),
    }


def _rounds(sides: dict[str, Side], rounds: int) -> dict[str, list[float]]:
    """Median-ready wall times per side; each round starts with the next side in turn.
    Every side's outputs must equal the first side's (log-likelihoods to 4 decimals)."""
    names = list(sides)
    reference = sides[names[0]]()  # warm-up: first calls compile kernels and fill caches
    for name in names[1:]:
        if sides[name]() != reference:
            raise SystemExit(f"{name} gives other outputs than {names[0]}")
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            start = time.perf_counter()
            outputs = sides[name]()
            times[name].append(time.perf_counter() - start)
            if outputs != reference:
                raise SystemExit(f"{name} gave other outputs in round {i + 1}")
    return times


def _mmlu_spec(directory: Path, prefix_caching: str | None) -> Path:
    engine: dict[str, Any] = (
        {}
        if prefix_caching is None
        else {"engine_args": {"enable_prefix_caching": prefix_caching == "on"}}
    )
    spec = {
        "version": 1,
        "name": "overhead-mmlu",
        "models": [{"id": "smol", "source": "builtin:smollm2-135m-instruct", **engine}],
        "tasks": [
            {
                "id": "mmlu",
                "dataset": {"format": "mmlu", "source": str(ROOT / "tests/fixtures/mmlu")},
                "output_type": "loglikelihood",
                "fewshot": {"k": 5, "split": "dev"},
                "scorer": {"type": "multiple_choice"},
            }
        ],
        "samples": {"mode": "full"},
    }
    path = directory / "mmlu.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


if __name__ == "__main__":
    main()
