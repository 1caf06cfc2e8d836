"""Turning a model output into a sandbox job: fence extraction, candidate code, trusted tests."""

from __future__ import annotations

import ast
import re

from evalspec.data.types import Sample
from evalspec.errors import SpecError
from evalspec.scoring.sandbox import CodeJob

FENCE = re.compile(r"```[ \t]*(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)(?:```|\Z)", re.DOTALL)
PYTHON_TAGS = {"python", "py", "python3"}
FUTURE = re.compile(r"^from __future__ import [^\n]*$", re.MULTILINE)


def fenced_code(output: str) -> str | None:
    """The first ```python block of a markdown output, else its first ``` block, else None.

    A block left open (generation cut off) runs to the end of the output.
    """
    blocks = [(m.group("lang").lower(), m.group("code")) for m in FENCE.finditer(output)]
    for lang, code in blocks:
        if lang in PYTHON_TAGS:
            return code
    return blocks[0][1] if blocks else None


def defines(code: str, name: str) -> bool:
    """Whether code defines `name` as a top-level function."""
    return re.search(rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None


def import_lines(prompt: str) -> str:
    lines = [ln for ln in prompt.splitlines() if re.match(r"\s*(?:import|from)\s+\w", ln)]
    return "\n".join(ln.strip() for ln in lines)


def _prelude(prompt: str) -> str:
    """What precedes a full function: the whole prompt when it is valid Python on its own
    (HumanEval prompts are: their function body is the docstring), which keeps helper
    functions such as HumanEval/10's is_palindrome; else only its import lines."""
    try:
        ast.parse(prompt)
    except SyntaxError:
        return import_lines(prompt)
    return prompt


def candidate_code(sample: Sample, output: str) -> str:
    """The program part that stands for the model's solution.

    A fenced block or an output that defines `def <entry_point>` is a full function and
    follows the prompt's prelude; anything else is a completion appended to the prompt.
    """
    prompt, entry_point, _ = code_task(sample)
    code = fenced_code(output)
    body = output if code is None else code
    if defines(body, entry_point):
        return _prelude(prompt) + "\n\n" + body
    return prompt + body


def code_task(sample: Sample) -> tuple[str, str, str]:
    """(prompt, entry_point, test) of a code sample; SpecError if the sample has no tests."""
    test = sample.meta.get("test")
    entry_point = sample.meta.get("entry_point")
    if not isinstance(test, str) or not isinstance(entry_point, str):
        raise SpecError(
            f"scorer code_exec needs samples with 'test' and 'entry_point' (dataset format "
            f"humaneval); sample '{sample.id}' has none"
        )
    prompt = sample.meta.get("prompt", sample.prompt)
    return (prompt if isinstance(prompt, str) else sample.prompt), entry_point, test


def hoist_future_imports(program: str) -> str:
    """Move `from __future__ import ...` lines to the top, where Python requires them."""
    futures = FUTURE.findall(program)
    if not futures:
        return program
    return "\n".join(dict.fromkeys(futures)) + "\n" + FUTURE.sub("", program)


def code_job(sample: Sample, output: str) -> CodeJob:
    """The untrusted candidate code and the trusted parts that judge it.

    The checker runs the prompt's prelude (helpers such as HumanEval/32's `poly`) and the
    sample's tests in its own process; the candidate code never sees the tests.
    """
    prompt, entry_point, test = code_task(sample)
    return CodeJob(
        code=hoist_future_imports(candidate_code(sample, output)),
        entry_point=entry_point,
        prelude=_prelude(prompt),
        test=test,
    )
