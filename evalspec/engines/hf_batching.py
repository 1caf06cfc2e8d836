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


def split_context(context: str, continuation: str) -> tuple[str, str]:
    """Move the context's trailing spaces onto the continuation (tokenizers attach a space
    to the following word), as lm-evaluation-harness does."""
    stripped = context.rstrip(" ")
    return stripped, context[len(stripped) :] + continuation


def continuation_span(context_ids: Sequence[int], whole_ids: Sequence[int]) -> int:
    """Index in `whole_ids` where the continuation starts: the length of the common prefix
    with the context's tokens (a merge across the boundary moves that token to the
    continuation). At least 1 token of context is kept so every continuation token has a
    predecessor to be scored from; `len(whole_ids)` means an empty continuation."""
    common = 0
    for a, b in zip(context_ids, whole_ids, strict=False):
        if a != b:
            break
        common += 1
    return max(1, common) if common < len(whole_ids) else len(whole_ids)
