#!/usr/bin/env bash
# The ray executor's GPU path, checked on a CUDA machine (nothing in CI has a GPU).
#
#   bash benchmarks/gpu_check.sh            # from the repository root; about 10 minutes
#
# 1. `make install` (CUDA vLLM and Ray where nvidia-smi finds a GPU);
# 2. the smoke spec with the local executor, then with the ray executor (a local Ray
#    cluster on this machine's GPUs, one GPU per replica), uncached: wall times, their
#    ratio, and whether the records are identical (outputs, order, scores, unit hashes).
#    Greedy outputs on a GPU can depend on which requests share a batch; when they
#    differ, both runs are repeated with VLLM_BATCH_INVARIANT=1 (vLLM's batch-invariant
#    kernels), which makes them equal where vLLM supports it;
# 3. the overhead benchmarks: the engine layer against bare vLLM (benchmarks/overhead.py)
#    and ray(1 replica)/local with the simulated 8-GPU makespan (benchmarks/scale.py).
# Every figure is printed as one `name: value` line; the exit code is 0 unless a step broke.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu check: no CUDA GPU here (nvidia-smi found none); run it on a GPU machine" >&2
  exit 2
fi
nvidia-smi -L
make install
export VLLM_LOGGING_LEVEL=ERROR EVALSPEC_RUNS_DIR="${EVALSPEC_RUNS_DIR:-runs/gpu-check}"
py=.venv/bin/python

smoke() {  # smoke EXECUTOR -> prints "SECONDS RUN_DIR"
  local start rc=0
  start=$EPOCHREALTIME
  .venv/bin/evalspec check specs/smoke.yaml --quiet --no-cache --executor "$1" \
    >/dev/null || rc=$?
  if [ "$rc" -ge 2 ]; then echo "gpu check: the $1 run failed (exit $rc)" >&2; exit "$rc"; fi
  "$py" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" \
    "$start" "$EPOCHREALTIME" | tr -d '\n'
  echo " $(ls -td "$EVALSPEC_RUNS_DIR"/*/ | head -1)"
}

compare() {  # compare LABEL LOCAL_DIR RAY_DIR LOCAL_S RAY_S
  "$py" - "$@" <<'PY'
import sys
from pathlib import Path
from evalspec.store import Run

label, local, ray, local_s, ray_s = sys.argv[1:]
def rows(d):
    out = []
    for r in Run(Path(d)).read_records():
        data = r.to_json_dict()
        data.pop("latency_s", None)
        data.pop("cached", None)
        out.append(data)
    return out
same = rows(local) == rows(ray)
print(f"smoke{label} local: {float(local_s):.1f} s; ray: {float(ray_s):.1f} s")
print(f"smoke{label} ratio ray/local: {float(ray_s) / float(local_s):.3f}")
print(f"smoke{label} identical records: {same}")
sys.exit(0 if same else 10)
PY
}

mkdir -p "$EVALSPEC_RUNS_DIR"
read -r local_s local_dir < <(smoke local)
read -r ray_s ray_dir < <(smoke ray)
if ! compare "" "$local_dir" "$ray_dir" "$local_s" "$ray_s"; then
  export VLLM_BATCH_INVARIANT=1
  read -r local_s local_dir < <(smoke local)
  read -r ray_s ray_dir < <(smoke ray)
  compare " (VLLM_BATCH_INVARIANT=1)" "$local_dir" "$ray_dir" "$local_s" "$ray_s" || true
  unset VLLM_BATCH_INVARIANT
fi

"$py" benchmarks/overhead.py --rounds 2
"$py" benchmarks/scale.py --rounds 1
