"""Template syntax of spec text fields (prompt template and system, few-shot answer).

A template is text with `{field}` placeholders, filled with `str.format_map`; `{{` and
`}}` are literal braces. Only plain names are placeholders: no positional `{}` or `{0}`,
no attribute or index access (`{a.b}`, `{a[0]}`), no conversion (`!r`) and no format
spec (`:d`, `:>99999999999`), which would fail, or exhaust memory, only once a sample
fills them in. Checked when a spec is loaded; whether the fields exist is checked against
the samples when the plan is compiled.
"""

from __future__ import annotations

import string

_HINT = "placeholders are {field} (plain names); write {{ and }} for literal braces"


def excerpt(text: str, limit: int = 40) -> str:
    """A short quoted excerpt of a text for a message."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def template_fields(template: str) -> set[str]:
    """The placeholder names of a template that `check_template_syntax` accepts."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def check_template_syntax(template: str) -> None:
    """ValueError naming the first problem of a template, with what to write instead."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{excerpt(template)} is not a valid template: {exc}; {_HINT}") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name or name.isdigit():
            problem = "is a positional placeholder"
        elif any(c in name for c in ".[]"):
            problem = "uses attribute or index access"
        elif conversion or spec:
            problem = "has a conversion or format spec"
        else:
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        shown += "}"
        within = "" if shown == template else f" (in {excerpt(template)})"
        raise ValueError(
            f"{excerpt(shown)}{within} {problem}, which templates do not support; {_HINT}"
        )
