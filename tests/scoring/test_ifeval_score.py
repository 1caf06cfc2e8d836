"""ifeval_score and check_instructions: loose variants, Score values, kwargs validation."""

from __future__ import annotations

from typing import Any

import pytest

from evalspec.errors import SpecError
from evalspec.scoring.ifeval import IFEVAL_METRICS, check_instructions, ifeval_score
from evalspec.scoring.ifeval.checks_format import CONSTRAINED_RESPONSES

# the published HF copy pads every kwargs entry with all keys, most of them null
PADDED_KEYS = [
    "num_highlights",
    "relation",
    "num_words",
    "num_placeholders",
    "prompt_to_repeat",
    "num_bullets",
    "section_spliter",
    "num_sections",
    "capital_relation",
    "capital_frequency",
    "keywords",
    "num_paragraphs",
    "language",
    "let_relation",
    "letter",
    "let_frequency",
    "end_phrase",
    "forbidden_words",
    "keyword",
    "frequency",
    "num_sentences",
    "postscript_marker",
    "first_word",
    "nth_paragraph",
]


def padded(**values: Any) -> dict[str, Any]:
    return {key: values.get(key) for key in PADDED_KEYS}


def test_first_line_preamble_fails_strict_but_passes_loose() -> None:
    response = 'Sure, here is the JSON you asked for:\n{"name": "Ada"}'
    strict, loose = check_instructions(
        response, ["detectable_format:json_format", "punctuation:no_comma"], [{}, {}], "p"
    )
    assert strict == [False, False]
    assert loose == [True, True]  # without the first line: valid JSON, no comma


def test_trailing_line_breaks_end_checker_only_strictly() -> None:
    response = "The answer is 42. Is there anything else I can help with?\nHope this helps"
    kwargs = [{"end_phrase": "Is there anything else I can help with?"}]
    assert check_instructions(response, ["startend:end_checker"], kwargs, "p") == ([False], [True])


def test_asterisks_removed_in_loose_variants() -> None:
    response = '**"A quoted answer."**'
    assert check_instructions(response, ["startend:quotation"], [{}], "p") == ([False], [True])


def test_loose_cannot_fix_a_violation_in_the_middle() -> None:
    response = "Intro line\nThis, has a comma.\nLast line"
    assert check_instructions(response, ["punctuation:no_comma"], [{}], "p") == ([False], [False])


def test_empty_response_follows_nothing() -> None:
    ids = ["punctuation:no_comma", "keywords:forbidden_words"]
    kwargs = [{}, {"forbidden_words": ["x"]}]
    assert check_instructions("  \n ", ids, kwargs, "p") == ([False, False], [False, False])


def test_score_values_and_detail() -> None:
    response = "Sure, here it is:\nMy answer is yes."
    ids = [
        "detectable_format:constrained_response",
        "punctuation:no_comma",
        "startend:quotation",
    ]
    score = ifeval_score(response, ids, [{}, {}, {}], "prompt")
    assert score.value == 0.0
    assert score.extracted is None
    assert set(score.values) == set(IFEVAL_METRICS)
    assert score.values == {
        "prompt_level_strict_acc": 0.0,
        "inst_level_strict_acc": pytest.approx(1 / 3),
        "prompt_level_loose_acc": 0.0,
        "inst_level_loose_acc": pytest.approx(2 / 3),
    }
    assert score.detail == "not followed (strict): punctuation:no_comma, startend:quotation"


def test_all_followed_scores_one_without_detail() -> None:
    score = ifeval_score(
        CONSTRAINED_RESPONSES[1], ["detectable_format:constrained_response"], [{}], "p"
    )
    assert score.value == 1.0
    assert score.detail is None
    assert score.values == dict.fromkeys(IFEVAL_METRICS, 1.0)
    assert score.values["inst_level_loose_acc"] == 1.0


def test_null_padded_kwargs_as_published() -> None:
    ids = ["length_constraints:number_words", "detectable_format:number_bullet_lists"]
    kwargs = [padded(num_words=3, relation="at least"), padded(num_bullets=2)]
    strict, loose = check_instructions("* one two\n* three", ids, kwargs, "p")
    assert strict == [True, True]
    assert loose == [True, True]


def test_integral_floats_are_accepted_as_counts() -> None:
    kwargs = [{"num_words": 2.0, "relation": "less than"}]
    assert check_instructions("one", ["length_constraints:number_words"], kwargs, "p")[0] == [True]


def test_unknown_instruction_names_it_and_lists_known_ones() -> None:
    with pytest.raises(SpecError) as err:
        check_instructions("x", ["punctuation:no_semicolon"], [{}], "p")
    message = str(err.value)
    assert "'punctuation:no_semicolon'" in message
    assert "punctuation:no_comma" in message
    assert "keywords:letter_frequency" in message


@pytest.mark.parametrize(
    ("instruction_id", "kwargs", "fragment"),
    [
        ("punctuation:no_comma", {"num_words": 5}, "unknown kwargs num_words"),
        (
            "length_constraints:number_words",
            {"num_words": 5, "relation": "at least", "extra": 1},
            "unknown kwargs extra",
        ),
        ("length_constraints:number_words", {"num_words": 5}, "missing kwarg 'relation'"),
        ("length_constraints:number_words", {"num_words": 5, "relation": "at most"}, "relation"),
        ("length_constraints:number_words", {"num_words": -1, "relation": "at least"}, ">= 0"),
        ("length_constraints:number_words", {"num_words": "5", "relation": "at least"}, "integer"),
        (
            "keywords:letter_frequency",
            {"letter": "ab", "let_frequency": 1, "let_relation": "at least"},
            "one character",
        ),
        ("keywords:existence", {"keywords": "banana"}, "list of non-empty strings"),
        (
            "length_constraints:nth_paragraph_first_word",
            {"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "so"},
            "beyond num_paragraphs",
        ),
        ("combination:repeat_prompt", {}, "prompt_to_repeat"),
    ],
)
def test_bad_kwargs_are_spec_errors(
    instruction_id: str, kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(SpecError, match=instruction_id) as err:
        check_instructions("response", [instruction_id], [kwargs], "")
    assert fragment in str(err.value)


def test_mismatched_or_empty_instruction_lists_are_spec_errors() -> None:
    with pytest.raises(SpecError, match="2 instruction ids but 1 kwargs"):
        check_instructions("x", ["punctuation:no_comma", "startend:quotation"], [{}], "p")
    with pytest.raises(SpecError, match="no instructions"):
        ifeval_score("x", [], [], "p")


def test_published_gpt4_response_with_stars_loose_sentence_count() -> None:
    # key 1174 of the published data: removing "*" must not merge "in o. Let's ..."
    response = (
        "Hello! I see you're currently located in *o*. Let's check the weather for you. "
        "The current weather in *o* is *o* degrees with *o* conditions. The forecast for "
        "the next few days in *o* is expected to be *o*. Please stay safe and dress "
        "appropriately for the weather in *o*."
    )
    ids = ["length_constraints:number_sentences", "detectable_format:number_highlighted_sections"]
    kwargs = [{"relation": "less than", "num_sentences": 6}, {"num_highlights": 2}]
    assert check_instructions(response, ids, kwargs, "p") == ([False, True], [False, True])
