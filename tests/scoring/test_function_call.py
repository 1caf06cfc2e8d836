"""The function_call scorer: BFCL-style parsing and AST checking."""

from __future__ import annotations

from typing import Any

import pytest

from evalspec.scoring.function_call import function_call_score, parse_calls, standardize

WEATHER = {
    "name": "get_weather",
    "parameters": {
        "type": "dict",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["C", "F"]},
            "days": {"type": "integer"},
            "lat": {"type": "float"},
            "hours": {"type": "array", "items": {"type": "integer"}},
            "options": {"type": "dict"},
        },
        "required": ["city"],
    },
}
FACTORIAL = {
    "name": "math.factorial",
    "parameters": {
        "type": "dict",
        "properties": {"number": {"type": "integer"}},
        "required": ["number"],
    },
}
FUNCTIONS = [WEATHER, FACTORIAL]
SIMPLE: list[dict[str, Any]] = [
    {
        "get_weather": {
            "city": ["Paris", "Paris, France"],
            "unit": ["C", ""],
            "days": [3, ""],
            "lat": [48.0, ""],
            "hours": [[1, 2], ""],
            "options": [{"detail": ["high"], "lang": ["en", ""]}, ""],
        }
    }
]
PARALLEL: list[dict[str, Any]] = [
    {"math.factorial": {"number": [5]}},
    {"get_weather": {"city": ["Paris"]}},
]


@pytest.mark.parametrize(
    ("output", "calls"),
    [
        (
            "[get_weather(city='Paris', unit='C'), other(x=1)]",
            [("get_weather", {"city": "Paris", "unit": "C"}), ("other", {"x": 1})],
        ),
        ("math.factorial(number=5)", [("math.factorial", {"number": 5})]),
        ("f(a=1), g(b=-2.5)", [("f", {"a": 1}), ("g", {"b": -2.5})]),
        (
            "```python\n[f(a=[1, 2], b={'k': None}, c=True)]\n```",
            [("f", {"a": [1, 2], "b": {"k": None}, "c": True})],
        ),
        ("Sure! [f(x=1)]", [("f", {"x": 1})]),
        ('{"name": "f", "arguments": {"x": 1}}', [("f", {"x": 1})]),
        ('{"name": "f", "arguments": "{\\"x\\": 1}"}', [("f", {"x": 1})]),
        (
            '[{"type": "function", "function": {"name": "f", "arguments": {}}},'
            ' {"name": "g", "parameters": {"y": "z"}}]',
            [("f", {}), ("g", {"y": "z"})],
        ),
        ('```json\n{"tool_calls": [{"name": "f", "arguments": {"x": 1}}]}\n```', [("f", {"x": 1})]),
        ('<tool_call>\n{"name": "f", "arguments": {"x": 1}}\n</tool_call>', [("f", {"x": 1})]),
    ],
)
def test_parse_calls(output: str, calls: list[tuple[str, dict[str, Any]]]) -> None:
    assert parse_calls(output) == calls


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("get_weather('Paris')", "positional arguments"),
        ("f(x=some_variable)", "not a literal"),
        ("f(**kw)", r"\*\*kwargs"),
        ("I cannot call any function for that.", "not a function call list"),
        ("[1, 2]", "not a function call"),
        ("", "no function call"),
    ],
)
def test_parse_calls_errors(output: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_calls(output)


def test_standardize_string_as_bfcl() -> None:
    assert standardize("April 1, 2024") == standardize("april 1 2024") == "april12024"
    assert standardize("New-York_City") == "newyorkcity"


@pytest.mark.parametrize(
    "output",
    [
        "get_weather(city='Paris')",
        "[get_weather(city='paris, france', unit='C')]",
        "get_weather(city='Paris', lat=48)",  # an int for a float parameter
        "get_weather(city='Paris', days=3, hours=[1, 2])",
        "get_weather(city='Paris', options={'detail': 'HIGH'})",
        '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "C"}}',
    ],
)
def test_simple_pass(output: str) -> None:
    score = function_call_score(output, FUNCTIONS, SIMPLE)
    assert (score.value, score.detail) == (1.0, None)


@pytest.mark.parametrize(
    ("output", "detail"),
    [
        ("get_wether(city='Paris')", "wrong function name get_wether (expected get_weather)"),
        ("get_weather(unit='C')", "missing required parameter city"),
        ("get_weather(city='London')", "value 'London' not accepted for city"),
        ("get_weather(city='Paris', unit='K')", "value 'K' not accepted for unit"),
        ("get_weather(city='Paris', country='FR')", "unexpected parameter country"),
        ("get_weather(city='Paris', days='3')", "parameter days should be integer, got str"),
        ("get_weather(city='Paris', days=3.0)", "parameter days should be integer, got float"),
        ("get_weather(city='Paris', days=True)", "parameter days should be integer, got bool"),
        (
            "get_weather(city='Paris', hours=[1, 2.5])",
            "parameter hours should be an array of integer",
        ),
        ("get_weather(city='Paris', hours=[2, 1])", "value [2, 1] not accepted for hours"),
        ("get_weather(city='Paris', options={'detail': 'low'})", "not accepted for options"),
        ("[get_weather(city='Paris'), get_weather(city='Paris')]", "expected 1 call(s), got 2"),
        ("get_weather('Paris')", "unparsable function call: positional arguments"),
    ],
)
def test_simple_fail(output: str, detail: str) -> None:
    score = function_call_score(output, FUNCTIONS, SIMPLE)
    assert score.value == 0.0
    assert score.detail is not None and detail in score.detail


def test_parameter_without_empty_option_must_be_given() -> None:
    truth = [{"get_weather": {"city": ["Paris"], "unit": ["C"]}}]
    score = function_call_score("get_weather(city='Paris')", FUNCTIONS, truth)
    assert (score.value, score.detail) == (0.0, "missing parameter unit")


def test_variable_given_as_string_is_accepted() -> None:
    truth = [{"get_weather": {"city": ["Paris"], "days": ["n_days"]}}]
    score = function_call_score("get_weather(city='Paris', days='n_days')", FUNCTIONS, truth)
    assert score.value == 1.0


def test_parallel_calls_in_any_order() -> None:
    output = "[get_weather(city='Paris'), math.factorial(number=5)]"
    score = function_call_score(output, FUNCTIONS, PARALLEL)
    assert (score.value, score.extracted) == (
        1.0,
        "get_weather(city='Paris'); math.factorial(number=5)",
    )


def test_underscore_accepted_for_dot_in_names() -> None:
    score = function_call_score("math_factorial(number=5)", FUNCTIONS, PARALLEL[:1])
    assert score.value == 1.0


def test_parallel_failure_names_the_unmatched_call() -> None:
    output = "[math.factorial(number=5), get_weather(city='Rome')]"
    score = function_call_score(output, FUNCTIONS, PARALLEL)
    assert score.value == 0.0
    assert score.detail == "call for get_weather: value 'Rome' not accepted for city"


def test_parallel_finds_a_matching_greedy_order_would_miss() -> None:
    truth: list[dict[str, Any]] = [
        {"get_weather": {"city": ["Paris", "Rome"]}},
        {"get_weather": {"city": ["Paris"]}},
    ]
    output = "[get_weather(city='Paris'), get_weather(city='Rome')]"
    assert function_call_score(output, FUNCTIONS, truth).value == 1.0


def test_wrong_count_of_parallel_calls() -> None:
    score = function_call_score("get_weather(city='Paris')", FUNCTIONS, PARALLEL)
    assert (score.value, score.detail) == (0.0, "expected 2 call(s), got 1")
