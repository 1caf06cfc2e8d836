"""Render the judge's chat messages for one answer from a rubric."""

from __future__ import annotations

from collections.abc import Sequence

from evalspec.errors import SpecError
from evalspec.scoring.judge.rubric import Rubric, Variant

# the variants tried for a turn mode, most specific first
_FLAG_ORDER: tuple[tuple[str, ...], ...] = (
    ("reference", "rubric"),
    ("reference",),
    ("rubric",),
    (),
)


def judge_prompt(
    rubric: Rubric,
    *,
    question: str,
    answer: str,
    reference: str | Sequence[str | None] | None = None,
    sample_rubric: str | None = None,
    history: Sequence[tuple[str, str]] = (),
) -> list[dict[str, str]]:
    """The judge's chat messages grading `answer`, the reply to `question`.

    history:   the earlier (question, answer) turns of the conversation; when given, the
               rubric's multi_turn template grades this last turn.
    reference: the reference answer of the graded turn, or a sequence of reference answers
               per turn from turn 1 (mt_bench: one per turn; entries past the graded turn
               are ignored). It picks the rubric's `+reference` template when it has one.
    sample_rubric: the sample's own grading criteria: picks a `+rubric` template.
    """
    turns = [*history, (question, answer)]
    values = _values(turns, _references(reference, len(turns)), sample_rubric)
    variant = _choose(rubric, "multi_turn" if history else "single", values)
    shown = {"answer", f"answer_{len(turns)}"}
    if not variant.fields & shown:
        covered = max(_turns(variant))
        raise SpecError(
            f"rubric '{rubric.ref}' template '{variant.name}' shows {covered} turns; "
            f"this conversation has {len(turns)}"
        )
    messages = []
    if variant.system is not None:
        messages.append({"role": "system", "content": variant.system.format_map(values)})
    messages.append({"role": "user", "content": variant.user.format_map(values)})
    return messages


def _references(reference: str | Sequence[str | None] | None, n: int) -> list[str | None]:
    """One reference (or None) per turn."""
    if reference is None or isinstance(reference, str):
        return [*([None] * (n - 1)), reference or None]
    given = [r or None for r in list(reference)[:n]]
    return given + [None] * (n - len(given))


def _values(
    turns: list[tuple[str, str]], references: list[str | None], sample_rubric: str | None
) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, ((question, answer), reference) in enumerate(
        zip(turns, references, strict=True), start=1
    ):
        values[f"question_{number}"] = question
        values[f"answer_{number}"] = answer
        if reference is not None:
            values[f"reference_{number}"] = reference
    values["question"], values["answer"] = turns[-1]
    if references[-1] is not None:
        values["reference"] = references[-1]
    if sample_rubric:
        values["rubric"] = sample_rubric
    return values


def _choose(rubric: Rubric, mode: str, values: dict[str, str]) -> Variant:
    """The most specific template of `mode` whose placeholders all have values."""
    candidates = [
        v for flags in _FLAG_ORDER if (v := rubric.variant("+".join((mode, *flags)))) is not None
    ]
    for variant in candidates:
        if variant.fields <= values.keys():
            return variant
    if not candidates:
        what = "a later turn of a conversation" if mode == "multi_turn" else "a single answer"
        raise SpecError(f"rubric '{rubric.ref}' has no {mode} template: it cannot grade {what}")
    missing = sorted(candidates[-1].fields - values.keys())
    raise SpecError(
        f"rubric '{rubric.ref}' template '{candidates[-1].name}' needs "
        f"{', '.join('{' + m + '}' for m in missing)}, which this sample does not have"
    )


def _turns(variant: Variant) -> list[int]:
    numbered = (f.rpartition("_")[2] for f in variant.fields)
    return [int(n) for n in numbered if n.isdigit()] or [1]
