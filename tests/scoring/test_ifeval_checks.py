"""Every IFEval instruction type: a response that follows it and one that does not (strict)."""

from __future__ import annotations

from typing import Any

import pytest

from evalspec.scoring.ifeval import INSTRUCTIONS, check_instructions

# (instruction id, kwargs, following response, violating response)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "keywords:existence",
        {"keywords": ["banana", "river"]},
        "The River carried a BANANA downstream.",
        "The river was calm.",
    ),
    (
        "keywords:frequency",
        {"keyword": "cat", "frequency": 2, "relation": "at least"},
        "A cat met another Cat.",
        "Only one cat here.",
    ),
    (
        "keywords:frequency",
        {"keyword": " dog ", "frequency": 2, "relation": "less than"},
        "A single dog.",
        "Dog after dog.",
    ),
    (
        "keywords:forbidden_words",
        {"forbidden_words": ["sad", "gloomy"]},
        "Sadness is a word, but the whole word is absent.",
        "It was a Sad day.",
    ),
    (
        "keywords:letter_frequency",
        {"letter": "Z", "let_frequency": 3, "let_relation": "at least"},
        "Zebras zigzag lazily.",
        "A calm day by the sea.",
    ),
    (
        "keywords:letter_frequency",
        {"letter": "e", "let_frequency": 2, "let_relation": "less than"},
        "A calm day.",
        "Tree.",
    ),
    (
        "keywords:letter_frequency",  # the published data also counts "#" and "!"
        {"letter": "#", "let_frequency": 2, "let_relation": "at least"},
        "Tags: #ai #ml",
        "Tags: #ai and ml",
    ),
    (
        "language:response_language",
        {"language": "fr"},
        "Bonjour, je suis très heureux de vous rencontrer aujourd'hui.",
        "Hello, I am very happy to meet you today.",
    ),
    (
        "length_constraints:number_sentences",
        {"num_sentences": 3, "relation": "less than"},
        "Mr. Smith paid 3.14 dollars, e.g. for tea. That is all.",
        "One. Two. Three.",
    ),
    (
        "length_constraints:number_sentences",
        {"num_sentences": 2, "relation": "at least"},
        "Is it? Yes!",
        "Dr. J. Smith arrived at 5 p.m. on Monday.",
    ),
    (
        "length_constraints:number_paragraphs",
        {"num_paragraphs": 2},
        "***\nFirst paragraph.\n***\nSecond paragraph.\n***",
        "First.\n***\n\n***\nSecond.",
    ),
    (
        "length_constraints:number_words",
        {"num_words": 5, "relation": "at least"},
        "one two three-four five",
        "one two, three.",
    ),
    (
        "length_constraints:number_words",
        {"num_words": 3, "relation": "less than"},
        "Two words",
        "It's three words",
    ),
    (
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "However"},
        'Intro text.\n\n"However, this follows."',
        "Intro text.\n\nBut this does not.",
    ),
    (
        "detectable_content:number_placeholders",
        {"num_placeholders": 2},
        "Dear [name], we live at [address].",
        "Dear [name], hello.",
    ),
    (
        "detectable_content:postscript",
        {"postscript_marker": "P.S."},
        "Hello there.\n\np.s. see you soon",
        "Hello there. PS see you soon",
    ),
    (
        "detectable_content:postscript",
        {"postscript_marker": "P.P.S"},
        "Hello.\nP.P.S. one more thing",
        "Hello.\nP.S. one thing",
    ),
    (
        "detectable_format:number_bullet_lists",
        {"num_bullets": 3},
        "Points:\n* first\n* second\n- third",
        "Points:\n* first\n* second",
    ),
    (
        "detectable_format:constrained_response",
        {},
        "  My answer is maybe.  ",
        "Maybe.",
    ),
    (
        "detectable_format:number_highlighted_sections",
        {"num_highlights": 2},
        "*first part* and **second part**",
        "*first part* and ** ** and * *",
    ),
    (
        "detectable_format:multiple_sections",
        {"section_spliter": "SECTION", "num_sections": 2},
        "SECTION 1\nIntro.\nSECTION 2\nBody.",
        "SECTION 1\nIntro.\nSection 2\nBody.",
    ),
    (
        "detectable_format:json_format",
        {},
        '```json\n{"answer": [1, 2]}\n```',
        "{'answer': [1, 2]}",
    ),
    (
        "detectable_format:title",
        {},
        "<<Ode to Joy>>\nA poem.",
        "<< >>\nA poem without a title, <<not\nclosed>>.",
    ),
    (
        "combination:two_responses",
        {},
        "First answer.\n******\nSecond answer.",
        "Same answer.\n******\nSame answer.",
    ),
    (
        "combination:repeat_prompt",
        {"prompt_to_repeat": "Write a haiku about rain."},
        "write a haiku about rain. Drops fall on the roof.",
        "Sure! Write a haiku about rain. Drops fall.",
    ),
    (
        "startend:end_checker",
        {"end_phrase": "Any other questions?"},
        'The answer is 4. any other questions?"  ',
        "Any other questions? Bye.",
    ),
    (
        "startend:quotation",
        {},
        '  "The whole response is quoted."\n',
        'The response is "partly" quoted."',
    ),
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 3, "capital_relation": "at least"},
        "THIS is VERY important, I DON'T lie.",
        "This is Very important and WELL-known.",
    ),
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 2, "capital_relation": "less than"},
        "Only one SHOUT here.",
        "NASA and the ESA.",
    ),
    (
        "change_case:english_capital",
        {},
        "THIS IS AN ENGLISH SENTENCE ABOUT THE WEATHER TODAY.",
        "ЭТО РУССКОЕ ПРЕДЛОЖЕНИЕ О ПОГОДЕ НА СЕГОДНЯ.",
    ),
    (
        "change_case:english_capital",
        {},
        "THE WEATHER IS NICE TODAY AND WE ARE GOING OUT.",
        "THE WEATHER IS NICE today.",
    ),
    (
        "change_case:english_lowercase",
        {},
        "this is an english sentence about the weather today.",
        "This is an English sentence about the weather today.",
    ),
    (
        "change_case:english_lowercase",
        {},
        "the weather is nice today and we are going out.",
        "le temps est magnifique aujourd'hui et nous sortons.",
    ),
    ("punctuation:no_comma", {}, "No commas here; none at all.", "Well, one comma."),
]


def _strict(response: str, instruction_id: str, kwargs: dict[str, Any]) -> bool:
    strict, _loose = check_instructions(response, [instruction_id], [kwargs], "the prompt")
    return strict[0]


@pytest.mark.parametrize(("instruction_id", "kwargs", "following", "violating"), CASES)
def test_instruction_followed_and_violated(
    instruction_id: str, kwargs: dict[str, Any], following: str, violating: str
) -> None:
    assert _strict(following, instruction_id, kwargs) is True
    assert _strict(violating, instruction_id, kwargs) is False


def test_every_instruction_type_of_the_release_is_registered_and_tested() -> None:
    assert len(INSTRUCTIONS) == 25
    assert {case[0] for case in CASES} == set(INSTRUCTIONS)


def test_paragraph_checks_count_exactly() -> None:
    kwargs = {"num_paragraphs": 2}
    assert not _strict("One paragraph only.", "length_constraints:number_paragraphs", kwargs)
    assert not _strict("A\n***\nB\n***\nC", "length_constraints:number_paragraphs", kwargs)
    nth = {"num_paragraphs": 2, "nth_paragraph": 1, "first_word": "intro"}
    first = "length_constraints:nth_paragraph_first_word"
    assert _strict("Intro, text.\n\nMore.", first, nth)
    assert not _strict("Intro, text.\n\nMore.\n\nAnd more.", first, nth)  # three paragraphs
    assert not _strict("\n\nIntro.\n\nMore.", first, nth)  # the 1st piece is empty


def test_postscript_with_a_custom_marker_and_sections_need_a_number() -> None:
    assert _strict(
        "Body.\nNOTE: later", "detectable_content:postscript", {"postscript_marker": "Note:"}
    )
    sections = {"section_spliter": "Part", "num_sections": 2}
    assert not _strict("Part one\nPart two", "detectable_format:multiple_sections", sections)
    assert _strict("Part 1 one\nPart 2 two", "detectable_format:multiple_sections", sections)


def test_keywords_that_are_not_regexes_match_literally() -> None:
    kwargs = {"keywords": ["[draft", "(beta"]}  # valid regexes are used as regexes
    assert _strict("A [draft] of the (beta version).", "keywords:existence", kwargs)
    assert not _strict("A draft of the (beta).", "keywords:existence", kwargs)


def test_repeat_prompt_falls_back_to_the_sample_prompt() -> None:
    strict, _ = check_instructions(
        "The prompt, repeated. Then an answer.", ["combination:repeat_prompt"], [{}], "The prompt,"
    )
    assert strict == [True]
