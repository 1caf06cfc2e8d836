"""Plan compilation of the catalog task fields: few-shot prompts, log-likelihood choice
pairs, unit identities of the new fields, judge units and engine loads (no engine loads)."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalspec.data import load_dataset
from evalspec.data.types import Sample
from evalspec.digests import canonical_json, sha256_bytes
from evalspec.errors import SpecError
from evalspec.plan import Plan, Unit, compile_plan
from evalspec.scoring.judge import load_rubric
from evalspec.spec import load_spec
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GSM8K = str(FIXTURES / "gsm8k_mini.jsonl")
MMLU = str(FIXTURES / "mmlu")
WINOGRANDE = str(FIXTURES / "winogrande" / "dev.jsonl")
OPEN_QA = str(FIXTURES / "open_qa" / "questions.jsonl")
ARITH = str(FIXTURES / "arith_mini.jsonl")
BUILTIN = "builtin:smollm2-135m-instruct"
SMOL: dict[str, Any] = {"id": "smol", "source": BUILTIN, "engine_args": {"max_model_len": 2048}}

RAW_QA = {"chat": False, "template": "Question: {prompt}\nAnswer:"}
V1_IDENTITY_KEYS = {
    "model",
    "adapter",
    "engine",
    "prompt",
    "generation",
    "seed",
    "dataset",
    "samples",
}
V1_GENERATION_KEYS = {"max_tokens", "temperature", "top_p", "stop", "seed"}
Chosen = dict[str, list[Sample]]  # sample id -> its few-shot examples


def _write_spec(
    directory: Path,
    tasks: list[dict[str, Any]],
    *,
    models: list[dict[str, Any]] | None = None,
    judges: list[dict[str, Any]] | None = None,
    seed: int = 1234,
    name: str = "spec.yaml",
) -> Path:
    spec: dict[str, Any] = {
        "version": 1,
        "name": "catalog-fields",
        "models": models if models is not None else [SMOL],
        "tasks": tasks,
        "samples": {"mode": "full", "seed": seed},
    }
    if judges:
        spec["judges"] = judges
    path = directory / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _plan(directory: Path, tasks: list[dict[str, Any]], **kwargs: Any) -> Plan:
    return compile_plan(load_spec(_write_spec(directory, tasks, **kwargs)))


def _only(plan: Plan) -> Unit:
    (unit,) = plan.units
    return unit


def _gsm8k(**task: Any) -> dict[str, Any]:
    return {
        "id": "gsm8k",
        "dataset": {"format": "gsm8k", "source": GSM8K},
        "prompt": dict(RAW_QA),
        "scorer": {"type": "numeric"},
        **task,
    }


def _lm_eval_random(samples: list[Sample], pool: list[Sample], k: int, seed: int = 1234) -> Chosen:
    """lm-eval's default ContextSampler: one Random(seed); for each evaluated row in file
    order `sample(pool, k + 1)` without the row itself when the pool is the evaluated split,
    else `sample(pool, k)`."""
    rng = random.Random(seed)
    same = [s.id for s in samples] == [p.id for p in pool]
    chosen = {}
    for sample in samples:
        drawn = rng.sample(pool, k + 1 if same else k)
        chosen[sample.id] = [ex for ex in drawn if ex.id != sample.id][:k] if same else drawn
    return chosen


def _gsm8k_rows() -> list[Sample]:
    return load_dataset(DatasetSpec(format="gsm8k", source=GSM8K), FIXTURES).samples


# --- few-shot prompts ----------------------------------------------------------------------


def test_raw_fewshot_prompt_is_examples_then_the_question(tmp_path: Path) -> None:
    unit = _only(_plan(tmp_path, [_gsm8k(fewshot={"k": 2, "split": "train"})]))
    assert len(unit.samples) == 5  # the pool is the same 5-row file
    chosen = _lm_eval_random(_gsm8k_rows(), _gsm8k_rows(), 2)
    for sample, prompt in zip(unit.samples, unit.prompts, strict=True):
        blocks = [f"Question: {ex.prompt}\nAnswer: {ex.target}" for ex in chosen[sample.id]]
        assert prompt == "\n\n".join([*blocks, f"Question: {sample.prompt}\nAnswer:"])


def test_random_sampler_draws_anew_for_each_row_like_lm_eval(tmp_path: Path) -> None:
    unit = _only(_plan(tmp_path, [_gsm8k(fewshot={"k": 2, "split": "train"})]))
    firsts = {p.split("\n", 1)[0] for p in unit.prompts if isinstance(p, str)}
    assert len(firsts) > 1  # not one draw shared by every row
    used = {
        ex.id
        for examples in _lm_eval_random(_gsm8k_rows(), _gsm8k_rows(), 2).values()
        for ex in examples
    }
    assert set(unit.identity["fewshot_examples"]) == used


def test_a_rows_examples_do_not_depend_on_which_rows_are_selected(tmp_path: Path) -> None:
    task = _gsm8k(fewshot={"k": 2, "split": "train"})
    full = _only(_plan(tmp_path, [task]))
    spec = _write_spec(tmp_path, [task])
    limited = _only(compile_plan(load_spec(spec), limit=2))
    assert len(limited.samples) == 2
    by_id = dict(zip((s.id for s in full.samples), full.prompts, strict=True))
    for sample, prompt in zip(limited.samples, limited.prompts, strict=True):
        assert prompt == by_id[sample.id]


def test_fewshot_separator_and_delimiter_are_used(tmp_path: Path) -> None:
    task = _gsm8k(
        fewshot={"k": 1, "split": "train", "separator": "\n---\n"},
        prompt={"chat": False, "template": "Q: {prompt}"},
        choice_delimiter="\nA: ",
    )
    unit = _only(_plan(tmp_path, [task]))
    chosen = _lm_eval_random(_gsm8k_rows(), _gsm8k_rows(), 1)
    for sample, prompt in zip(unit.samples, unit.prompts, strict=True):
        (example,) = chosen[sample.id]
        assert prompt == f"Q: {example.prompt}\nA: {example.target}\n---\nQ: {sample.prompt}"


def test_a_sample_never_is_among_its_own_examples(tmp_path: Path) -> None:
    # k + 1 = 5 = the whole pool: each sample gets exactly the four others
    unit = _only(_plan(tmp_path, [_gsm8k(fewshot={"k": 4, "split": "train"})]))
    assert len(unit.samples) == 5
    for sample, prompt in zip(unit.samples, unit.prompts, strict=True):
        assert isinstance(prompt, str)
        assert prompt.count(f"Question: {sample.prompt}\n") == 1
        assert prompt.endswith(f"Question: {sample.prompt}\nAnswer:")
        assert all(f"Question: {other.prompt}\n" in prompt for other in unit.samples)


def test_fewshot_examples_are_seeded(tmp_path: Path) -> None:
    task = _gsm8k(fewshot={"k": 2, "split": "train"})
    first = _only(_plan(tmp_path, [task], seed=1))
    again = _only(_plan(tmp_path, [task], seed=1))
    assert first.identity["fewshot_examples"] == again.identity["fewshot_examples"]
    assert first.prompts == again.prompts
    assert first.hash == again.hash
    others = [_only(_plan(tmp_path, [task], seed=s)) for s in range(2, 8)]
    assert any(u.prompts != first.prompts for u in others)
    assert any(u.hash != first.hash for u in others)


def test_first_n_sampler_takes_the_first_rows_but_the_row_itself(tmp_path: Path) -> None:
    task = _gsm8k(fewshot={"k": 2, "split": "train", "sampler": "first_n"})
    unit = _only(_plan(tmp_path, [task]))
    rows = _gsm8k_rows()
    for sample, prompt in zip(unit.samples, unit.prompts, strict=True):
        examples = [ex for ex in rows if ex.id != sample.id][:2]
        blocks = [f"Question: {ex.prompt}\nAnswer: {ex.target}" for ex in examples]
        assert prompt == "\n\n".join([*blocks, f"Question: {sample.prompt}\nAnswer:"])
    random_unit = _only(_plan(tmp_path, [_gsm8k(fewshot={"k": 2, "split": "train"})]))
    assert unit.identity["fewshot"]["sampler"] == "first_n"
    assert unit.hash != random_unit.hash


def test_another_split_needs_only_k_rows_and_keeps_every_row(tmp_path: Path) -> None:
    """gsm8k/train has 8 rows: k = 8 takes them all (no k + 1: the split is not evaluated)."""
    source = str(FIXTURES / "gsm8k")
    task = _gsm8k(fewshot={"k": 8, "split": "train", "answer": "{solution}"})
    task["dataset"] = {"format": "gsm8k", "source": source}
    unit = _only(_plan(tmp_path, [task]))
    train = load_dataset(DatasetSpec(format="gsm8k", source=source, split="train"), FIXTURES)
    assert len(unit.samples) == 10 and len(train.samples) == 8
    chosen = _lm_eval_random(unit.samples, train.samples, 8)
    for sample, prompt in zip(unit.samples, unit.prompts, strict=True):
        blocks = [
            f"Question: {ex.prompt}\nAnswer: {ex.meta['solution']}" for ex in chosen[sample.id]
        ]
        assert prompt == "\n\n".join([*blocks, f"Question: {sample.prompt}\nAnswer:"])
    task["fewshot"] = {"k": 9, "split": "train"}
    with pytest.raises(SpecError, match=r"fewshot\.k is 9 but split 'train' has only 8 samples$"):
        _plan(tmp_path, [task])


def test_chat_fewshot_becomes_alternating_user_and_assistant_turns(tmp_path: Path) -> None:
    task = _gsm8k(
        fewshot={"k": 2, "split": "train"},
        prompt={"chat": True, "system": "Solve it.", "template": "{prompt}"},
    )
    unit = _only(_plan(tmp_path, [task]))
    chosen = _lm_eval_random(_gsm8k_rows(), _gsm8k_rows(), 2)
    for sample, prompt in zip(unit.samples, unit.prompts, strict=True):
        expected: list[dict[str, str]] = [{"role": "system", "content": "Solve it."}]
        for ex in chosen[sample.id]:
            expected.append({"role": "user", "content": ex.prompt})
            expected.append({"role": "assistant", "content": ex.target})
        expected.append({"role": "user", "content": sample.prompt})
        assert prompt == expected
        roles = [message["role"] for message in expected[1:]]
        assert roles == ["user", "assistant", "user", "assistant", "user"]


def test_fewshot_answer_template_writes_the_worked_solution(tmp_path: Path) -> None:
    task = _gsm8k(fewshot={"k": 2, "split": "train", "answer": "{solution}"})
    unit = _only(_plan(tmp_path, [task]))
    chosen = _lm_eval_random(_gsm8k_rows(), _gsm8k_rows(), 2)
    for sample, prompt in zip(unit.samples, unit.prompts, strict=True):
        blocks = [
            f"Question: {ex.prompt}\nAnswer: {ex.meta['solution']}" for ex in chosen[sample.id]
        ]
        assert prompt == "\n\n".join([*blocks, f"Question: {sample.prompt}\nAnswer:"])
        assert isinstance(prompt, str) and "####" in prompt


def test_fewshot_answer_with_an_unknown_field_is_a_spec_error(tmp_path: Path) -> None:
    task = _gsm8k(fewshot={"k": 1, "split": "train", "answer": "{solutoin}"})
    with pytest.raises(SpecError, match=r"spec\.yaml:\d+: fewshot\.answer uses \{solutoin\}"):
        _plan(tmp_path, [task])


def test_fewshot_k_larger_than_the_split_is_a_spec_error(tmp_path: Path) -> None:
    task = _gsm8k(fewshot={"k": 5, "split": "train"})
    with pytest.raises(SpecError) as info:
        _plan(tmp_path, [task])
    message = str(info.value)
    assert "\n" not in message
    assert re.fullmatch(
        r"spec\.yaml:\d+: fewshot\.k is 5 but split 'train' has only 5 samples "
        r"\(need k \+ 1 to leave out the question itself\)",
        message.removeprefix(str(tmp_path) + "/"),
    ), message


# --- MMLU: lm-eval's description and same-subject first-k dev examples ---------------------


def test_mmlu_five_shot_is_the_subject_line_then_its_first_five_dev_rows(tmp_path: Path) -> None:
    """The published layout: exactly 5 dev rows per subject is enough for 5-shot."""
    unit = _only(_plan(tmp_path, [_mmlu(fewshot={"k": 5, "split": "dev"})]))
    dev = load_dataset(DatasetSpec(format="mmlu", source=MMLU, split="dev"), FIXTURES).samples
    assert len(unit.samples) == 5 and len(dev) == 10
    for sample, prompt, pairs in zip(unit.samples, unit.prompts, unit.choice_pairs, strict=True):
        subject = sample.tags["subject"]
        shots = [ex for ex in dev if ex.tags["subject"] == subject]
        assert len(shots) == 5
        blocks = [f"{ex.prompt} {ex.choices[ex.gold[0]]}" for ex in shots]
        words = subject.replace("_", " ")
        expected = (
            f"The following are multiple choice questions (with answers) about {words}.\n\n"
            + "\n\n".join([*blocks, sample.prompt])
        )
        assert prompt == expected
        assert pairs == tuple((expected, f" {letter}") for letter in "ABCD")
    assert unit.identity["fewshot_examples"] == [ex.id for ex in dev]


def test_mmlu_zero_shot_prompt_opens_with_the_description(tmp_path: Path) -> None:
    unit = _only(_plan(tmp_path, [_mmlu()]))
    sample, prompt = unit.samples[0], unit.prompts[0]
    assert prompt == (
        "The following are multiple choice questions (with answers) about elementary "
        f"mathematics.\n\n{sample.prompt}"
    )


def test_mmlu_chat_prompt_carries_the_description_as_the_system_message(tmp_path: Path) -> None:
    task = {
        "id": "mmlu-chat",
        "dataset": {"format": "mmlu", "source": MMLU},
        "prompt": {"system": "Be brief.", "template": "{prompt}"},
        "scorer": {"type": "choice"},
    }
    unit = _only(_plan(tmp_path, [task]))
    sample, prompt = unit.samples[-1], unit.prompts[-1]
    assert prompt == [
        {
            "role": "system",
            "content": "Be brief.\n\nThe following are multiple choice questions (with "
            "answers) about high school geography.\n\n",
        },
        {"role": "user", "content": sample.prompt},
    ]


def test_mmlu_subject_without_enough_dev_rows_names_the_subject(tmp_path: Path) -> None:
    with pytest.raises(
        SpecError,
        match=r"fewshot\.k is 6 but split 'dev' has only 5 samples for subject "
        r"'elementary_mathematics'$",
    ):
        _plan(tmp_path, [_mmlu(fewshot={"k": 6, "split": "dev"})])


# --- log-likelihood choice pairs -----------------------------------------------------------


def _mmlu(**task: Any) -> dict[str, Any]:
    return {
        "id": "mmlu",
        "dataset": {"format": "mmlu", "source": MMLU},
        "output_type": "loglikelihood",
        "scorer": {"type": "multiple_choice"},
        **task,
    }


def test_loglikelihood_units_pair_the_rendered_prompt_with_each_choice(tmp_path: Path) -> None:
    unit = _only(_plan(tmp_path, [_mmlu(prompt={"template": "Q: {prompt}"})]))
    assert len(unit.choice_pairs) == len(unit.samples) > 0
    for sample, prompt, pairs in zip(unit.samples, unit.prompts, unit.choice_pairs, strict=True):
        assert prompt == f"{sample.preamble}Q: {sample.prompt}"
        assert pairs == tuple((prompt, " " + choice) for choice in sample.choices)
        assert len(pairs) == 4


def test_choice_delimiter_prefixes_each_continuation(tmp_path: Path) -> None:
    unit = _only(_plan(tmp_path, [_mmlu(choice_delimiter="\n")]))
    for sample, pairs in zip(unit.samples, unit.choice_pairs, strict=True):
        assert [cont for _, cont in pairs] == ["\n" + c for c in sample.choices]


def test_loglikelihood_fewshot_examples_answer_with_the_gold_choice(tmp_path: Path) -> None:
    unit = _only(_plan(tmp_path, [_mmlu(fewshot={"k": 1, "split": "test"})]))
    # the examples come from the same test split: the first other row of the same subject
    for sample, prompt, pairs in zip(unit.samples, unit.prompts, unit.choice_pairs, strict=True):
        (example,) = [
            s for s in unit.samples if s.preamble == sample.preamble and s.id != sample.id
        ][:1]
        gold = example.choices[example.gold[0]]
        assert prompt == f"{sample.preamble}{example.prompt} {gold}\n\n{sample.prompt}"
        assert pairs == tuple((prompt, " " + c) for c in sample.choices)


def test_generate_units_have_no_choice_pairs(tmp_path: Path) -> None:
    assert _only(_plan(tmp_path, [_gsm8k()])).choice_pairs == ()


def test_winogrande_uses_a_context_per_choice(tmp_path: Path) -> None:
    task = {
        "id": "winogrande",
        "dataset": {"format": "winogrande", "source": WINOGRANDE},
        "output_type": "loglikelihood",
        "scorer": {"type": "multiple_choice"},
    }
    unit = _only(_plan(tmp_path, [task]))
    assert unit.samples
    for sample, pairs in zip(unit.samples, unit.choice_pairs, strict=True):
        assert len(sample.contexts) == 2
        assert pairs == tuple(
            (context, " " + choice)
            for context, choice in zip(sample.contexts, sample.choices, strict=True)
        )
        assert pairs[0][0] != pairs[1][0]
        assert pairs[0][1] == pairs[1][1]  # one continuation after two contexts
        assert "_" not in pairs[0][0]


def test_winogrande_template_wraps_each_context(tmp_path: Path) -> None:
    task = {
        "id": "winogrande",
        "dataset": {"format": "winogrande", "source": WINOGRANDE},
        "output_type": "loglikelihood",
        "prompt": {"template": "Sentence: {prompt}"},
        "scorer": {"type": "multiple_choice"},
    }
    unit = _only(_plan(tmp_path, [task]))
    for sample, pairs in zip(unit.samples, unit.choice_pairs, strict=True):
        assert [ctx for ctx, _ in pairs] == [f"Sentence: {c}" for c in sample.contexts]


def test_winogrande_fewshot_example_is_its_gold_context_and_continuation(tmp_path: Path) -> None:
    task = {
        "id": "winogrande",
        "dataset": {"format": "winogrande", "source": WINOGRANDE},
        "output_type": "loglikelihood",
        "fewshot": {"k": 1, "split": "dev"},
        "scorer": {"type": "multiple_choice"},
    }
    unit = _only(_plan(tmp_path, [task]))
    chosen = _lm_eval_random(list(unit.samples), list(unit.samples), 1)
    for sample, pairs in zip(unit.samples, unit.choice_pairs, strict=True):
        (example,) = chosen[sample.id]
        gold = example.gold[0]
        shot = f"{example.contexts[gold]} {example.choices[gold]}"
        assert [ctx for ctx, _ in pairs] == [f"{shot}\n\n{c}" for c in sample.contexts]


# --- chat-templated multiple choice (lm-eval's --apply_chat_template --fewshot_as_multiturn) --


def test_chat_mmlu_pairs_are_multiturn_chats_then_the_bare_choice(tmp_path: Path) -> None:
    """The description is the system message, each example a user turn answered by its gold
    choice, the question the last user turn; the choice follows without a delimiter (the
    engine renders the chat with the generation prompt)."""
    task = _mmlu(prompt={"chat": True}, fewshot={"k": 5, "split": "dev"})
    unit = _only(_plan(tmp_path, [task]))
    dev = load_dataset(DatasetSpec(format="mmlu", source=MMLU, split="dev"), FIXTURES).samples
    for sample, prompt, pairs in zip(unit.samples, unit.prompts, unit.choice_pairs, strict=True):
        shots = [ex for ex in dev if ex.tags["subject"] == sample.tags["subject"]]
        words = sample.tags["subject"].replace("_", " ")
        expected: list[dict[str, str]] = [
            {
                "role": "system",
                "content": "The following are multiple choice questions (with answers) about "
                f"{words}.\n\n",
            }
        ]
        for ex in shots:
            expected.append({"role": "user", "content": ex.prompt})
            expected.append({"role": "assistant", "content": ex.choices[ex.gold[0]]})
        expected.append({"role": "user", "content": sample.prompt})
        assert prompt == expected
        assert pairs == tuple((expected, letter) for letter in "ABCD")


def test_chat_winogrande_builds_one_chat_per_choice(tmp_path: Path) -> None:
    task = {
        "id": "winogrande",
        "dataset": {"format": "winogrande", "source": WINOGRANDE},
        "output_type": "loglikelihood",
        "prompt": {"chat": True},
        "scorer": {"type": "multiple_choice"},
    }
    unit = _only(_plan(tmp_path, [task]))
    for sample, pairs in zip(unit.samples, unit.choice_pairs, strict=True):
        assert pairs == tuple(
            ([{"role": "user", "content": context}], choice)
            for context, choice in zip(sample.contexts, sample.choices, strict=True)
        )


def test_chat_and_raw_multiple_choice_are_different_units(tmp_path: Path) -> None:
    raw = _only(_plan(tmp_path, [_mmlu()]))
    chat = _only(_plan(tmp_path, [_mmlu(prompt={"chat": True})]))
    assert raw.hash != chat.hash


def test_chat_multiple_choice_on_an_openai_endpoint_is_a_spec_error(tmp_path: Path) -> None:
    served = {
        "id": "served",
        "source": "smol",
        "engine": "openai",
        "server": {"base_url": "http://127.0.0.1:9/v1"},
    }
    with pytest.raises(SpecError) as info:
        _plan(tmp_path, [_mmlu(prompt={"chat": True})], models=[served])
    assert re.fullmatch(
        r".*/spec\.yaml:\d+: tasks\[0\]\.prompt\.chat: task 'mmlu' scores choices after a chat "
        r"prompt, which needs the model's chat template, but model 'served' \(engine openai\) "
        r"sends text to an endpoint that applies none; run it with engine vllm, vllm-server or "
        r"hf, or set prompt\.chat: false",
        str(info.value),
    ), str(info.value)


def test_loglikelihood_over_a_format_without_choices_names_the_sample(tmp_path: Path) -> None:
    task = _gsm8k(output_type="loglikelihood", scorer={"type": "multiple_choice"})
    task["prompt"] = {"template": "Question: {prompt}\nAnswer:"}
    with pytest.raises(SpecError) as info:
        _plan(tmp_path, [task])
    message = str(info.value)
    assert "\n" not in message
    assert re.search(
        r"spec\.yaml:\d+: output_type loglikelihood needs multiple-choice samples with a gold "
        r"answer; sample '[0-9a-f]+' of format gsm8k has no choices$",
        message,
    ), message


# --- unit identity of the new fields -------------------------------------------------------


def test_default_fields_keep_the_v1_identity_and_hash(tmp_path: Path) -> None:
    plain = _only(_plan(tmp_path, [_gsm8k()]))
    again = _only(_plan(tmp_path, [_gsm8k()]))
    assert plain.hash == again.hash
    assert set(plain.identity) == V1_IDENTITY_KEYS
    assert set(plain.identity["generation"]) == V1_GENERATION_KEYS
    assert "n" not in plain.identity["generation"]
    for key in ("output_type", "choice_delimiter", "fewshot", "fewshot_examples", "judge"):
        assert key not in plain.identity
    assert plain.hash == sha256_bytes(canonical_json(plain.identity).encode())


def test_fields_written_at_their_defaults_leave_the_hash_alone(tmp_path: Path) -> None:
    plain = _only(_plan(tmp_path, [_gsm8k()]))
    explicit = _gsm8k(output_type="generate", generation={"n": 1})
    assert _only(_plan(tmp_path, [explicit])).hash == plain.hash


def test_set_fields_enter_the_identity_and_change_the_hash(tmp_path: Path) -> None:
    plain = _only(_plan(tmp_path, [_gsm8k()]))
    sampled = _only(_plan(tmp_path, [_gsm8k(generation={"n": 2, "temperature": 0.7})]))
    assert sampled.identity["generation"]["n"] == 2
    assert sampled.attempts == 2
    assert "output_type" not in sampled.identity
    assert sampled.hash != plain.hash

    shots = _only(_plan(tmp_path, [_gsm8k(fewshot={"k": 1, "split": "train"})]))
    assert shots.identity["fewshot"]["k"] == 1
    used = {ex.id for [ex] in _lm_eval_random(_gsm8k_rows(), _gsm8k_rows(), 1).values()}
    assert set(shots.identity["fewshot_examples"]) == used
    assert shots.hash != plain.hash

    mmlu = _only(_plan(tmp_path, [_mmlu()]))
    assert mmlu.identity["output_type"] == "loglikelihood"
    assert mmlu.identity["choice_delimiter"] == " "
    assert "n" not in mmlu.identity["generation"]
    newline = _only(_plan(tmp_path, [_mmlu(choice_delimiter="\n")]))
    assert newline.identity["choice_delimiter"] == "\n"
    assert newline.hash != mmlu.hash


# --- judge units and engine loads ----------------------------------------------------------


def _open_qa(judge: str, task_id: str = "open-qa") -> dict[str, Any]:
    return {
        "id": task_id,
        "dataset": {"format": "open_qa", "source": OPEN_QA},
        "generation": {"max_tokens": 32},
        "scorer": {"type": "judge", "model": judge, "rubric": "builtin:open_qa-v1"},
    }


def _arith(task_id: str = "arith") -> dict[str, Any]:
    return {
        "id": task_id,
        "dataset": {"format": "jsonl", "source": ARITH},
        "scorer": {"type": "numeric"},
    }


def _model(model_id: str, max_model_len: int) -> dict[str, Any]:
    return {"id": model_id, "source": BUILTIN, "engine_args": {"max_model_len": max_model_len}}


def test_judge_unit_carries_its_judge_and_rubric_digest(tmp_path: Path) -> None:
    plan = _plan(tmp_path, [_arith(), _open_qa("smol")])
    arith, open_qa = plan.units
    assert arith.judge is None
    assert "judge" not in arith.identity
    assert open_qa.judge is not None
    rubric = load_rubric("builtin:open_qa-v1", tmp_path)
    assert open_qa.judge.rubric.digest == rubric.digest
    judge_identity = open_qa.identity["judge"]
    assert judge_identity["rubric"] == {
        "name": rubric.name,
        "version": rubric.version,
        "digest": rubric.digest,
    }
    assert judge_identity["scale"] == [1.0, 10.0]
    assert open_qa.judge.request.key == plan.groups[0].request.key
    assert plan.engine_loads == 1


def test_judge_settings_change_the_unit_hash(tmp_path: Path) -> None:
    base = _only(_plan(tmp_path, [_open_qa("smol")]))
    task = _open_qa("smol")
    task["scorer"] = {**task["scorer"], "max_tokens": 64}
    assert _only(_plan(tmp_path, [task])).hash != base.hash
    task["scorer"] = {**task["scorer"], "rubric": "builtin:mt_bench-single-v1", "max_tokens": 512}
    other = _only(_plan(tmp_path, [task]))
    assert other.identity["judge"]["rubric"]["name"] != base.identity["judge"]["rubric"]["name"]
    assert other.hash != base.hash


def test_separate_judge_model_is_a_second_engine_load(tmp_path: Path) -> None:
    plan = _plan(tmp_path, [_open_qa("judge")], judges=[_model("judge", 1024)])
    unit = _only(plan)
    assert unit.unit_id == "smol/open-qa"  # the judge is not evaluated itself
    assert unit.judge is not None
    assert unit.judge.request.key != plan.groups[0].request.key
    assert unit.identity["judge"]["engine"]["args"]["max_model_len"] == 1024
    assert plan.engine_loads == 2


def test_judge_that_is_the_last_model_costs_no_extra_load(tmp_path: Path) -> None:
    models = [_model("a", 2048), _model("b", 1024)]
    plan = _plan(tmp_path, [_open_qa("b")], models=models)
    assert [u.unit_id for u in plan.units] == ["a/open-qa", "b/open-qa"]
    assert plan.engine_loads == 2


def test_a_model_that_judges_generates_last_so_it_loads_once(tmp_path: Path) -> None:
    models = [_model("a", 2048), _model("b", 1024)]
    plan = _plan(tmp_path, [_open_qa("a")], models=models)
    assert [u.unit_id for u in plan.units] == ["b/open-qa", "a/open-qa"]
    assert plan.engine_loads == 2


def test_two_judging_models_cost_one_reload(tmp_path: Path) -> None:
    models = [_model("a", 2048), _model("b", 1024), _model("c", 512)]
    plan = _plan(tmp_path, [_open_qa("a", "qa-a"), _open_qa("b", "qa-b")], models=models)
    assert [g.request.model_id for g in plan.groups] == ["c", "a", "b"]
    assert plan.engine_loads == 4  # three models, and judge a once more after b


def test_one_judge_for_several_tasks_is_loaded_once(tmp_path: Path) -> None:
    tasks = [_open_qa("judge", "qa-1"), _open_qa("judge", "qa-2")]
    plan = _plan(tmp_path, tasks, judges=[_model("judge", 1024)])
    assert plan.engine_loads == 2
