"""The function_call scorer: BFCL's AST check (simple, multiple and parallel categories).

Calls are parsed from BFCL's Python form (`[get_weather(city='Paris'), f(x=1)]`, brackets
optional, maybe in a fenced block, dotted names allowed; keyword arguments with literal
values only) or from JSON tool calls (`{"name": ..., "arguments": {...}}`, a list of them,
arguments possibly a JSON string, OpenAI's `{"function": {...}}` wrapper, `<tool_call>`
tags). Each call must match one ground-truth entry `{name: {param: [accepted values]}}`
(any order; a perfect matching is searched): same name ("_" accepted for "."), required
parameters present, no parameter outside the documentation or the ground truth, values of
the documented type (ints accepted for floats) among the accepted ones (strings compared
after BFCL's `standardize_string`), and a parameter left out only when "" is accepted.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from evalspec.scoring.results import Score

Call = tuple[str, dict[str, Any]]

FENCE = re.compile(r"```[ \t]*[\w+-]*[^\n]*\n(?P<body>.*?)(?:```|\Z)", re.DOTALL)
TOOL_CALL_TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
CALL_LIST = re.compile(r"\[\s*[A-Za-z_][\w.]*\s*\(")
PUNCTUATION = re.compile(r"[ ,./\-_*^]")
TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "number": float,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "object": dict,
}


def standardize(text: str) -> str:
    """BFCL's standardize_string: no spaces or ,./-_*^, lowercase, ' as "."""
    return PUNCTUATION.sub("", text).lower().replace("'", '"')


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    raise ValueError(f"not a function name: {ast.unparse(node)}")


def _python_calls(text: str) -> list[Call]:
    try:
        tree = ast.parse(text if text.startswith("[") else f"[{text}]", mode="eval")
    except (SyntaxError, ValueError) as exc:
        raise ValueError(f"not a function call list: {exc}") from None
    nodes = tree.body.elts if isinstance(tree.body, ast.List | ast.Tuple) else [tree.body]
    calls = []
    for node in nodes:
        if not isinstance(node, ast.Call):
            raise ValueError(f"not a function call: {ast.unparse(node)}")
        name = _dotted(node.func)
        if node.args:
            raise ValueError(f"positional arguments in {name}(): pass parameters by name")
        args: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise ValueError(f"**kwargs in {name}()")
            try:
                args[keyword.arg] = ast.literal_eval(keyword.value)
            except (ValueError, TypeError, SyntaxError):
                value = ast.unparse(keyword.value)
                raise ValueError(f"{name}({keyword.arg}={value}): not a literal") from None
        calls.append((name, args))
    return calls


def _json_call(item: Any) -> Call:
    if isinstance(item, Mapping) and isinstance(item.get("function"), Mapping):
        item = item["function"]
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        raise ValueError(f"not a tool call: {json.dumps(item)[:80]}")
    args = item.get("arguments", item.get("parameters", {}))
    if isinstance(args, str):
        args = json.loads(args) if args.strip() else {}
    if not isinstance(args, Mapping):
        raise ValueError(f"arguments of {item['name']} are not an object")
    return item["name"], dict(args)


def _json_calls(value: Any) -> list[Call]:
    if isinstance(value, Mapping) and isinstance(value.get("tool_calls"), list):
        value = value["tool_calls"]
    items = value if isinstance(value, list) else [value]
    return [_json_call(item) for item in items]


def _json_value(text: str) -> Any:
    """The JSON value of text, or None when it is not JSON (then it may be Python calls)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def parse_calls(output: str) -> list[Call]:
    """The (name, arguments) calls of an output; ValueError when it holds none we can read."""
    tagged = TOOL_CALL_TAG.findall(output)
    if tagged:
        return [call for body in tagged for call in _json_calls(json.loads(body))]
    fenced = FENCE.search(output)
    text = (fenced.group("body") if fenced else output).strip()
    if not text:
        raise ValueError("no function call in the output")
    value = _json_value(text) if text[0] in "{[" else None
    if isinstance(value, dict) or (
        isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ):
        return _json_calls(value)
    try:
        return _python_calls(text)
    except ValueError:
        embedded = CALL_LIST.search(text)  # "Sure! [f(x=1)]"
        end = text.rfind("]") + 1
        if embedded is None or embedded.start() == 0 or end <= embedded.start():
            raise
        return _python_calls(text[embedded.start() : end])


def _matches(value: Any, accepted: Any) -> bool:
    """One value against one accepted value (dicts: each key's accepted-value list)."""
    if isinstance(accepted, str):
        return isinstance(value, str) and standardize(value) == standardize(accepted)
    if isinstance(accepted, bool) or isinstance(value, bool):
        return value is accepted
    if isinstance(accepted, int | float):
        return isinstance(value, int | float) and value == accepted
    if isinstance(accepted, list | tuple):
        return (
            isinstance(value, list | tuple)
            and len(value) == len(accepted)
            and all(_matches(v, a) for v, a in zip(value, accepted, strict=True))
        )
    if isinstance(accepted, Mapping):
        if not isinstance(value, Mapping) or any(k not in accepted for k in value):
            return False
        return all(
            (key in value and _accepted(value[key], options))
            or (key not in value and "" in options)
            for key, options in accepted.items()
        )
    return bool(value == accepted)


def _accepted(value: Any, options: Any) -> bool:
    options = options if isinstance(options, list | tuple) else [options]
    return any(_matches(value, option) for option in options if option != "")


def _type_error(param: str, value: Any, spec: Mapping[str, Any], options: Sequence[Any]) -> str:
    """Why `value` is not of the documented type ("" when it is)."""
    kind = str(spec.get("type", "any"))
    expected = TYPES.get(kind)
    if expected is None:
        return ""
    if type(value) is expected:
        item_kind = spec.get("items", {}).get("type")
        item_type = TYPES.get(str(item_kind))
        if isinstance(value, list) and item_type and any(type(v) is not item_type for v in value):
            return f"parameter {param} should be an array of {item_kind}"
        return ""
    if type(value) in {type(option) for option in options if option != ""}:
        return ""  # BFCL: the ground truth names a variable, given as a string
    return f"parameter {param} should be {kind}, got {type(value).__name__}"


def _coerce(value: Any, spec: Mapping[str, Any]) -> Any:
    """Python's int -> float for float parameters; tuples as lists."""
    kind = spec.get("type")
    if isinstance(value, tuple):
        value = list(value)
    if kind in ("float", "number") and type(value) is int:
        return float(value)
    floats = spec.get("items", {}).get("type") in ("float", "number")
    if kind in ("array", "tuple") and floats and isinstance(value, list):
        return [float(v) if type(v) is int else v for v in value]
    return value


def check_call(
    call: Call, expected: Mapping[str, Mapping[str, Sequence[Any]]], doc: Mapping[str, Any] | None
) -> str:
    """Why `call` does not match one ground-truth entry ("" when it does)."""
    name, args = call
    want_name, answers = next(iter(expected.items()))
    if name not in (want_name, want_name.replace(".", "_")):
        return f"wrong function name {name} (expected {want_name})"
    parameters = (doc or {}).get("parameters", {})
    properties: Mapping[str, Any] = parameters.get("properties", {})
    for param in parameters.get("required", []):
        if param not in args:
            return f"missing required parameter {param}"
    for param, raw in args.items():
        if param not in answers or (doc is not None and param not in properties):
            return f"unexpected parameter {param}"
        spec = properties.get(param, {})
        value = _coerce(raw, spec)
        why = _type_error(param, value, spec, answers[param])
        if why:
            return why
        if not _accepted(value, answers[param]):
            return f"value {raw!r} not accepted for {param}"
    for param, options in answers.items():
        if param not in args and "" not in options:
            return f"missing parameter {param}"
    return ""


def _find_doc(functions: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    return next((f for f in functions if f.get("name") == name), None)


def _render(calls: list[Call]) -> str:
    def call_text(name: str, args: dict[str, Any]) -> str:
        return f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"

    return "; ".join(call_text(name, args) for name, args in calls)


def _perfect_matching(ok: list[list[bool]]) -> bool:
    """Whether every ground-truth entry (row) gets its own call (column): Kuhn's algorithm."""
    owner: dict[int, int] = {}

    def assign(row: int, seen: set[int]) -> bool:
        for col, good in enumerate(ok[row]):
            if good and col not in seen:
                seen.add(col)
                if col not in owner or assign(owner[col], seen):
                    owner[col] = row
                    return True
        return False

    return all(assign(row, set()) for row in range(len(ok)))


def function_call_score(
    output: str,
    functions: Sequence[Mapping[str, Any]],
    ground_truth: Sequence[Mapping[str, Mapping[str, Sequence[Any]]]],
) -> Score:
    """1.0 when the output's calls match the ground truth (see the module doc)."""
    try:
        calls = parse_calls(output)
    except ValueError as exc:  # json.JSONDecodeError included
        return Score(0.0, detail=f"unparsable function call: {exc}")
    extracted = _render(calls)
    if len(calls) != len(ground_truth):
        detail = f"expected {len(ground_truth)} call(s), got {len(calls)}"
        return Score(0.0, extracted=extracted, detail=detail)
    reasons = [
        [check_call(call, entry, _find_doc(functions, next(iter(entry)))) for call in calls]
        for entry in ground_truth
    ]
    if _perfect_matching([[not why for why in row] for row in reasons]):
        return Score(1.0, extracted=extracted)
    for i, row in enumerate(reasons):
        if all(row):  # no call fits this entry: explain with the likeliest one
            same_name = [why for why in row if not why.startswith("wrong function name")]
            detail = (same_name or row)[0]
            if len(ground_truth) > 1:
                detail = f"call for {next(iter(ground_truth[i]))}: {detail}"
            return Score(0.0, extracted=extracted, detail=detail)
    return Score(0.0, extracted=extracted, detail="no one-to-one matching of calls to answers")
