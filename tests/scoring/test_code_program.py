"""Building the program a code_exec candidate runs as (fences, full functions, completions)."""

from __future__ import annotations

from evalspec.data import Sample
from evalspec.scoring.program import candidate_code, code_job, fenced_code, import_lines

PROMPT = (
    'from typing import List\nimport math\n\n\ndef add(a: int, b: int) -> int:\n    """Sum."""\n'
)
SAMPLE = Sample(
    "t/0", PROMPT, meta={"test": "def check(f):\n    assert f(1, 2) == 3\n", "entry_point": "add"}
)


def test_first_python_block_wins_over_an_earlier_plain_block() -> None:
    text = "```\nplain\n```\nthen\n```python\nfirst_py\n```\n```python\nsecond\n```"
    assert fenced_code(text) == "first_py\n"


def test_plain_block_is_used_when_there_is_no_python_block() -> None:
    assert fenced_code("see\n```\ncode()\n```") == "code()\n"


def test_unclosed_fence_runs_to_the_end() -> None:
    assert fenced_code("```py\nx = 1\ny = 2") == "x = 1\ny = 2"


def test_output_without_fence_has_no_fenced_code() -> None:
    assert fenced_code("    return a + b\n") is None


def test_completion_is_appended_to_the_prompt() -> None:
    assert candidate_code(SAMPLE, "    return a + b\n") == PROMPT + "    return a + b\n"


def test_full_function_follows_the_prompt_prelude() -> None:
    code = candidate_code(SAMPLE, "```python\ndef add(a, b):\n    return a + b\n```")
    assert code.startswith(PROMPT)
    assert code.endswith("def add(a, b):\n    return a + b\n")


def test_import_lines_are_the_prelude_when_the_prompt_does_not_parse() -> None:
    broken = Sample("t/1", "import math\ndef add(a, b):\n", meta=SAMPLE.meta)
    code = candidate_code(broken, "```python\ndef add(a, b):\n    return a + b\n```")
    assert code == "import math\n\ndef add(a, b):\n    return a + b\n"
    assert import_lines(PROMPT) == "from typing import List\nimport math"


def test_job_keeps_the_tests_out_of_the_candidate_code() -> None:
    job = code_job(SAMPLE, "    return a + b\n")
    assert job.code == PROMPT + "    return a + b\n"
    assert "check" not in job.code
    assert (job.entry_point, job.prelude, job.test) == ("add", PROMPT, SAMPLE.meta["test"])


def test_future_imports_of_a_full_function_move_to_the_top_of_the_candidate() -> None:
    output = "```python\nfrom __future__ import annotations\ndef add(a, b):\n    return a + b\n```"
    assert code_job(SAMPLE, output).code.startswith("from __future__ import annotations\n")
