"""Request keys: the response cache's identity of one engine request.

A key is a sha256 over what that one request depends on and nothing else: the
model and engine identity of its unit (model digest and revision, adapter digest,
engine name, version and output-changing arguments: the `model`, `adapter` and
`engine` parts of the unit identity), then the rendered prompt (for later turns:
the whole chat so far), the generation settings (without `n` and `seed`, which
only choose how many requests there are and which seed each one gets), the
request's own seed and the sample index (the attempt: unseeded samples of one
prompt must stay distinct). Log-likelihood requests are keyed by their
(context, continuation) pairs (a chat context by its messages). The unit hash is not part
of it: it stays the configuration identity that baselines are matched on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalspec.digests import canonical_json, sha256_bytes
from evalspec.engines import Prompt
from evalspec.spec.models import GenerationSpec

KEY_VERSION = 1
# 2: continuations split as lm-eval splits them (the context's trailing whitespace is scored),
# and choices that differ in their last token scored from next-token log-probabilities
LOGLIKELIHOOD_KEY_VERSION = 2


def engine_identity(identity: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a unit (or judge) identity that name the model, adapter and engine."""
    return {
        "model": identity.get("model"),
        "adapter": identity.get("adapter"),
        "engine": identity.get("engine"),
    }


def generate_key(
    engine: Mapping[str, Any],
    prompt: Prompt,
    params: GenerationSpec,
    seed: int | None,
    index: int,
) -> str:
    settings = params.model_dump(exclude={"n", "seed"})
    return _digest(
        {
            "v": KEY_VERSION,
            "kind": "generate",
            **engine,
            "prompt": prompt,
            "generation": settings,
            "seed": seed,
            "index": index,
        }
    )


def loglikelihood_key(engine: Mapping[str, Any], pairs: Sequence[tuple[Prompt, str]]) -> str:
    return _digest(
        {
            "v": LOGLIKELIHOOD_KEY_VERSION,
            "kind": "loglikelihood",
            **engine,
            "pairs": [list(pair) for pair in pairs],
        }
    )


def _digest(payload: dict[str, Any]) -> str:
    return sha256_bytes(canonical_json(payload).encode())
