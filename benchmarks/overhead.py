"""Engine-layer overhead: evalspec's vLLM engine vs a bare `vllm.LLM.chat` call, same process.

Both sides load the same model with the same engine arguments (evalspec's
effective arguments for the spec's model) and generate the same chat prompts
greedily. Rounds alternate A/B and B/A so drift in machine load hits both; the ratio of
median wall times is printed (target: <= 1.05).

    .venv/bin/python benchmarks/overhead.py [--spec specs/smoke.yaml] [--rounds 6] [--limit 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

TARGET = 1.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=Path("specs/smoke.yaml"))
    parser.add_argument("--task", default="arithmetic")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")

    from vllm import LLM, SamplingParams

    from evalspec.engines import EnginePool
    from evalspec.engines.sources import materialize
    from evalspec.plan import compile_plan
    from evalspec.spec import load_spec

    plan = compile_plan(load_spec(args.spec), limit=args.limit)
    group = plan.groups[0]
    unit = next(u for u in group.units if u.task.id == args.task and u.adapter is None)
    prompts = list(unit.prompts)
    gen = unit.task.generation

    pool = EnginePool()
    engine = pool.get(group.request)  # sets the CPU environment the same way for both sides
    kwargs: dict[str, Any] = dict(group.request.args)
    kwargs.pop("kv_cache_gib", None)
    if group.request.device == "cpu":
        kwargs.setdefault("enforce_eager", True)
    kwargs.setdefault("disable_log_stats", False)
    bare = LLM(model=materialize(group.request.source), **kwargs)
    sampling = SamplingParams(
        max_tokens=gen.max_tokens,
        temperature=gen.temperature,
        top_p=gen.top_p,
        stop=list(gen.stop) or None,
        seed=gen.seed,
    )

    def run_evalspec() -> tuple[float, list[str]]:
        start = time.perf_counter()
        completions, _ = engine.generate(prompts, gen, None)
        return time.perf_counter() - start, [c.text for c in completions]

    def run_bare() -> tuple[float, list[str]]:
        start = time.perf_counter()
        outputs = bare.chat(prompts, sampling, use_tqdm=False)  # type: ignore[arg-type]
        return time.perf_counter() - start, [o.outputs[0].text for o in outputs]

    run_evalspec(), run_bare()  # warm-up: first calls compile kernels and fill caches
    ours: list[float] = []
    theirs: list[float] = []
    same = True
    for i in range(args.rounds):
        # alternate which side goes first, so neither always runs on a warmer machine
        if i % 2 == 0:
            t_ours, out_ours = run_evalspec()
            t_bare, out_bare = run_bare()
        else:
            t_bare, out_bare = run_bare()
            t_ours, out_ours = run_evalspec()
        ours.append(t_ours)
        theirs.append(t_bare)
        same = same and out_ours == out_bare
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(
        f"prompts: {len(prompts)} chats from {unit.unit_id}, max_tokens={gen.max_tokens}, "
        f"device={group.request.device}, rounds={args.rounds}"
    )
    print(f"evalspec engine layer: median {statistics.median(ours):.3f}s  {_fmt(ours)}")
    print(f"bare vllm.LLM.chat:    median {statistics.median(theirs):.3f}s  {_fmt(theirs)}")
    print(f"identical outputs: {same}")
    print(
        f"ratio evalspec/bare: {ratio:.3f} (target <= {TARGET}) -> "
        f"{'OK' if ratio <= TARGET else 'OVER TARGET'}"
    )
    pool.close()


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


if __name__ == "__main__":
    main()
