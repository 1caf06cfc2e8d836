"""Settings read from environment variables: one parser, one exit-2 message shape."""

from __future__ import annotations

import math
import os

from evalspec.errors import SpecError


def seconds_from_env(name: str, default: float, example: str, maximum: float = math.inf) -> float:
    """$name as seconds above 0 (and at most `maximum`), else `default` when unset or
    blank; anything else (text, nan, inf, 0, negative, too large) is a SpecError."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (0 < value <= maximum and value < math.inf):  # also false for nan
        bound = "above 0" if maximum == math.inf else f"above 0 and at most {maximum:g}"
        raise SpecError(
            f"{name}={raw!r}: expected a number of seconds {bound}, e.g. {example}; "
            f"fix or unset it (default {default:g})"
        )
    return value
