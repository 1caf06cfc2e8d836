"""What a unit asks of its engine: n samples per prompt, multi-turn chats, log-likelihoods.

Every engine output of a unit has a key (sample id, index): index = turn * n + attempt
for generation (turn 0 is the sample's prompt, later turns continue its chat) and 0 for
a loglikelihood sample (the completion's text is the JSON list of its choices'
log-likelihoods). The keys are what the response cache stores.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from evalspec.data.types import Sample
from evalspec.engines import BatchStats, Completion, Engine, Prompt
from evalspec.plan import Unit

Key = tuple[str, int]  # (sample id, index)
LOGLIKELIHOOD = "loglikelihood"


def turns_of(sample: Sample) -> int:
    return 1 + len(sample.turns)


def unit_keys(unit: Unit) -> list[Key]:
    """All keys of a unit, sample-major."""
    if unit.task.output_type == LOGLIKELIHOOD:
        return [(s.id, 0) for s in unit.samples]
    n = unit.attempts
    return [(s.id, t * n + i) for s in unit.samples for t in range(turns_of(s)) for i in range(n)]


def produce(
    engine: Engine, unit: Unit, have: Mapping[Key, Completion]
) -> tuple[dict[Key, Completion], BatchStats]:
    """The completions of the keys `have` lacks: one batched call per turn, holding every
    missing (sample, attempt); attempt i samples with seed + i (reproducible)."""
    if unit.task.output_type == LOGLIKELIHOOD:
        return _loglikelihoods(engine, unit, have)
    known = dict(have)
    new: dict[Key, Completion] = {}
    wall, prompt_tokens, completion_tokens = 0.0, 0, 0
    n = unit.attempts
    params = unit.task.generation
    for turn in range(max(turns_of(s) for s in unit.samples)):
        wanted = [
            (j, attempt, (s.id, turn * n + attempt))
            for j, s in enumerate(unit.samples)
            if turn < turns_of(s)
            for attempt in range(n)
            if (s.id, turn * n + attempt) not in known
        ]
        if not wanted:
            continue
        prompts = [_turn_prompt(unit, j, turn, attempt, known) for j, attempt, _ in wanted]
        seeds = [None if params.seed is None else params.seed + a for _, a, _ in wanted]
        completions, stats = engine.generate(prompts, params, unit.adapter, seeds)
        for (_, _, key), completion in zip(wanted, completions, strict=True):
            known[key] = new[key] = completion
        wall += stats.wall_s
        prompt_tokens += stats.prompt_tokens
        completion_tokens += stats.completion_tokens
    return new, BatchStats(wall, prompt_tokens, completion_tokens)


def _turn_prompt(
    unit: Unit, j: int, turn: int, attempt: int, known: Mapping[Key, Completion]
) -> Prompt:
    """Turn 0: the rendered prompt; later turns: the chat so far plus the next user turn."""
    prompt = unit.prompts[j]
    if turn == 0:
        return prompt
    sample = unit.samples[j]
    assert not isinstance(prompt, str)  # multi-turn samples need chat (checked when planned)
    messages = list(prompt)
    n = unit.attempts
    for earlier in range(turn):
        answer = known[(sample.id, earlier * n + attempt)].text
        messages.append({"role": "assistant", "content": answer})
        messages.append({"role": "user", "content": sample.turns[earlier]})
    return messages


def _loglikelihoods(
    engine: Engine, unit: Unit, have: Mapping[Key, Completion]
) -> tuple[dict[Key, Completion], BatchStats]:
    """One batched call over every choice of every sample not cached."""
    missing = [j for j, s in enumerate(unit.samples) if (s.id, 0) not in have]
    pairs = [pair for j in missing for pair in unit.choice_pairs[j]]
    start = time.perf_counter()
    values = engine.loglikelihood(pairs, unit.adapter) if pairs else []
    wall = time.perf_counter() - start
    new: dict[Key, Completion] = {}
    offset = 0
    for j in missing:
        count = len(unit.choice_pairs[j])
        chunk = values[offset : offset + count]
        offset += count
        new[(unit.samples[j].id, 0)] = Completion(
            text=json.dumps(chunk),
            prompt_tokens=0,
            completion_tokens=0,
            finish_reason=LOGLIKELIHOOD,
            latency_s=None,
        )
    return new, BatchStats(wall, 0, 0)


def loglikelihoods_of(completion: Completion) -> list[float]:
    values: Any = json.loads(completion.text)
    return [float(v) for v in values]
