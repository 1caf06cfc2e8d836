"""detectable_format:* and detectable_content:*."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from evalspec.scoring.ifeval.args import Check, Kwargs, as_regex

CONSTRAINED_RESPONSES = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def number_placeholders(kw: Kwargs) -> Check:
    wanted = kw.integer("num_placeholders")
    return lambda response: len(re.findall(r"\[.*?\]", response)) >= wanted


def postscript(kw: Kwargs) -> Check:
    marker = kw.text("postscript_marker").strip()
    if marker == "P.P.S":
        pattern = r"\s*p\.\s?p\.\s?s.*$"
    elif marker == "P.S.":
        pattern = r"\s*p\.\s?s\..*$"
    else:
        pattern = r"\s*" + as_regex(marker.lower()) + r".*$"
    compiled = re.compile(pattern, re.MULTILINE)
    return lambda response: bool(compiled.findall(response.lower()))


def number_bullet_lists(kw: Kwargs) -> Check:
    wanted = kw.integer("num_bullets")

    def check(response: str) -> bool:
        stars = re.findall(r"^\s*\*[^\*].*$", response, flags=re.MULTILINE)
        dashes = re.findall(r"^\s*-.*$", response, flags=re.MULTILINE)
        return len(stars) + len(dashes) == wanted

    return check


def constrained_response(kw: Kwargs) -> Check:
    return lambda response: any(option in response.strip() for option in CONSTRAINED_RESPONSES)


def number_highlighted_sections(kw: Kwargs) -> Check:
    wanted = kw.integer("num_highlights")

    def check(response: str) -> bool:
        single = re.findall(r"\*[^\n\*]*\*", response)
        double = re.findall(r"\*\*[^\n\*]*\*\*", response)
        count = sum(1 for h in single if h.strip("*").strip())
        count += sum(1 for h in double if h.removeprefix("**").removesuffix("**").strip())
        return count >= wanted

    return check


def multiple_sections(kw: Kwargs) -> Check:
    splitter = kw.text("section_spliter").strip()
    wanted = kw.integer("num_sections")
    pattern = re.compile(r"\s?" + as_regex(splitter) + r"\s?\d+\s?")
    return lambda response: len(pattern.split(response)) - 1 >= wanted


def json_format(kw: Kwargs) -> Check:
    def check(response: str) -> bool:
        value = response.strip()
        for fence in ("```json", "```Json", "```JSON", "```"):
            value = value.removeprefix(fence)
        value = value.removesuffix("```").strip()
        try:
            json.loads(value)
        except ValueError:
            return False
        return True

    return check


def title(kw: Kwargs) -> Check:
    return lambda response: any(
        t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", response)
    )


BUILDERS: dict[str, Callable[[Kwargs], Check]] = {
    "detectable_content:number_placeholders": number_placeholders,
    "detectable_content:postscript": postscript,
    "detectable_format:number_bullet_lists": number_bullet_lists,
    "detectable_format:constrained_response": constrained_response,
    "detectable_format:number_highlighted_sections": number_highlighted_sections,
    "detectable_format:multiple_sections": multiple_sections,
    "detectable_format:json_format": json_format,
    "detectable_format:title": title,
}
