"""The exact_match and numeric scorers: one output against one target."""

from __future__ import annotations

from evalspec.scoring.numeric import extract_number
from evalspec.scoring.results import Score


def normalise(text: str, *, strip: bool, ignore_case: bool) -> str:
    if strip:
        text = text.strip()
    if ignore_case:
        text = text.casefold()
    return text


def exact_match_score(output: str, target: str, *, strip: bool, ignore_case: bool) -> Score:
    """1.0 when output and target are equal after normalising; extracted = normalised output."""
    got = normalise(output, strip=strip, ignore_case=ignore_case)
    want = normalise(target, strip=strip, ignore_case=ignore_case)
    if got == want:
        return Score(1.0, extracted=got)
    return Score(0.0, extracted=got, detail=f"expected {want!r}")


def target_number(target: str) -> float | None:
    """The reference value: float(target) (thousands separators allowed), else its number."""
    try:
        return float(target.strip().replace(",", ""))
    except ValueError:
        found = extract_number(target)
        return None if found is None else found.value


def numeric_score(output: str, target: str, *, tolerance: float) -> Score:
    """1.0 when the number the output commits to is within `tolerance` of the target."""
    want = target_number(target)
    if want is None:
        return Score(0.0, detail=f"target {target!r} is not a number")
    found = extract_number(output)
    if found is None:
        return Score(0.0, detail="no number in output")
    if abs(found.value - want) <= tolerance:
        return Score(1.0, extracted=found.text)
    return Score(0.0, extracted=found.text, detail=f"expected {target.strip()}")
