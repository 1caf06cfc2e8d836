"""Pydantic validation errors -> one `FILE:LINE: FIELD.PATH: problem` line for the user.

Pydantic's error locations may contain union labels that do not exist in the YAML
(`ModelSpec`, a discriminator tag such as `numeric`); they are skipped for the
line and the field path. Errors of a union branch that clearly does not apply
(a mapping given where the other branch wants a string) are dropped. The first
remaining error in file order is reported, with a count of the others.
"""

from __future__ import annotations

import difflib
import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from evalspec.errors import SpecError
from evalspec.spec.base import Id
from evalspec.spec.yamlsrc import Document, Loc, message

ID_PATTERN: str = TypeAdapter(Id).json_schema()["pattern"]

EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


@dataclass(frozen=True)
class Issue:
    """One pydantic error placed in the YAML document."""

    error: ErrorDetails
    yaml_loc: Loc  # the parts of the error's loc that exist in the document
    shown_loc: Loc  # what the message names: yaml_loc plus a missing key
    branch: Loc | None  # where a union label was skipped (None: no union involved)
    line: int


def explain(exc: ValidationError, doc: Document, root: type[BaseModel]) -> SpecError:
    """The SpecError for the first (in file order) of a ValidationError's errors."""
    issues = _prune_branches([_place(err, doc) for err in exc.errors()])
    issues.sort(key=lambda issue: (issue.line, issue.error["type"] == "missing"))
    first = issues[0]
    at, shown, problem = _describe(first, doc, root)
    text = message(doc.where(*at), shown, problem)
    others = len(issues) - 1
    if others:
        text += f" ({others} more error{'s' if others > 1 else ''})"
    return SpecError(text)


def _place(err: ErrorDetails, doc: Document) -> Issue:
    node: Any = doc.data
    yaml_loc: list[str | int] = []
    shown: list[str | int] = []
    branch: Loc | None = None
    loc = err["loc"]
    for i, part in enumerate(loc):
        if _has(node, part):
            node = node[part]
        elif err["type"] == "missing" and i == len(loc) - 1:
            shown.append(part)
            continue
        else:  # a union label
            if branch is None:
                branch = tuple(yaml_loc)
            continue
        yaml_loc.append(part)
        shown.append(part)
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = str(err.get("ctx", {}).get("discriminator", "type")).strip("'")
        if isinstance(node, dict) and key in node:
            yaml_loc.append(key)
        if err["type"] == "union_tag_invalid":
            shown.append(key)
    yl = tuple(yaml_loc)
    return Issue(err, yl, tuple(shown), branch, _order_line(err, yl, doc))


def _order_line(err: ErrorDetails, yaml_loc: Loc, doc: Document) -> int:
    """The line that orders an error; a missing key sorts after its mapping's keys.

    So a typo (`sourc:`) is reported as the unknown key, not as the missing `source`.
    """
    if err["type"] != "missing":
        return doc.line(yaml_loc) or 0
    n = len(yaml_loc)
    under = [line for loc, line in doc.lines.items() if loc[:n] == yaml_loc]
    return max(under, default=doc.line(yaml_loc) or 0)


def _has(node: Any, part: str | int) -> bool:
    """Whether a built YAML value has this key or index."""
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _is_whole_type_error(issue: Issue) -> bool:
    return issue.error["type"] in EXPECTED and issue.yaml_loc == issue.branch


def _prune_branches(issues: list[Issue]) -> list[Issue]:
    """Drop 'wrong shape' errors of union branches when another branch explains more.

    Where every branch only says 'wrong type', merge them into one error that lists
    what each branch expects.
    """
    out: list[Issue] = []
    groups: dict[Loc, list[Issue]] = {}
    for issue in issues:
        if issue.branch is None:
            out.append(issue)
        else:
            groups.setdefault(issue.branch, []).append(issue)
    for point, group in groups.items():
        specific = [i for i in group if not _is_whole_type_error(i)]
        if specific:
            out.extend(specific)
            continue
        wants = list(dict.fromkeys(EXPECTED[i.error["type"]] for i in group))
        merged: ErrorDetails = {**group[0].error, "type": "union_type", "msg": " or ".join(wants)}
        out.append(Issue(merged, point, point, None, group[0].line))
    return out


def _describe(issue: Issue, doc: Document, root: type[BaseModel]) -> tuple[Loc, Loc, str]:
    """Where to point, the field path to name, and the problem text of one issue."""
    if issue.error["type"] == "value_error":
        text = str(issue.error["msg"]).removeprefix("Value error, ")
        return _locate_duplicate(text, issue, doc) or (issue.yaml_loc, issue.shown_loc, text)
    shown, text = _problem(issue, root)
    return issue.yaml_loc, shown, text


def _problem(issue: Issue, root: type[BaseModel]) -> tuple[Loc, str]:
    """The field path and problem text of one issue."""
    err = issue.error
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    loc = issue.shown_loc
    if kind == "union_type":
        return loc, f"expected {err['msg']}, got {show(value)}"
    if kind in EXPECTED:
        tags = _tags_at(root, err["loc"], "type") if EXPECTED[kind] == "a mapping" else []
        if tags:  # a discriminated union, such as a scorer
            return loc, (
                f"expected a mapping with a `type` key, got {show(value)}. "
                f"valid types: {', '.join(tags)}"
            )
        return loc, f"expected {EXPECTED[kind]}, got {show(value)}"
    if kind == "missing":
        return loc, f"missing required key '{loc[-1]}'"
    if kind == "extra_forbidden":
        return loc, _unknown_key(str(loc[-1]), sorted(_fields_at(root, err["loc"][:-1])))
    if kind == "too_short":
        least = ctx.get("min_length")
        return loc, f"needs at least {least} item{'s' if least != 1 else ''}, got {show(value)}"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = _did_you_mean(str(value), allowed)
        return loc, f"invalid value {show(value)}; allowed: {ctx.get('expected')}{hint}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = _tags_at(root, err["loc"], str(ctx.get("discriminator", "type")).strip("'"))
        listed = ", ".join(tags)
        if kind == "union_tag_not_found":
            return loc, f"missing required key 'type'; valid types: {listed}"
        tag = str(ctx.get("tag"))
        return loc, f"unknown type '{tag}'; valid types: {listed}{_did_you_mean(tag, tags)}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == ID_PATTERN:
        return loc, (
            f"invalid id {show(value)}. use letters, digits, '_', '.' and '-', "
            "starting with a letter or digit"
        )
    text = str(err["msg"])
    text = text[:1].lower() + text[1:]
    if isinstance(value, (str, int, float, bool)) or value is None:
        text += f", got {show(value)}"
    return loc, text


def show(value: Any) -> str:
    """A value as a message shows it: strings quoted, YAML spellings for null/bools."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return str(value)


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unknown_key(key: str, valid: list[str]) -> str:
    hint = _did_you_mean(key, valid)
    if hint:
        return f"unknown key '{key}'{hint}"
    return f"unknown key '{key}'. valid keys: {', '.join(valid)}"


def _locate_duplicate(text: str, issue: Issue, doc: Document) -> tuple[Loc, Loc, str] | None:
    """Point `duplicate task id 'x'` at the second occurrence instead of the parent."""
    found = re.match(r"duplicate (\w+) id '(.*)'$", text)
    if not found:
        return None
    key, wanted = found.group(1) + "s", found.group(2)
    node: Any = doc.data
    for part in issue.yaml_loc:
        node = node[part]
    items = node.get(key) if isinstance(node, dict) else None
    if not isinstance(items, list):
        return None
    first: int | None = None
    for i, item in enumerate(items):
        ident = item.get("id") if isinstance(item, dict) else item
        if ident == wanted:
            if first is not None:
                loc: Loc = (*issue.yaml_loc, key, i)
                at = (*loc, "id") if isinstance(item, dict) else loc
                first_line = doc.line((*issue.yaml_loc, key, first))
                return at, loc, f"{text} (first at line {first_line}). give each a unique id"
            first = i
    return None


# --- walking the pydantic model types along an error location ---------------------------


def _expand(tp: Any) -> list[Any]:
    """Unwrap Annotated, unions and Optional into their member types."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _expand(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(tp) for m in _expand(arg)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tag_values(model: type[BaseModel], key: str) -> list[str]:
    field = model.model_fields.get(key)
    if field is None or get_origin(field.annotation) is not Literal:
        return []
    return [str(v) for v in get_args(field.annotation)]


def _is_label_of(part: str, model: type[BaseModel]) -> bool:
    """Whether a loc part is pydantic's union label for this member (name or tag)."""
    name = model.__name__
    # validators nest the label: "function-after[v2(), function-after[v1(), ModelSpec]]"
    wrapped = part.rstrip("]").endswith(f" {name}")
    return part == name or wrapped or part in _tag_values(model, "type")


def _types_at(root: type[BaseModel], loc: Loc) -> list[Any]:
    """The candidate types at a pydantic error location (union labels resolve a member)."""
    cands: list[Any] = [root]
    for part in loc:
        nxt: list[Any] = []
        for tp in (m for c in cands for m in _expand(c)):
            if isinstance(part, int):
                if get_origin(tp) is list:
                    nxt.append(get_args(tp)[0])
            elif _is_model(tp):
                if part in tp.model_fields:
                    nxt.append(tp.model_fields[part].annotation)
                elif _is_label_of(part, tp):
                    nxt.append(tp)
        cands = nxt
    return [m for c in cands for m in _expand(c)]


def _fields_at(root: type[BaseModel], loc: Loc) -> set[str]:
    return {name for tp in _types_at(root, loc) if _is_model(tp) for name in tp.model_fields}


def _tags_at(root: type[BaseModel], loc: Loc, key: str) -> list[str]:
    tags = [t for tp in _types_at(root, loc) if _is_model(tp) for t in _tag_values(tp, key)]
    return list(dict.fromkeys(tags))
