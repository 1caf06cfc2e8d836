"""startend:* and combination:*."""

from __future__ import annotations

from collections.abc import Callable

from evalspec.scoring.ifeval.args import Check, Kwargs


def end_checker(kw: Kwargs) -> Check:
    phrase = kw.text("end_phrase").strip().lower()
    return lambda response: response.strip().strip('"').lower().endswith(phrase)


def quotation(kw: Kwargs) -> Check:
    def check(response: str) -> bool:
        value = response.strip()
        return len(value) > 1 and value[0] == '"' and value[-1] == '"'

    return check


def two_responses(kw: Kwargs) -> Check:
    def check(response: str) -> bool:
        parts = response.split("******")
        valid: list[str] = []
        for index, part in enumerate(parts):
            if part.strip():
                valid.append(part)
            elif index not in (0, len(parts) - 1):
                return False
        return len(valid) == 2 and valid[0].strip() != valid[1].strip()

    return check


def repeat_prompt(kw: Kwargs) -> Check:
    # the published data always gives prompt_to_repeat; without it, the sample's prompt
    to_repeat = (kw.optional_text("prompt_to_repeat") or kw.prompt).strip().lower()
    if not to_repeat:
        raise kw.error("needs 'prompt_to_repeat' (or a non-empty prompt)")
    return lambda response: response.strip().lower().startswith(to_repeat)


BUILDERS: dict[str, Callable[[Kwargs], Check]] = {
    "startend:end_checker": end_checker,
    "startend:quotation": quotation,
    "combination:two_responses": two_responses,
    "combination:repeat_prompt": repeat_prompt,
}
