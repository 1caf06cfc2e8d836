"""The `bfcl` format: Berkeley Function Calling Leaderboard (v3) single-turn questions.

Layout (bfcl_eval/data/BFCL_v3_<category>.json, JSON Lines despite the .json name; the
Hugging Face copy gorilla-llm/Berkeley-Function-Calling-Leaderboard is the same files):
id ("simple_12", "live_multiple_3-2-1"), question (a list of turns, each a list of chat
messages {role, content}; or a plain string), function (a list of JSON function docs:
name, description, parameters). The ground truth is the `ground_truth` field of BFCL's
possible_answer/BFCL_v3_<category>.json rows (a list of {func_name: {param: [acceptable
values]}}), joined on `id` by setting `dataset.answers` to that file.

prompt = the user content of the first turn (turns: the user content of later turns);
target = ""; tags {"category": the id without its last "_<n>" part}; meta:
- functions: the function docs as given;
- ground_truth: the possible answer ([] for the irrelevance categories, which have none:
  making no call is correct; live_relevance, where any call is correct, is refused);
- system_prompt: BFCL's prompting-mode (non-FC) system prompt with the function docs
  filled in as bfcl_eval builds it (bfcl_eval/constants/default_prompts.py
  DEFAULT_SYSTEM_PROMPT; the docs inserted as `str(list)` after appending the language
  hint " Note that the provided function is in Python 3 syntax." (Java 8 SDK /
  JavaScript for those categories) to each description); a system message of the
  question follows it after a blank line. Use it as `prompt.system: "{system_prompt}"`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from evalspec.data.choices import extra_meta, object_value, text_value
from evalspec.data.rows import Row
from evalspec.data.types import Sample

# bfcl_eval/constants/default_prompts.py (gorilla, berkeley-function-call-leaderboard)
DEFAULT_SYSTEM_PROMPT_WITHOUT_FUNC_DOC = (
    "You are an expert in composing functions. You are given a question and a set of "
    "possible functions. Based on the question, you will need to make one or more "
    "function/tool calls to achieve the purpose.\n"
    "If none of the functions can be used, point it out. If the given question lacks the "
    "parameters required by the function, also point it out.\n"
    "You should only return the function calls in your response.\n\n"
    "If you decide to invoke any of the function(s), you MUST put it in the format of "
    "[func_name1(params_name1=params_value1, params_name2=params_value2...), "
    "func_name2(params)]\n"
    "You SHOULD NOT include any other text in the response.\n\n"
    "At each turn, you should try your best to complete the tasks requested by the user "
    "within the current turn. Continue to output functions to call until you have "
    "fulfilled the user's request to the best of your ability. Once you have no more "
    "functions to call, the system will consider the current turn complete and proceed to "
    "the next turn or task.\n"
)
DEFAULT_SYSTEM_PROMPT = (
    DEFAULT_SYSTEM_PROMPT_WITHOUT_FUNC_DOC
    + "\nHere is a list of functions in JSON format that you can invoke.\n{functions}\n\n"
)
USED = ("id", "question", "function", "ground_truth")


def category_of(sample_id: str) -> str:
    """BFCL's test category: the id without its last "_<n>" part ("live_simple_0-0-0")."""
    head, _, tail = sample_id.rpartition("_")
    return head if head and tail[:1].isdigit() else sample_id


def language_hint(category: str) -> str:
    """The note bfcl_eval appends to every function description of a category."""
    if "javascript" in category:
        return " Note that the provided function is in JavaScript syntax."
    if "java" in category:
        return " Note that the provided function is in Java 8 SDK syntax."
    return " Note that the provided function is in Python 3 syntax."


def system_prompt(functions: list[dict[str, Any]], category: str) -> str:
    """BFCL's prompting-mode system prompt with the hinted function docs filled in."""
    docs = copy.deepcopy(functions)
    for doc in docs:
        doc["description"] = str(doc.get("description", "")) + language_hint(category)
    return DEFAULT_SYSTEM_PROMPT.format(functions=docs)


def _decoded(row: Row, key: str) -> object:
    """Field `key`, JSON-decoded when a table stored the structure as a JSON string."""
    value = row.fields.get(key)
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise row.error(f"field '{key}' is a string but not valid JSON ({exc.msg})") from exc
    return value


def _messages(row: Row, turn: object) -> list[dict[str, Any]]:
    if not isinstance(turn, list):
        raise row.error("field 'question' must be a list of turns, each a list of messages")
    return [object_value(row, "question[][]", m) for m in turn]


def turns_of(row: Row) -> tuple[list[str], str]:
    """(user text of each turn, the first turn's system content or "")."""
    question = _decoded(row, "question")
    if isinstance(question, str):
        return [question], ""
    if not isinstance(question, list) or not question:
        raise row.error(
            "field 'question' must be a non-empty list of turns (each a list of "
            '{"role", "content"} messages) or a string'
        )
    if all(isinstance(m, dict) for m in question):
        question = [question]  # one turn given as a flat message list
    texts: list[str] = []
    system = ""
    for number, turn in enumerate(question):
        users: list[str] = []
        for message in _messages(row, turn):
            role = message.get("role")
            if role not in ("system", "user"):
                continue
            content = text_value(row, "question[][].content", message.get("content"))
            if role == "user":
                users.append(content)
            elif number == 0:
                system = content
        texts.append("\n".join(users))
    if not texts[0]:
        raise row.error("field 'question' has no user message in its first turn")
    return texts, system


def functions_of(row: Row) -> list[dict[str, Any]]:
    """The `function` docs: a list of objects, each with a name."""
    raw = _decoded(row, "function")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise row.error(
            "field 'function' must be a list of JSON function docs (name, description, "
            "parameters); BFCL multi_turn rows, which name classes instead, are not supported"
        )
    docs = [object_value(row, "function[]", doc) for doc in raw]
    for doc in docs:
        if not isinstance(doc.get("name"), str):
            raise row.error("field 'function' has a doc without a string 'name'")
    return docs


def ground_truth_of(row: Row, category: str) -> list[Any]:
    """The joined possible answer; [] (no call is correct) for irrelevance rows."""
    value = _decoded(row, "ground_truth")
    if value is None:
        if category.endswith("irrelevance"):
            return []
        if category.endswith("relevance"):
            raise row.error(
                f"category '{category}' has no possible answers (any call counts as "
                "relevant), which the function_call scorer cannot check; leave it out"
            )
        raise row.error(
            "has no 'ground_truth': set dataset.answers to BFCL's possible_answer file for "
            "this category (possible_answer/BFCL_v3_<category>.json), joined on 'id'"
        )
    if not isinstance(value, list):
        raise row.error(
            "field 'ground_truth' must be a list of {function name: {parameter: [acceptable "
            f"values]}} objects, got {type(value).__name__}"
        )
    return value


def parse_bfcl_row(row: Row) -> tuple[Sample, bool]:
    """(sample, False): the user request, functions, ground truth and BFCL system prompt."""
    _, sample_id = row.text("id")
    category = category_of(sample_id)
    texts, system = turns_of(row)
    functions = functions_of(row)
    prompt_text = system_prompt(functions, category)
    meta = extra_meta(row, USED)
    meta.update(
        {
            "functions": functions,
            "ground_truth": ground_truth_of(row, category),
            "system_prompt": prompt_text + ("\n\n" + system if system else ""),
        }
    )
    sample = Sample(
        id=sample_id,
        prompt=texts[0],
        meta=meta,
        turns=tuple(texts[1:]),
        tags={"category": category},
    )
    return sample, False
