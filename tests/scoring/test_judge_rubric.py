"""Judge rubrics: built-in and user files load, render every placeholder, and fail clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalspec.errors import SpecError
from evalspec.scoring.judge import (
    builtin_rubrics,
    judge_fingerprint,
    judge_prompt,
    load_rubric,
)
from evalspec.scoring.judge.rubric import parse_rubric

BUILTINS = ["builtin:mt_bench-single-v1", "builtin:open_qa-v1"]

# FastChat's single-v1 prompt_template (fastchat/llm_judge/data/judge_prompts.jsonl)
FASTCHAT_SINGLE_V1 = (
    "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response "
    "provided by an AI assistant to the user question displayed below. Your evaluation should "
    "consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and "
    "level of detail of the response. Begin your evaluation by providing a short explanation. "
    "Be as objective as possible. After providing your explanation, you must rate the response "
    'on a scale of 1 to 10 by strictly following this format: "[[rating]]", for example: '
    '"Rating: [[5]]".\n\n[Question]\n{question}\n\n[The Start of Assistant\'s Answer]\n{answer}\n'
    "[The End of Assistant's Answer]"
)


# what each placeholder holds for the inputs of _inputs()
VALUES = {
    "question": "QUESTION-LAST",
    "answer": "ANSWER-LAST",
    "reference": "REFERENCE-LAST",
    "rubric": "CRITERIA",
    "question_1": "QUESTION-FIRST",
    "answer_1": "ANSWER-FIRST",
    "reference_1": "REFERENCE-FIRST",
    "question_2": "QUESTION-LAST",
    "answer_2": "ANSWER-LAST",
    "reference_2": "REFERENCE-LAST",
}


def _inputs(variant: str) -> dict[str, object]:
    """judge_prompt arguments that select `variant`, every value distinct and recognisable."""
    multi = variant.startswith("multi_turn")
    kwargs: dict[str, object] = {"question": "QUESTION-LAST", "answer": "ANSWER-LAST"}
    if multi:
        kwargs["history"] = [("QUESTION-FIRST", "ANSWER-FIRST")]
    if "+reference" in variant:
        kwargs["reference"] = ["REFERENCE-FIRST", "REFERENCE-LAST"] if multi else "REFERENCE-LAST"
    if "+rubric" in variant:
        kwargs["sample_rubric"] = "CRITERIA"
    return kwargs


def test_builtins_are_listed() -> None:
    assert builtin_rubrics() == BUILTINS


@pytest.mark.parametrize(
    ("ref", "name", "variants"),
    [
        (
            "builtin:mt_bench-single-v1",
            "mt_bench-single",
            ["single", "single+reference", "multi_turn", "multi_turn+reference"],
        ),
        (
            "builtin:open_qa-v1",
            "open_qa",
            ["single", "single+reference", "single+rubric", "single+reference+rubric"],
        ),
    ],
)
def test_builtin_loads(ref: str, name: str, variants: list[str], tmp_path: Path) -> None:
    rubric = load_rubric(ref, tmp_path)
    assert (rubric.name, rubric.version, rubric.ref) == (name, "v1", ref)
    assert re.fullmatch(r"[0-9a-f]{64}", rubric.digest)
    assert [v.name for v in rubric.variants] == variants
    assert rubric.multi_turn is ref.startswith("builtin:mt_bench")


@pytest.mark.parametrize(
    ("ref", "variant"),
    [(ref, variant.name) for ref in BUILTINS for variant in load_rubric(ref, Path(".")).variants],
)
def test_builtin_variant_renders_every_placeholder(ref: str, variant: str, tmp_path: Path) -> None:
    rubric = load_rubric(ref, tmp_path)
    kwargs = _inputs(variant)
    messages = judge_prompt(rubric, **kwargs)  # type: ignore[arg-type]
    assert [m["role"] for m in messages] == ["system", "user"]
    chosen = rubric.variant(variant)
    assert chosen is not None and chosen.system is not None
    assert messages == [
        {"role": "system", "content": chosen.system.format_map(VALUES)},
        {"role": "user", "content": chosen.user.format_map(VALUES)},
    ]
    text = "\n".join(m["content"] for m in messages)
    assert "{" not in text and "}" not in text, "a placeholder was left unfilled"
    assert "[[rating]]" in text and "Rating: [[5]]" in text
    for key, value in kwargs.items():
        if key == "history":
            assert "QUESTION-FIRST" in text and "ANSWER-FIRST" in text
        elif isinstance(value, list):
            assert all(v in text for v in value)
        else:
            assert str(value) in text
    assert "REFERENCE" in text if "+reference" in variant else "REFERENCE" not in text
    assert "CRITERIA" in text if "+rubric" in variant else "CRITERIA" not in text


def test_mt_bench_single_turn_is_fastchat_verbatim(tmp_path: Path) -> None:
    rubric = load_rubric("builtin:mt_bench-single-v1", tmp_path)
    messages = judge_prompt(rubric, question="What is 2+2?", answer="4")
    assert messages == [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": FASTCHAT_SINGLE_V1.format(question="What is 2+2?", answer="4")},
    ]


def test_mt_bench_reference_and_turn_selection(tmp_path: Path) -> None:
    rubric = load_rubric("builtin:mt_bench-single-v1", tmp_path)
    turn_1 = judge_prompt(rubric, question="Q1", answer="A1", reference=["R1", "R2"])
    assert "[The Start of Reference Answer]\nR1\n" in turn_1[1]["content"]
    assert "R2" not in turn_1[1]["content"]  # references past the graded turn are ignored
    turn_2 = judge_prompt(
        rubric, question="Q2", answer="A2", history=[("Q1", "A1")], reference=["R1", "R2"]
    )
    system = turn_2[0]["content"]
    assert system.startswith("Please act as an impartial judge") and system.endswith("\n\n")
    assert "focus on the assistant's answer to the second question" in system
    assert "### Reference answer:\nR1\n" in turn_2[1]["content"]
    assert "### Reference answer:\nR2\n" in turn_2[1]["content"]
    # no reference, or only the graded turn's: the plain multi-turn template
    for reference in (None, "", "R2 only"):
        plain = judge_prompt(
            rubric, question="Q2", answer="A2", history=[("Q1", "A1")], reference=reference
        )
        assert "Reference" not in plain[1]["content"]
        assert "focus on the assistant's answer to the second user question" in plain[0]["content"]


def test_mt_bench_ignores_sample_rubric(tmp_path: Path) -> None:
    rubric = load_rubric("builtin:mt_bench-single-v1", tmp_path)
    with_criteria = judge_prompt(rubric, question="Q", answer="A", sample_rubric="be brief")
    assert with_criteria == judge_prompt(rubric, question="Q", answer="A")


def test_mt_bench_grades_two_turn_conversations_only(tmp_path: Path) -> None:
    rubric = load_rubric("builtin:mt_bench-single-v1", tmp_path)
    history = [("Q1", "A1"), ("Q2", "A2")]
    with pytest.raises(SpecError, match="shows 2 turns; this conversation has 3"):
        judge_prompt(rubric, question="Q3", answer="A3", history=history)


def test_open_qa_picks_the_template_of_the_inputs(tmp_path: Path) -> None:
    rubric = load_rubric("builtin:open_qa-v1", tmp_path)
    plain = judge_prompt(rubric, question="Q", answer="A", reference="", sample_rubric="")
    assert "Reference" not in plain[1]["content"] and "Criteria" not in plain[1]["content"]
    both = judge_prompt(rubric, question="Q", answer="A", reference="R", sample_rubric="C")
    assert "[The Start of Reference Answer]\nR\n" in both[1]["content"]
    assert "[The Start of Grading Criteria]\nC\n" in both[1]["content"]


def test_open_qa_has_no_multi_turn_template(tmp_path: Path) -> None:
    rubric = load_rubric("builtin:open_qa-v1", tmp_path)
    with pytest.raises(SpecError, match=r"builtin:open_qa-v1.*no multi_turn template"):
        judge_prompt(rubric, question="Q2", answer="A2", history=[("Q1", "A1")])


def test_user_rubric_file(tmp_path: Path) -> None:
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "terse-v3.txt").write_text(
        "# my rubric\n\n"
        "=== single.user ===\n"
        "Q: {question}\nA: {answer}\nReply {{json}} with [[rating]] from 1 to 5.\n"
        "=== single+reference.user ===\n"
        "Q: {question_1}\nR: {reference}\nA: {answer_1}\n",
        encoding="utf-8",
    )
    rubric = load_rubric("rubrics/terse-v3.txt", tmp_path)
    assert (rubric.name, rubric.version, rubric.ref) == ("terse", "v3", "rubrics/terse-v3.txt")
    assert judge_prompt(rubric, question="q", answer="a") == [
        {"role": "user", "content": "Q: q\nA: a\nReply {json} with [[rating]] from 1 to 5."}
    ]
    assert judge_prompt(rubric, question="q", answer="a", reference="r") == [
        {"role": "user", "content": "Q: q\nR: r\nA: a"}
    ]
    absolute = load_rubric(str(tmp_path / "rubrics" / "terse-v3.txt"), Path("/nonexistent"))
    assert absolute.digest == rubric.digest


def test_unversioned_user_rubric(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("=== single.user ===\n{question} {answer}", "utf-8")
    rubric = load_rubric("mine.txt", tmp_path)
    assert (rubric.name, rubric.version) == ("mine", "")
    assert judge_prompt(rubric, question="q", answer="a")[0]["content"] == "q a"


def test_section_bodies_keep_inner_blank_lines_and_drop_the_final_break() -> None:
    text = "=== single.system ===\nS\n\n\n=== single.user ===\n{answer}\n\n"
    rubric = parse_rubric(text, ref="x")
    variant = rubric.variant("single")
    assert variant is not None
    assert (variant.system, variant.user) == ("S\n\n", "{answer}\n")
    assert parse_rubric(text.replace("\n", "\r\n"), ref="x").digest == rubric.digest


def test_digest_covers_templates_not_comments() -> None:
    base = "=== single.user ===\n{question}\n{answer}\n"
    digest = parse_rubric(base, ref="x").digest
    assert parse_rubric("# a comment\n" + base, ref="y").digest == digest
    assert parse_rubric(base.replace("{question}", "Q: {question}"), ref="x").digest != digest


@pytest.mark.parametrize(
    "ref", ["builtin:nope-v1", "builtin:mt_bench-single", "builtin:../rubrics/open_qa-v1"]
)
def test_unknown_builtin(ref: str, tmp_path: Path) -> None:
    with pytest.raises(SpecError) as error:
        load_rubric(ref, tmp_path)
    message = str(error.value)
    assert f"unknown rubric '{ref}'" in message
    assert "builtin:mt_bench-single-v1, builtin:open_qa-v1" in message


def test_missing_rubric_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as error:
        load_rubric("rubrics/missing.txt", tmp_path)
    message = str(error.value)
    assert "rubric file 'rubrics/missing.txt' not found" in message
    assert str(tmp_path / "rubrics" / "missing.txt") in message
    assert "builtin:mt_bench-single-v1" in message


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "has no templates"),
        ("# only comments\n", "has no templates"),
        ("preamble\n=== single.user ===\n{answer}", "line 1: text before the first section"),
        ("=== singel.user ===\n{answer}", "line 1: unknown section 'singel.user'"),
        ("=== single.assistant ===\n{answer}", "unknown section 'single.assistant'"),
        ("=== single+rubric+reference.user ===\n{answer}", "unknown section"),
        ("=== single.user ===\n{answer}\n=== single.user ===\n{answer}", "line 3: section"),
        ("=== single.system ===\nS", "'single.system' has no 'single.user'"),
        ("=== single.user ===\n{question}", "shows no {answer}"),
        ("=== single.user ===\n{answer} {answr}", "unknown placeholder '{answr}'"),
        ("=== single.user ===\n{answer!r}", "unknown placeholder '{answer!r}'"),
        ("=== single.user ===\n{answer:>10}", "unknown placeholder '{answer:>10}'"),
        ("=== single.user ===\n{answer.upper}", "unknown placeholder"),
        ("=== single.user ===\n{answer} {", "literal brace"),
        ("=== single.user ===\n{answer} {reference}", "only '+reference' templates may"),
        ("=== single+reference.user ===\n{answer}", "must use {reference}"),
        ("=== single.user ===\n{answer} {rubric}", "only '+rubric' templates may"),
        ("=== single+rubric.user ===\n{answer}", "must use {rubric}"),
        ("=== single.user ===\n{answer_2}", "grades one turn"),
    ],
)
def test_malformed_rubric_file(text: str, error: str, tmp_path: Path) -> None:
    (tmp_path / "bad-v1.txt").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(error)) as raised:
        load_rubric("bad-v1.txt", tmp_path)
    assert "'bad-v1.txt'" in str(raised.value)


def test_template_needing_a_later_turn(tmp_path: Path) -> None:
    rubric = parse_rubric(
        "=== multi_turn.user ===\n{question_1} {answer_1} {question_3} {answer_3}", ref="r"
    )
    with pytest.raises(SpecError, match=re.escape("needs {answer_3}, {question_3}")):
        judge_prompt(rubric, question="Q2", answer="A2", history=[("Q1", "A1")])
    with pytest.raises(SpecError, match="no single template"):
        judge_prompt(rubric, question="Q", answer="A")


def test_judge_fingerprint(tmp_path: Path) -> None:
    mt_bench = load_rubric("builtin:mt_bench-single-v1", tmp_path)
    model = {"engine": "vllm", "model_digest": "abc"}
    fingerprint = judge_fingerprint(mt_bench, model)
    assert fingerprint == {
        "rubric": {"name": "mt_bench-single", "version": "v1", "digest": mt_bench.digest},
        "judge_model": model,
    }
    assert fingerprint["judge_model"] is not model
    open_qa = load_rubric("builtin:open_qa-v1", tmp_path)
    assert judge_fingerprint(open_qa, model) != fingerprint
    assert judge_fingerprint(mt_bench, {**model, "model_digest": "def"}) != fingerprint
