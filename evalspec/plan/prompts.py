"""Render a sample into what an engine receives: chat messages or raw text, few-shot first.

Few-shot examples are (question, answer) pairs already written out: in a chat prompt
they become user/assistant turns before the sample's question; in a raw prompt they
are `question + delimiter + answer` blocks joined by the few-shot separator.

A sample's preamble (lm-eval's task description, e.g. MMLU's subject line) opens the
whole prompt, as lm-eval writes it: in a raw prompt before the examples, in a chat
prompt as (the end of) the system message.
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


class Shots(list[Example]):
    """One sample's few-shot examples and the preamble its prompt opens with, which a
    raw prompt puts before the examples (`raw_with_examples`)."""

    def __init__(self, examples: Sequence[Example] = (), preamble: str = "") -> None:
        super().__init__(examples)
        self.preamble = preamble


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


def fill(template: str, sample: Sample, prompt: str | None = None, *, preamble: bool = True) -> str:
    """The template with the sample's fields (`prompt` replaced by `prompt` when given),
    opened by the sample's preamble unless `preamble` is False (examples, answers, system);
    SpecError when the sample lacks a field the template uses."""
    values: dict[str, Any] = {
        **sample.meta,
        "target": sample.target,
        "prompt": sample.prompt if prompt is None else prompt,
    }
    try:
        text = template.format_map(values)
    except KeyError as exc:
        raise SpecError(
            f"a prompt template uses {{{exc.args[0]}}}, which sample '{sample.id}' does not "
            f"have (available: {', '.join(sorted(values))}); give every row that field or "
            "remove it from the template"
        ) from None
    return sample.preamble + text if preamble else text


def delimit(prefix: str, suffix: str, delimiter: str) -> str:
    """prefix + delimiter + suffix, without the delimiter where either side is empty or the
    join already has whitespace (lm-eval's `maybe_delimit`)."""
    if not prefix or not suffix:
        return prefix or suffix
    if prefix[-1].isspace() or suffix[0].isspace():
        return prefix + suffix
    return prefix + delimiter + suffix


def render(
    spec: PromptSpec,
    sample: Sample,
    examples: Sequence[Example] = (),
    *,
    delimiter: str = " ",
    separator: str = "\n\n",
    prompt: str | None = None,
) -> Prompt:
    """The sample's prompt (its `prompt` field replaced by `prompt` when given: one choice's
    context), after the examples: raw text, or chat messages (system, the examples as
    user/assistant turns, the question as the last user turn)."""
    if not spec.chat:
        text = fill(spec.template, sample, prompt=prompt)
        return raw_with_examples(text, examples, delimiter, separator)
    system = fill(spec.system, sample, preamble=False) if spec.system else ""
    system = delimit(system, sample.preamble, separator)
    messages = [{"role": "system", "content": system}] if system else []
    for question, answer in examples:
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer})
    question = fill(spec.template, sample, prompt=prompt, preamble=False)
    messages.append({"role": "user", "content": question})
    return messages


def raw_with_examples(
    text: str, examples: Sequence[Example], delimiter: str, separator: str
) -> str:
    """The examples' `question + delimiter + answer` blocks, then `text`, joined by the
    separator; the preamble `text` opens with (`Shots.preamble`) moves before the blocks."""
    if not examples:
        return text
    preamble = examples.preamble if isinstance(examples, Shots) else ""
    if preamble and text.startswith(preamble):
        text = text[len(preamble) :]
    else:
        preamble = ""
    blocks = [f"{question}{delimiter}{answer}" for question, answer in examples]
    return preamble + separator.join([*blocks, text])
