"""The choice scorer (generate mode): which option label a free-form output commits to.

Labels may be letters ("A".."J"), digits ("1".."4") or words ("yes", "no", "maybe").
In order of preference:

1. the whole output is a label, maybe wrapped in markup ("B", "(C)", "**D**", "Yes.");
2. the last explicit answer phrase: "the answer is (B)", "Answer: c", "the correct option
   is D", "I'd go with B", `\\boxed{B}`;
3. a label opening the output and set off from what follows ("B) because ...", "Yes, ...");
4. the last standalone label.

Mentions that are not commitments are skipped: labels inside words or abbreviations
("U.S."), the article "A" and pronoun "I" ("A good answer would be C"), lowercase letters in
prose, and a restatement of all the options in order ("A. cat B. dog C. ...").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from evalspec.scoring.results import Score

_VERB = r"(?:is|was|would\s+be|should\s+be|must\s+be|will\s+be|=)"
_CHOOSE = r"(?:choose|chose|select|selected|pick|picked|go\s+with|going\s+with)"
_ADVERB = r"(?:most\s+likely|likely|probably|clearly|definitely|therefore|thus|then|indeed)"
ANSWER_PHRASE = re.compile(
    rf"(?:\banswers?\b(?:\s*{_VERB})?|\b(?:option|choice|letter)\s*{_VERB}|\b{_CHOOSE}\b|\\boxed)"
    rf"\s*(?:[:\-–—]\s*)?(?:{_ADVERB}\b,?\s*)?(?:(?:option|choice|letter)\b\s*)?"
    r"(?P<open>[\s*_\"'`(\[{]*(?:\\text(?:bf)?\{)?[\s*_\"'`(\[{]*)"
    r"(?P<label>[^\W_]+)",
    re.IGNORECASE,
)
# A standalone token: not part of a word, an abbreviation ("U.S.") or a number ("2.5").
TOKEN = re.compile(r"(?<![\w'’])(?<!\w[-.])(?P<tok>[^\W_]+)(?![\w'’]|[-.,]\w)")
# Words that follow a label but never the article "A" or the pronoun "I" ("A is correct").
LABEL_FOLLOWERS = frozenset(
    {"is", "was", "seems", "appears", "looks", "fits", "matches", "remains", "because", "and"}
    | {"or", "as", "since", "correctly"}
)
NEXT_WORD = re.compile(r"\s+([a-z]\w*)")
NAMES_OPTION = re.compile(r"\b(?:option|choice|letter|answer)\s*[:(]?\s*$", re.IGNORECASE)
TERMINAL = re.compile(r"[*_\"'`)\]}]*\s*(?:[.,;:!?)\]}\n]|$)")
LEADING = re.compile(r"[\s*_\"'`(\[#>]*")
OPENERS = set("*_\"'`([")
WRAPPING = " \t\r\n*_\"'`()[]{}.:!"


@dataclass(frozen=True)
class _Mention:
    index: int  # into labels
    start: int
    end: int


def _label_index(labels: Sequence[str]) -> dict[str, int]:
    return {label.strip().casefold(): i for i, label in reversed(list(enumerate(labels)))}


def _is_letter(label: str) -> bool:
    return len(label) == 1 and label.isalpha()


def _phrase_choice(output: str, labels: Sequence[str], index: dict[str, int]) -> int | None:
    found: int | None = None
    for m in ANSWER_PHRASE.finditer(output):
        token = m.group("label")
        i = index.get(token.casefold())
        if i is None:
            continue
        if token.isdigit() and re.match(r"[.,]\d", output[m.end() :]):
            continue  # "the answer is 2.5", not option 2
        # "answer: b" commits; "the answer is a good one" does not
        lowercase_letter = _is_letter(labels[i]) and token.islower()
        if lowercase_letter and not (m.group("open").strip() or TERMINAL.match(output, m.end())):
            continue
        found = i
    return found


def _is_prose_word(output: str, m: re.Match[str]) -> bool:
    """The article "A" / pronoun "I" rather than a label: "A good answer would be C"."""
    if m.group("tok") not in ("A", "I"):
        return False
    follow = NEXT_WORD.match(output, m.end())
    if follow is None or follow.group(1) in LABEL_FOLLOWERS:
        return False
    return not NAMES_OPTION.search(output, 0, m.start())


def _mentions(output: str, labels: Sequence[str], index: dict[str, int]) -> list[_Mention]:
    mentions = []
    for m in TOKEN.finditer(output):
        token = m.group("tok")
        i = index.get(token.casefold())
        if i is None:
            continue
        if _is_letter(labels[i]):
            if token.islower() and not output.startswith(")", m.end()):
                continue  # a lowercase letter in prose; "(b)" and "b)" still count
            if _is_prose_word(output, m):
                continue
        mentions.append(_Mention(i, m.start(), m.end()))
    return mentions


def _is_marker(output: str, mention: _Mention) -> bool:
    """A list marker: "A. cat", "(B) dog", "C) fish" at a line start or after a space."""
    before = output[mention.start - 1] if mention.start else "\n"
    if before == "(" or before == "[":
        before = output[mention.start - 2] if mention.start > 1 else "\n"
    after = output[mention.end : mention.end + 2]
    return before.isspace() and len(after) == 2 and after[0] in ".):]" and after[1].isspace()


def _drop_enumerations(output: str, mentions: list[_Mention], n: int) -> list[_Mention]:
    """Remove restatements of all n options in order (their list markers)."""
    if n < 2:
        return mentions
    while True:
        picked: list[_Mention] = []
        for mention in mentions:
            if mention.index == len(picked) and _is_marker(output, mention):
                picked.append(mention)
                if len(picked) == n:
                    break
        if len(picked) < n:
            return mentions
        mentions = [m for m in mentions if m not in picked]


def _leading(output: str, mention: _Mention) -> bool:
    """The output opens with this label, set off by markup or punctuation."""
    prefix = LEADING.match(output)
    if prefix is None or prefix.end() != mention.start:
        return False
    return bool(OPENERS & set(prefix.group())) or bool(TERMINAL.match(output, mention.end))


def extract_choice(output: str, labels: Sequence[str]) -> str | None:
    """The label (as given in `labels`) the output commits to, or None."""
    index = _label_index(labels)
    whole = index.get(output.strip(WRAPPING).casefold())
    if whole is not None:
        return labels[whole]
    phrase = _phrase_choice(output, labels, index)
    if phrase is not None:
        return labels[phrase]
    mentions = _drop_enumerations(output, _mentions(output, labels, index), len(labels))
    if not mentions:
        return None
    if _leading(output, mentions[0]):
        return labels[mentions[0].index]
    return labels[mentions[-1].index]


def choice_score(output: str, labels: Sequence[str], gold_label: str) -> Score:
    """1.0 when the option the output commits to is the gold one (labels compared casefolded)."""
    got = extract_choice(output, labels)
    if got is None:
        return Score(0.0, detail=f"no option ({', '.join(labels)}) found")
    if got.strip().casefold() == gold_label.strip().casefold():
        return Score(1.0, extracted=got)
    return Score(0.0, extracted=got, detail=f"expected {gold_label}")
