"""Render a sample into the prompt an engine receives (chat messages or raw text)."""

from __future__ import annotations

import string
from typing import Any

from evalspec.data.types import Sample
from evalspec.engines import Prompt
from evalspec.errors import SpecError
from evalspec.spec.models import PromptSpec


def template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def check_template(spec: PromptSpec, sample: Sample, where: str) -> None:
    """Fail early, at the template's line, when a placeholder has no value."""
    available = {"prompt", *sample.meta}
    missing = sorted(template_fields(spec.template) - available)
    if missing:
        raise SpecError(
            f"{where}: prompt.template uses {{{missing[0]}}}, which sample '{sample.id}' "
            f"does not have; available: {', '.join(sorted(available))}"
        )
    if spec.system is not None and not spec.chat:
        raise SpecError(f"{where}: prompt.system needs `chat: true` (raw completion has no roles)")


def render(spec: PromptSpec, sample: Sample) -> Prompt:
    values: dict[str, Any] = {**sample.meta, "prompt": sample.prompt}
    text = spec.template.format_map(values)
    if not spec.chat:
        return text
    messages = [{"role": "system", "content": spec.system}] if spec.system else []
    messages.append({"role": "user", "content": text})
    return messages
