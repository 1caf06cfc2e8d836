"""Scale-out: the ray executor against the local one on this machine, and a simulated 8-GPU run.

Measured: the spec runs (`evalspec check --no-cache`, each in a process of its own, as a CI
job runs it) with the local executor, then with the ray executor on one replica (a local
Ray cluster started by the run, as `--executor ray` does; the replica
gets the same cores or GPU the local engine had), then on two replicas; rounds
alternate local and ray so drift in machine load hits both, and the ratio of mean
wall times is printed (target: ray(1 replica)/local <= 1.10). Records are compared
field by field (outputs, order, scores, unit hashes; not latencies).

Simulated: a four-model spec (each model the measured one) with `--samples` samples per
task, on 1, 2, 4 and 8 GPUs, one GPU per replica. Per-sample costs are drawn from the
measured run (each unit's engine time shared out by completion tokens), each replica
pays the measured engine load, each shard the measured per-shard overhead of the ray
run, and the schedule is evalspec's own: replicas sized by `ReplicaLedger` (auto),
batches cut by `make_shards`/`shard_size`, shards pulled from `ShardQueue`, one unit
after another within a model. Scaling efficiency = makespan(1 GPU) / (8 x makespan(8)).

    .venv/bin/python benchmarks/scale.py [--spec specs/smoke.yaml] [--rounds 2] [--samples 500]
"""

from __future__ import annotations

import argparse
import heapq
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

TARGET_RATIO = 1.10
TARGET_EFFICIENCY = 0.9
MODELS = 4
GPU_COUNTS = (1, 2, 4, 8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=Path("specs/smoke.yaml"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--samples", type=int, default=500, help="per task, simulated")
    parser.add_argument("--skip-two", action="store_true", help="no 2-replica run")
    args = parser.parse_args()
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from evalspec.engines.presets import detect_device

    device = detect_device()
    cores = os.cpu_count() or 1
    gpus = _gpu_count() if device == "cuda" else 0
    work = Path(tempfile.mkdtemp(prefix="evalspec-scale-"))
    local_s: list[float] = []
    ray_s: list[float] = []
    runs: dict[str, Path] = {}
    for round_index in range(args.rounds):
        order = ("local", "ray") if round_index % 2 == 0 else ("ray", "local")
        for kind in order:
            replica = {"replicas": 1, "cpus_per_replica": float(cores)}
            wall, run_dir = _run(args.spec, work, kind, replica)
            (local_s if kind == "local" else ray_s).append(wall)
            runs[kind] = run_dir
            print(f"round {round_index + 1}: {kind} {wall:.1f} s", flush=True)
    two_s = None
    if not args.skip_two and (device == "cpu" or gpus >= 2):
        two = {"replicas": 2, "cpus_per_replica": float(max(1, cores // 2))}
        two_s, runs["ray2"] = _run(args.spec, work, "ray", two)

    from evalspec.store import Run

    records = {k: _comparable(Run(v)) for k, v in runs.items()}
    same = all(r == records["local"] for r in records.values())
    local, ray1 = statistics.fmean(local_s), statistics.fmean(ray_s)
    print(
        f"local: mean {local:.1f} s {_fmt(local_s)}; ray(1 replica): mean {ray1:.1f} s "
        f"{_fmt(ray_s)}"
    )
    print(f"identical records: {same}")
    print(f"ratio ray(1 replica)/local: {ray1 / local:.3f} (target <= {TARGET_RATIO})")
    if two_s is not None:
        where = (
            f"2 replicas x {max(1, cores // 2)} core(s) on this {cores}-core machine: the cores, "
            "not the replicas, bound it"
            if device == "cpu"
            else "2 GPUs"
        )
        print(f"ratio ray(2 replicas)/local: {two_s / local:.3f} ({where})")

    costs, load_s = _measured_costs(Run(runs["local"]))
    overhead = _shard_overhead(Run(runs["local"]), Run(runs["ray"]))
    makespans = {
        g: _simulate(g, costs, args.samples, load_s, overhead, random.Random(13))
        for g in GPU_COUNTS
    }
    print(
        f"measured: engine load {load_s:.1f} s, per-sample engine time "
        f"{_fmt([statistics.fmean(c) for c in costs.values()])} s (per task), per-shard "
        f"overhead {overhead:.3f} s"
    )
    shown = ", ".join(f"{g} GPU(s) {m:.0f} s" for g, m in makespans.items())
    print(
        f"simulated makespan ({MODELS} models x {len(costs)} tasks x {args.samples} samples): "
        f"{shown}"
    )
    efficiency = makespans[1] / (8 * makespans[8])
    print(
        f"scaling efficiency at 8 GPUs (simulated): {efficiency:.3f} "
        f"(target >= {TARGET_EFFICIENCY})"
    )
    steady = {
        g: _simulate(g, costs, args.samples, 0.0, overhead, random.Random(13)) for g in (1, 8)
    }
    print(
        f"scaling efficiency at 8 GPUs without engine loads (simulated): "
        f"{steady[1] / (8 * steady[8]):.3f}"
    )


def _run(spec: Path, work: Path, kind: str, ray: dict[str, Any]) -> tuple[float, Path]:
    """One uncached `evalspec check` of the spec in a process of its own, as a CI job runs
    it (so both sides pay Python's start and vLLM's import); (wall seconds, run directory).
    The ray settings go into a copy of the spec beside it (its includes and paths hold)."""
    import yaml

    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    data["run"] = {"executor": kind, **(ray if kind == "ray" else {})}
    copy = spec.with_name(f".scale-{os.getpid()}-{spec.name}")
    runs = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=work))
    copy.write_text(yaml.safe_dump(data), encoding="utf-8")
    command = [sys.executable, "-m", "evalspec.cli", "check", str(copy), "--no-cache"]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [*command, "--quiet", "--runs-dir", str(runs)], capture_output=True, text=True
        )
    finally:
        copy.unlink(missing_ok=True)
    wall = time.perf_counter() - start
    if done.returncode >= 2:
        raise SystemExit(f"{kind} run failed (exit {done.returncode}): {done.stderr[-2000:]}")
    (run_dir,) = runs.iterdir()
    return wall, run_dir


def _comparable(run: Any) -> list[dict[str, Any]]:
    out = []
    for record in run.read_records():
        data = record.to_json_dict()
        data.pop("latency_s", None)
        data.pop("cached", None)
        out.append(data)
    return out


def _measured_costs(run: Any) -> tuple[dict[str, list[float]], float]:
    """Per task: each sample's share of its unit's engine time (by completion tokens + 1);
    and the engine's load time."""
    perf = run.load_perf()
    tokens: dict[str, list[int]] = {}
    for record in run.read_records():
        tokens.setdefault(record.unit_id, []).append(record.tokens.completion + 1)
    costs = {}
    for unit_id, counts in tokens.items():
        wall = perf[unit_id].wall_s or 0.0
        costs[unit_id.split("/", 1)[1]] = [wall * c / sum(counts) for c in counts]
    loads = [p.engine_load_s for p in perf.values() if p.engine_load_s]
    return costs, max(loads) if loads else 0.0


def _shard_overhead(local: Any, ray: Any) -> float:
    """What a shard costs beyond its engine time: the ray run's extra engine-side wall time
    over the local run's, per shard (at least 0)."""
    lp, rp = local.load_perf(), ray.load_perf()
    extra = sum((rp[u].wall_s or 0) - (lp[u].wall_s or 0) for u in lp if u in rp)
    from evalspec.runner.ray.sharding import shard_size

    shards = 0
    for measured in rp.values():
        n = measured.measured_outputs
        if n:
            shards += -(-n // shard_size(n, 1, batch_width=256, chunk=1024))
    return max(0.0, extra / max(1, shards))


def _simulate(
    gpus: int,
    costs: dict[str, list[float]],
    samples: int,
    load_s: float,
    overhead_s: float,
    rng: random.Random,
) -> float:
    """Makespan of MODELS models on `gpus` GPUs under evalspec's own scheduling rules."""
    from evalspec.runner.ray.placement import Need, ReplicaLedger

    units = {
        m: [[rng.choice(c) for _ in range(samples)] for c in costs.values()] for m in range(MODELS)
    }
    work = {str(m): samples * len(costs) for m in units}
    ledger = ReplicaLedger("GPU", gpus, gpus, work)
    waiting, done_at = deque(units), []
    ends: list[tuple[float, int]] = []

    def admit(now: float) -> None:
        while waiting:
            count = ledger.grant(str(waiting[0]), Need("GPU", 1.0, 1.0), "auto")
            if count is None:
                return
            model = waiting.popleft()
            heapq.heappush(
                ends, (_run_group(now, count, model, units[model], load_s, overhead_s), model)
            )

    admit(0.0)
    while ends:
        now, model = heapq.heappop(ends)
        ledger.release(str(model))
        done_at.append(now)
        admit(now)
    return max(done_at)


def _run_group(
    start: float,
    replicas: int,
    model: int,
    units: list[list[float]],
    load_s: float,
    overhead_s: float,
) -> float:
    """When a model group started at `start` on `replicas` replicas finishes."""
    from evalspec.runner.executor import GenerateItem
    from evalspec.runner.ray.dispatch import ShardQueue
    from evalspec.runner.ray.sharding import make_shards, shard_size

    free = [start + load_s] * replicas
    for index, unit in enumerate(units):
        cost = {f"{model}-{index}-{i:06d}": c for i, c in enumerate(unit)}
        items = [GenerateItem(key, "", None) for key in cost]
        size = shard_size(len(items), replicas, batch_width=256, chunk=1024)
        queue = ShardQueue(make_shards(items, size), depth=1)
        heap = [(t, r) for r, t in enumerate(free)]
        heapq.heapify(heap)
        while not queue.finished:
            now, replica = heapq.heappop(heap)
            shard = queue.take(str(replica), now)
            if shard is None:  # nothing left to take: this replica waits for the unit's end
                free[replica] = now
                continue
            end = now + overhead_s + sum(cost[i.key] for i in shard.items)
            queue.finish(str(replica), shard.shard_id, end)
            free[replica] = end
            heapq.heappush(heap, (end, replica))
        barrier = max(free)  # the next unit starts when this one is whole
        free = [barrier] * replicas
    return max(free)


def _gpu_count() -> int:
    try:
        import pynvml

        pynvml.nvmlInit()
        return int(pynvml.nvmlDeviceGetCount())
    except Exception:
        return 0


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


if __name__ == "__main__":
    main()
