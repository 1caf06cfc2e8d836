"""Parity with lm-evaluation-harness: evalspec and lm-eval 0.4.13 on the same fixtures and model.

`make peer-bench` (after `make peer`). For every fixture format lm-eval has a task for, both
tools run the built-in model (its converted HF directory) on vLLM's CPU build, greedy, fp32:
evalspec through its CLI (`evalspec check` of a generated spec, --no-cache; records.jsonl and
results.json), lm-eval through its CLI (`lm_eval run --model vllm --log_samples`) with the
task configs in benchmarks/peer_tasks/ (lm-eval's own task YAML, included from the installed
package, with the fixture as its data). Tasks that share a prompt style share one invocation
of each tool (one engine load each): "mmlu" (MMLU-format 5-shot alone, for its own time
ratio), "raw" (no chat template) and "chat" (--apply_chat_template --fewshot_as_multiturn:
generation, and multiple choice scored after the opened assistant turn). Per task it prints
the prompts and outputs that are identical (log-likelihoods: within 1e-4), the largest
log-likelihood difference, every metric side by side and the wall-time ratio of its
invocation (evalspec / lm-eval: lm-eval runs all requests of a kind together, so one task's
time cannot be separated), then the summary line
`overall: prompts identical P/P, outputs identical O/O, metric mismatches M, time ratio R`.
A deliberate difference (a documented reference bug) is listed with its reason, not counted.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from evalspec.engines.builtin import resolve_builtin
from evalspec.engines.loglikelihood import context_text
from evalspec.plan import compile_plan
from evalspec.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
PEER = ROOT / ".venv-peer"
MAX_MODEL_LEN = 2048
METRIC_TOLERANCE = 1e-9  # means over the same 0/1 values; mc2 sums exp() in another order
# log-likelihoods count as identical within this (letter choices come from one sequence per
# question in evalspec, from one per choice in lm-eval); max |Δ| shows the actual difference
LL_TOLERANCE = 1e-4
GSM8K_GENERATION = {"max_tokens": 256, "stop": ["Question:", "</s>", "<|im_end|>"]}
QA = "Question: {prompt}\nAnswer:"
# (task, metric) -> why the difference is deliberate (a documented reference bug); none now
DELIBERATE: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class PeerTask:
    name: str  # the evalspec task id and the bench's label
    run: str  # "raw" | "chat": the tasks of a run share one invocation of each tool
    spec: dict[str, Any]  # the evalspec task (without its id)
    metrics: tuple[tuple[str, str], ...]  # (evalspec metric, lm-eval results key)
    lm_eval: tuple[str, ...]  # lm-eval tasks whose samples, in order, are this task's
    lm_results: str = ""  # the lm-eval task or group whose metrics are compared

    @property
    def results_key(self) -> str:
        return self.lm_results or self.lm_eval[0]

    @property
    def loglikelihood(self) -> bool:
        return self.spec.get("output_type") == "loglikelihood"


def _mc(
    fmt: str, source: str | Path, metrics: tuple[str, ...], chat: bool = False, **extra: Any
) -> dict[str, Any]:
    """A multiple-choice task; chat: the prompt through the chat template (few-shot as
    turns), as lm-eval's --apply_chat_template --fewshot_as_multiturn."""
    task = {
        "dataset": {"format": fmt, "source": str(FIXTURES / source)},
        "output_type": "loglikelihood",
        "scorer": {"type": "multiple_choice"},
        "metrics": list(metrics),
        **extra,
    }
    if chat:
        task["prompt"] = {"chat": True}
    return task


def _gsm8k(chat: bool) -> dict[str, Any]:
    return {
        "dataset": {"format": "gsm8k", "source": str(FIXTURES / "gsm8k")},
        "prompt": {"chat": chat, "template": QA},
        "fewshot": {"k": 5, "split": "train", "answer": "{solution}"},
        "generation": GSM8K_GENERATION,
        "scorer": {"type": "gsm8k"},
        "metrics": ["strict-match", "flexible-extract"],
    }


GSM8K_METRICS = (
    ("strict-match", "exact_match,strict-match"),
    ("flexible-extract", "exact_match,flexible-extract"),
)
IFEVAL_METRICS = tuple(
    (m, f"{m},none")
    for m in (
        "prompt_level_strict_acc",
        "inst_level_strict_acc",
        "prompt_level_loose_acc",
        "inst_level_loose_acc",
    )
)
ACC = (("acc", "acc,none"),)
ACC_NORM = (("acc", "acc,none"), ("acc_norm", "acc_norm,none"))
MC2 = (("mc2", "acc,none"),)
MMLU_SUBJECTS = ("elementary_mathematics", "high_school_geography")
# MMLU-format questions of the bench's own (41 test rows, the fixture's 5 dev rows per subject):
# the five of tests/fixtures/mmlu are too few to time scoring rather than start-up
MMLU_DATA = ROOT / "benchmarks" / "peer_data" / "mmlu"

MC = (  # (name, format, fixture, metrics, evalspec metric -> lm-eval key, lm-eval tasks, extra)
    ("arc_easy", "arc_easy", "arc/ARC-Easy-Test.jsonl", ACC_NORM, ("peer_arc_easy",)),
    (
        "arc_challenge",
        "arc_challenge",
        "arc/ARC-Challenge-Test.jsonl",
        ACC_NORM,
        ("peer_arc_challenge",),
    ),
    ("hellaswag", "hellaswag", "hellaswag/hellaswag_val.jsonl", ACC_NORM, ("peer_hellaswag",)),
    ("winogrande", "winogrande", "winogrande/dev.jsonl", ACC, ("peer_winogrande",)),
    ("truthfulqa_mc1", "truthfulqa_mc1", "truthfulqa/mc_task.json", ACC, ("peer_truthfulqa_mc1",)),
    # lm-eval reports TruthfulQA's MC2 score as the task's `acc`
    ("truthfulqa_mc2", "truthfulqa_mc2", "truthfulqa/mc_task.json", MC2, ("peer_truthfulqa_mc2",)),
    ("pubmedqa", "pubmedqa", "pubmedqa/ori_pqal.json", ACC, ("peer_pubmedqa",)),
)
MMLU_TASKS = tuple(f"peer_mmlu_{s}" for s in MMLU_SUBJECTS)
MMLU_5_SHOT: dict[str, Any] = {"fewshot": {"k": 5, "split": "dev"}}


def _mc_tasks(run: str, suffix: str) -> tuple[PeerTask, ...]:
    """The multiple-choice tasks but MMLU (a run of its own), raw or chat-templated."""
    chat = run == "chat"
    return tuple(
        PeerTask(
            name + suffix,
            run,
            _mc(fmt, source, tuple(m for m, _ in metrics), chat=chat),
            metrics,
            lm_tasks,
        )
        for name, fmt, source, metrics, lm_tasks in MC
    )


TASKS = (
    # MMLU-format 5-shot alone: its own wall-time ratio (issue 14's target: <= 0.3)
    PeerTask(
        "mmlu",
        "mmlu",
        _mc("mmlu", MMLU_DATA, ("acc",), **MMLU_5_SHOT),
        ACC,
        MMLU_TASKS,
        "peer_mmlu",
    ),
    PeerTask("gsm8k", "raw", _gsm8k(chat=False), GSM8K_METRICS, ("peer_gsm8k",)),
    *_mc_tasks("raw", ""),
    PeerTask("gsm8k_chat", "chat", _gsm8k(chat=True), GSM8K_METRICS, ("peer_gsm8k",)),
    PeerTask(
        "ifeval",
        "chat",
        {
            "dataset": {"format": "ifeval", "source": str(FIXTURES / "ifeval/input_data.jsonl")},
            "generation": {"max_tokens": 256},  # peer_ifeval.yaml: 256 (lm-eval: 1280); EOS only
            "scorer": {"type": "ifeval"},
            "metrics": [m for m, _ in IFEVAL_METRICS],
        },
        IFEVAL_METRICS,
        ("peer_ifeval",),
    ),
    PeerTask(
        "mmlu_chat",
        "chat",
        _mc("mmlu", MMLU_DATA, ("acc",), chat=True, **MMLU_5_SHOT),
        ACC,
        MMLU_TASKS,
        "peer_mmlu",
    ),
    *_mc_tasks("chat", "_chat"),
)
RUNS = ("mmlu", "raw", "chat")


@dataclass
class Tally:
    prompts: int = 0
    prompts_same: int = 0
    outputs: int = 0
    outputs_same: int = 0
    mismatches: int = 0
    deliberate: list[str] = field(default_factory=list)
    evalspec_s: float = 0.0
    lm_eval_s: float = 0.0
    rows: list[str] = field(default_factory=list)


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VLLM_CPU_KVCACHE_SPACE=env.get("VLLM_CPU_KVCACHE_SPACE", "2"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        # lm-eval's ifeval asks NLTK for punkt_tab at import and downloads it when missing
        # (no network here); the fixture's instructions never split sentences with it
        NLTK_DATA=str(work / "nltk_data"),
    )
    (work / "nltk_data" / "tokenizers" / "punkt_tab").mkdir(parents=True, exist_ok=True)
    return env


def _timed(command: list[str], log: Path, env: dict[str, str], wrote: Path | None = None) -> float:
    """Wall seconds of the command. A command killed by a signal after it wrote `wrote`
    (lm-eval's results, whose vLLM teardown sometimes aborts at exit: "terminate called
    without an active exception") is noted, not fatal: its outputs are complete."""
    start = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    if done.returncode < 0 and wrote is not None and glob.glob(str(wrote)):
        print(f"note: {Path(command[0]).name} exited {done.returncode} after writing {wrote}")
    elif done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        sys.exit(f"{command[0]} exited {done.returncode} (log: {log}):\n{tail}")
    return wall


def _write_spec(path: Path, tasks: list[PeerTask]) -> Path:
    spec = {
        "version": 1,
        "name": f"peer-{path.parent.name}",
        "models": [
            {
                "id": "smol",
                "source": "builtin:smollm2-135m-instruct",
                "engine_args": {"max_model_len": MAX_MODEL_LEN},
            }
        ],
        "tasks": [{"id": t.name, **t.spec} for t in tasks],
        "samples": {"mode": "full"},
    }
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _run_evalspec(spec: Path, work: Path, env: dict[str, str]) -> tuple[float, Path]:
    runs = work / "evalspec"
    evalspec = str(Path(sys.executable).parent / "evalspec")
    command = [evalspec, "check", str(spec), "--no-cache", "--quiet", "--runs-dir", str(runs)]
    wall = _timed(command, work / "evalspec.log", env)
    (run_dir,) = [p for p in runs.iterdir() if p.is_dir()]
    return wall, run_dir


def _run_lm_eval(tasks: list[PeerTask], chat: bool, work: Path, env: dict[str, str]) -> float:
    model_dir = resolve_builtin("smollm2-135m-instruct")[0]
    names = list(dict.fromkeys(t.results_key for t in tasks))
    command = [
        str(PEER / "bin" / "lm_eval"),
        "run",
        "--model",
        "vllm",
        "--model_args",
        f"pretrained={model_dir},enforce_eager=True,max_model_len={MAX_MODEL_LEN},dtype=float32",
        "--tasks",
        ",".join(names),
        "--include_path",
        str(ROOT / "benchmarks" / "peer_tasks"),
        "--batch_size",
        "auto",
        "--output_path",
        str(work / "lm-eval"),
        "--log_samples",
    ]
    if chat:
        command += ["--apply_chat_template", "--fewshot_as_multiturn"]
    return _timed(command, work / "lm-eval.log", env, work / "lm-eval" / "*" / "results_*.json")


def _lm_samples(work: Path, task: str) -> list[dict[str, Any]]:
    """lm-eval's logged samples of a task, one per document (filters repeat them)."""
    (path,) = glob.glob(str(work / "lm-eval" / "*" / f"samples_{task}_*.jsonl"))
    by_doc: dict[int, dict[str, Any]] = {}
    for line in Path(path).read_text().splitlines():
        record = json.loads(line)
        by_doc.setdefault(record["doc_id"], record)
    return [by_doc[i] for i in sorted(by_doc)]


def _lm_results(work: Path) -> dict[str, Any]:
    (path,) = glob.glob(str(work / "lm-eval" / "*" / "results_*.json"))
    results: dict[str, Any] = json.loads(Path(path).read_text())["results"]
    return results


@cache
def _tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_builtin("smollm2-135m-instruct")[0])


def _text(prompt: str | list[dict[str, str]]) -> str:
    """A prompt as text: a chat through the model's chat template with the generation
    prompt (what vLLM's chat sends, and what a chat context is scored after)."""
    return context_text(prompt, _tokenizer())


def _arguments(record: dict[str, Any]) -> list[tuple[str, Any]]:
    args = record["arguments"]
    ordered = sorted(args, key=lambda k: int(k.rsplit("_", 1)[1]))
    return [(args[k]["arg_0"], args[k]["arg_1"]) for k in ordered]


@dataclass(frozen=True)
class Same:
    n: int
    prompts: int
    outputs: int
    max_delta: float | None  # log-likelihood tasks: the largest |difference|


def _compare(task: PeerTask, es_records: list[dict[str, Any]], pairs: Any, work: Path) -> Same:
    """How many prompts and outputs of a task are identical between the two tools."""
    lm = [r for name in task.lm_eval for r in _lm_samples(work, name)]
    if len(lm) != len(es_records):
        sys.exit(f"{task.name}: evalspec has {len(es_records)} samples, lm-eval {len(lm)}")
    same_prompts = same_outputs = 0
    max_delta = 0.0
    for j, (mine, theirs) in enumerate(zip(es_records, lm, strict=True)):
        if task.loglikelihood:
            their_pairs = [(ctx, cont) for ctx, cont in _arguments(theirs)]
            mine_pairs = [(_text(ctx), cont) for ctx, cont in pairs[j]]
            same_prompts += mine_pairs == their_pairs
            their_lls = [float(resp[0][0]) for resp in theirs["resps"]]
            deltas = [abs(a - b) for a, b in zip(mine["loglikelihoods"], their_lls, strict=True)]
            max_delta = max(max_delta, *deltas)
            same_outputs += max(deltas) <= LL_TOLERANCE
        else:
            same_prompts += _text(mine["prompt"]) == theirs["arguments"]["gen_args_0"]["arg_0"]
            same_outputs += mine["output"] == theirs["resps"][0][0]
    return Same(len(lm), same_prompts, same_outputs, max_delta if task.loglikelihood else None)


def _run(tasks: list[PeerTask], run: str, out: Path, tally: Tally, lm_first: bool) -> None:
    work = out / run
    work.mkdir(parents=True, exist_ok=True)
    env = _env(work)
    spec = _write_spec(work / "spec.yaml", tasks)
    if lm_first:
        lm_s = _run_lm_eval(tasks, run == "chat", work, env)
        es_s, run_dir = _run_evalspec(spec, work, env)
    else:
        es_s, run_dir = _run_evalspec(spec, work, env)
        lm_s = _run_lm_eval(tasks, run == "chat", work, env)
    tally.evalspec_s += es_s
    tally.lm_eval_s += lm_s
    ratio = es_s / lm_s
    print(f"run {run}: evalspec {es_s:.1f} s, lm-eval {lm_s:.1f} s, time ratio {ratio:.2f}")
    plan = {u.task.id: u for u in compile_plan(load_spec(spec)).units}
    records: dict[str, list[dict[str, Any]]] = {}
    for line in (run_dir / "records.jsonl").read_text().splitlines():
        record = json.loads(line)
        records.setdefault(record["unit_id"].split("/", 1)[1], []).append(record)
    units = {u["task"]: u for u in json.loads((run_dir / "results.json").read_text())["units"]}
    lm_results = _lm_results(work)
    for task in tasks:
        same = _compare(task, records[task.name], plan[task.name].choice_pairs, work)
        tally.prompts += same.n
        tally.outputs += same.n
        tally.prompts_same += same.prompts
        tally.outputs_same += same.outputs
        delta = "n/a" if same.max_delta is None else f"{same.max_delta:.3g}"
        shown = []
        for metric, key in task.metrics:
            ours = units[task.name]["metrics"][metric]["value"]
            theirs = float(lm_results[task.results_key][key])
            equal = abs(ours - theirs) <= METRIC_TOLERANCE
            mark = "" if equal else " MISMATCH"
            if not equal and (task.name, metric) in DELIBERATE:
                mark = " (deliberate)"
                tally.deliberate.append(f"{task.name} {metric}: {DELIBERATE[task.name, metric]}")
            elif not equal:
                tally.mismatches += 1
            shown.append(f"{metric} {ours:.4f} vs {theirs:.4f}{mark}")
        print(
            f"{task.name}: prompts identical {same.prompts}/{same.n}, outputs identical "
            f"{same.outputs}/{same.n}, max |Δ log-likelihood| {delta}, {', '.join(shown)}, "
            f"time ratio {ratio:.2f} (run {run})"
        )
        tally.rows.append(
            f"| {task.name} | {same.prompts}/{same.n} | {same.outputs}/{same.n} | {delta} | "
            f"{'<br>'.join(shown)} | {ratio:.2f} ({run}) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "peer", help="work directory")
    parser.add_argument(
        "--tasks", default="", help=f"comma-separated subset of: {', '.join(t.name for t in TASKS)}"
    )
    args = parser.parse_args()
    chosen = [t for t in TASKS if not args.tasks or t.name in args.tasks.split(",")]
    unknown = set(filter(None, args.tasks.split(","))) - {t.name for t in TASKS}
    if unknown:
        sys.exit(f"unknown task(s): {', '.join(sorted(unknown))}")
    if not (PEER / "bin" / "lm_eval").exists():
        sys.exit(f"{PEER} has no lm_eval: run `make peer` first")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out / stamp
    tally = Tally()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    runs = [r for r in RUNS if any(t.run == r for t in chosen)]
    for i, run in enumerate(runs):  # alternate which tool starts a run (cold caches)
        _run([t for t in chosen if t.run == run], run, out, tally, lm_first=i % 2 == 1)
    print()
    print(
        "| task | prompts identical | outputs identical | max abs Δ log-likelihood | "
        "metrics: evalspec vs lm-eval | time ratio (run) |"
    )
    print("|---|--:|--:|--:|---|--:|")
    print("\n".join(tally.rows))
    print()
    for note in tally.deliberate:
        print(f"deliberate difference: {note}")
    ratio = tally.evalspec_s / tally.lm_eval_s
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")
    print(
        f"wall time: evalspec {tally.evalspec_s:.1f} s, lm-eval {tally.lm_eval_s:.1f} s "
        f"(work directory {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out})"
    )
    print(
        f"overall: prompts identical {tally.prompts_same}/{tally.prompts}, outputs identical "
        f"{tally.outputs_same}/{tally.outputs}, metric mismatches {tally.mismatches}, "
        f"time ratio {ratio:.2f}"
    )
    sys.exit(1 if tally.mismatches else 0)


if __name__ == "__main__":
    main()
