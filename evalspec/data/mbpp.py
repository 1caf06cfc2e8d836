"""The `mbpp` format: MBPP (Austin et al. 2021), full and sanitized releases.

Layouts (the original files and the Hugging Face parquet of google-research-datasets/mbpp
share their field names):

- full (mbpp.jsonl, config "full"): task_id, text, code, test_list, test_setup_code,
  challenge_test_list
- sanitized (sanitized-mbpp.json, config "sanitized"): task_id, prompt, code,
  test_imports, test_list

The prompt follows lm-evaluation-harness's `mbpp` task (tasks/mbpp/mbpp.yaml, without its
"[BEGIN]" marker, which a prompt template can add): "You are an expert Python
programmer, and here is your task: {text} Your code should pass these tests:\\n\\n{tests}\\n".

For the code_exec scorer (evalspec/scoring/program.py) meta carries
- entry_point: the function the asserts call (a top-level `def` of the reference code),
- prompt: the Python prelude (test_imports or test_setup_code; may be ""), which the
  candidate's program and the checker both run first,
- test: `def check(candidate):` running the imports/setup, binding the entry point to the
  candidate and running the asserts (the sandbox's checker calls `check(candidate)`).
"""

from __future__ import annotations

import re
import textwrap

from evalspec.data.choices import extra_meta, text_list
from evalspec.data.rows import Row
from evalspec.data.types import Sample

TASK = "You are an expert Python programmer, and here is your task: {text} "
TESTS = "Your code should pass these tests:\n\n{tests}\n"
DEF = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
CALL = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\(")
STAR_IMPORT = re.compile(r"^\s*from\s+[\w.]+\s+import\s+\*\s*$")
USED = ("task_id", "text", "prompt", "code", "test_list", "test_setup_code", "test_imports")


def _lines(code: str) -> str:
    return code.replace("\r\n", "\n").replace("\r", "\n").strip("\n")


def entry_point(code: str, tests: list[str]) -> str | None:
    """The first function the asserts call that the reference code defines at top level."""
    defined = {m.group(1) for m in DEF.finditer(_lines(code))}
    for test in tests:
        for match in CALL.finditer(test):
            if match.group(1) in defined:
                return str(match.group(1))
    return None


def check_function(entry: str, setup: str, tests: list[str]) -> str:
    """`def check(candidate):` with the setup (star imports hoisted: they are module-level
    only), `<entry> = candidate` and the asserts, each indented into its body."""
    hoisted: list[str] = []
    body: list[str] = []
    for line in _lines(setup).split("\n"):
        (hoisted if STAR_IMPORT.match(line) else body).append(line)
    inner = "\n".join(body).strip("\n")
    parts = [inner] if inner.strip() else []
    parts.append(f"{entry} = candidate")
    parts.extend(_lines(t) for t in tests)
    source = "def check(candidate):\n" + textwrap.indent("\n".join(parts), "    ") + "\n"
    prefix = "\n".join(ln.strip() for ln in hoisted)
    return (prefix + "\n\n" + source) if prefix else source


def _setup(row: Row) -> str:
    if "test_imports" in row.fields:
        imports = row.fields["test_imports"]
        if isinstance(imports, str):
            return imports
        return "\n".join(text_list(row, "test_imports", min_items=0))
    return row.optional_text("test_setup_code") or ""


def parse_mbpp_row(row: Row) -> tuple[Sample, bool]:
    """(sample, False): id "mbpp/<task_id>", target = reference code, meta for code_exec."""
    _, task_id = row.text("task_id")
    _, text = row.text("text", "prompt")
    _, code = row.text("code")
    tests = text_list(row, "test_list")
    entry = entry_point(code, tests)
    if entry is None:
        raise row.error(
            "field 'test_list' calls no function that field 'code' defines with a top-level "
            "'def'; the asserts must call the reference solution's function"
        )
    setup = _setup(row)
    prompt = TASK.format(text=text) + TESTS.format(tests="\n".join(tests))
    meta = extra_meta(row, USED)
    meta.update(
        {
            "entry_point": entry,
            "prompt": _lines(setup) + "\n" if setup.strip() else "",
            "test": check_function(entry, setup, tests),
            "test_list": tests,
            "text": text,
        }
    )
    return Sample(id=f"mbpp/{task_id}", prompt=prompt, target=code, meta=meta), False
