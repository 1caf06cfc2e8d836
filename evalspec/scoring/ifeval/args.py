"""Typed, validated access to one instruction's kwargs, and helpers the checks share."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from evalspec.errors import SpecError

Check = Callable[[str], bool]  # response -> followed?
RELATIONS = ("less than", "at least")


class Kwargs:
    """One instruction's kwargs: None values dropped, each read checked and recorded.

    A builder reads every key its instruction accepts (required or optional); `finish`
    then rejects any key nobody read, so unknown keys are errors, not silently ignored.
    """

    def __init__(self, instruction_id: str, values: Mapping[str, Any], prompt: str) -> None:
        self.instruction_id = instruction_id
        self.prompt = prompt
        self._values = {k: v for k, v in values.items() if v is not None}
        self._accepted: list[str] = []

    def error(self, message: str) -> SpecError:
        return SpecError(f"IFEval instruction {self.instruction_id!r}: {message}")

    def _get(self, key: str, required: bool) -> Any:
        self._accepted.append(key)
        if required and key not in self._values:
            raise self.error(f"missing kwarg {key!r}")
        return self._values.get(key)

    def integer(self, key: str, minimum: int = 0) -> int:
        value = self._get(key, required=True)
        if isinstance(value, float) and value.is_integer():  # 3.0 from a padded table
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(f"kwarg {key!r} must be an integer >= {minimum}, got {value!r}")
        return value

    def text(self, key: str) -> str:
        value = self.optional_text(key, required=True)
        assert value is not None
        return value

    def optional_text(self, key: str, required: bool = False) -> str | None:
        value = self._get(key, required=required)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.error(f"kwarg {key!r} must be a non-empty string, got {value!r}")
        return value

    def strings(self, key: str) -> list[str]:
        value = self._get(key, required=True)
        if (
            not isinstance(value, list | tuple)
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise self.error(f"kwarg {key!r} must be a list of non-empty strings, got {value!r}")
        return list(value)

    def relation(self, key: str) -> str:
        value = self._get(key, required=True)
        if value not in RELATIONS:
            raise self.error(f"kwarg {key!r} must be one of {RELATIONS}, got {value!r}")
        return str(value)

    def finish(self) -> None:
        unknown = sorted(set(self._values) - set(self._accepted))
        if unknown:
            accepts = ", ".join(self._accepted) or "no kwargs"
            raise self.error(f"unknown kwargs {', '.join(unknown)} (accepts: {accepts})")


def compare(count: int, relation: str, threshold: int) -> bool:
    """'less than': count < threshold; 'at least': count >= threshold."""
    return count < threshold if relation == RELATIONS[0] else count >= threshold


def as_regex(text: str) -> str:
    """`text` as regex source: the reference uses kwargs as regexes; literal if not one."""
    try:
        re.compile(text)
    except re.error:
        return re.escape(text)
    return text


def user_pattern(text: str, flags: int = 0, before: str = "", after: str = "") -> re.Pattern[str]:
    """`before + as_regex(text) + after`, compiled."""
    return re.compile(before + as_regex(text) + after, flags)
