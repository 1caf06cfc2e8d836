"""Render a sample into what an engine receives: chat messages or raw text, few-shot first.

Few-shot examples are (question, answer) pairs already written out: in a chat prompt
they become user/assistant turns before the sample's question; in a raw prompt they
are `question + delimiter + answer` blocks joined by the few-shot separator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalspec.data.types import Sample
from evalspec.engines import Prompt
from evalspec.errors import SpecError
from evalspec.spec.models import PromptSpec
from evalspec.spec.templates import template_fields

Example = tuple[str, str]  # (rendered question, answer)


def sample_fields(sample: Sample) -> set[str]:
    return {"prompt", "target", *sample.meta}


def check_template(spec: PromptSpec, sample: Sample, where: str) -> None:
    """Fail early, at the template's line, when a placeholder has no value."""
    check_fields(spec.template, sample, where, "prompt.template")
    if spec.system is not None:
        check_fields(spec.system, sample, where, "prompt.system")
    if spec.system is not None and not spec.chat:
        raise SpecError(f"{where}: prompt.system needs `chat: true` (raw completion has no roles)")
    if sample.turns and not spec.chat:
        raise SpecError(
            f"{where}: sample '{sample.id}' has {1 + len(sample.turns)} turns, which need "
            "`chat: true`"
        )


def check_fields(template: str, sample: Sample, where: str, field: str) -> None:
    available = sample_fields(sample)
    missing = sorted(template_fields(template) - available)
    if missing:
        raise SpecError(
            f"{where}: {field} uses {{{missing[0]}}}, which sample '{sample.id}' "
            f"does not have; available: {', '.join(sorted(available))}; give every row "
            "that field or remove it from the template"
        )


def fill(template: str, sample: Sample, prompt: str | None = None) -> str:
    """The template with the sample's fields (`prompt` replaced by `prompt` when given);
    SpecError when the sample lacks a field the template uses (templates are checked
    against the first sample with its location; a later row may still lack one)."""
    values: dict[str, Any] = {
        **sample.meta,
        "target": sample.target,
        "prompt": sample.prompt if prompt is None else prompt,
    }
    try:
        return template.format_map(values)
    except KeyError as exc:
        raise SpecError(
            f"a prompt template uses {{{exc.args[0]}}}, which sample '{sample.id}' does not "
            f"have (available: {', '.join(sorted(values))}); give every row that field or "
            "remove it from the template"
        ) from None


def render(
    spec: PromptSpec,
    sample: Sample,
    examples: Sequence[Example] = (),
    *,
    delimiter: str = " ",
    separator: str = "\n\n",
) -> Prompt:
    text = fill(spec.template, sample)
    if not spec.chat:
        return raw_with_examples(text, examples, delimiter, separator)
    messages = [{"role": "system", "content": fill(spec.system, sample)}] if spec.system else []
    for question, answer in examples:
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer})
    messages.append({"role": "user", "content": text})
    return messages


def raw_with_examples(
    text: str, examples: Sequence[Example], delimiter: str, separator: str
) -> str:
    blocks = [f"{question}{delimiter}{answer}" for question, answer in examples]
    return separator.join([*blocks, text])
