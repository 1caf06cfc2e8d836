"""Pure helpers of the `hf` engine: length-sorted batches, stop-string truncation, token spans.

Kept free of torch and transformers so that they are unit-tested without a model.
"""

from __future__ import annotations

from collections.abc import Sequence


def length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first, less padding).

    Callers write results back by index, so the caller's order is preserved.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def truncate_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """`text` cut before the earliest stop string, and whether one was found."""
    cut = min((pos for s in stops if s and (pos := text.find(s)) >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def generated_length(tokens: Sequence[int], eos_ids: frozenset[int]) -> tuple[int, bool]:
    """(tokens generated up to and including the first end-of-sequence token, whether one came).

    `generate` pads finished rows with the pad token (often = eos), so later tokens are padding.
    """
    for i, token in enumerate(tokens):
        if token in eos_ids:
            return i + 1, True
    return len(tokens), False
