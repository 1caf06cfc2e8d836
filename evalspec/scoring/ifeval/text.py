"""Word counting, word tokenising, sentence splitting and language detection for IFEval.

Offline and deterministic: no NLTK, no downloads.

- `count_words` is exactly nltk's `RegexpTokenizer(r"\\w+")` count (Unicode `\\w`).
- `split_sentences` approximates nltk's pre-trained English punkt model with rules: a
  sentence ends at `.`, `?` or `!` (plus closing quotes or brackets) followed by
  whitespace. `?` and `!` always end one. A period never ends a sentence after a title
  ("Mr.", "Dr.", "Prof."); after a capital initial only before a capitalised common
  word ("J. Smith" goes on, "Plan B. Then" does not); after another known abbreviation
  ("e.g.", "etc.", "U.S."), a lower-case letter, a number ("1.") or an ellipsis ("...")
  only before a capitalised word. Decimals ("3.14") and dots inside a word
  ("example.com") are not followed by whitespace, so they never end a sentence. Line
  breaks alone do not end a sentence (nor do they in punkt).
- `word_tokenize` approximates `nltk.word_tokenize` (Treebank rules) as far as
  `str.isupper()` counts go: whitespace, `, ; : ? ! @ # $ % &`, brackets, double quotes,
  `--` and `...` separate tokens. Contractions split off ("DON'T" -> "DO", "N'T").
  Hyphens, slashes, apostrophes and periods inside a word do not ("WELL-KNOWN" is one).
- `detect_language` is langdetect with `DetectorFactory.seed = 0` (deterministic).
"""

from __future__ import annotations

import re

from langdetect import (  # type: ignore[import-untyped]
    DetectorFactory,
    LangDetectException,
    detect,
)

_WORD = re.compile(r"\w+")


def count_words(text: str) -> int:
    """The number of `\\w+` runs, as nltk's RegexpTokenizer(r"\\w+") counts them."""
    return len(_WORD.findall(text))


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A period after one of these never ends a sentence (punkt's pre-trained model almost
# never splits before the name that follows a title).
_TITLES = _words(
    "mr mrs ms dr prof st sr jr rev hon gen col capt cpt lt sgt maj adm cmdr gov sen rep "
    "pres supt messrs mme mlle mt fr"
)
# A period after one of these ends a sentence only before a capitalised word.
_ABBREVIATIONS = _words(
    "e.g i.e etc vs viz cf al approx appt apt est inc ltd co corp dept univ assn bros no nos "
    "vol vols fig figs pp ch sec ed eds misc incl esp ave blvd rd ft oz lb lbs min max "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri sat sun "
    "a.m p.m u.s u.k u.n e.u d.c ph.d b.a m.a b.sc m.sc"
)
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # "U.S", "e.g", "i.e"
_NUMBER = re.compile(r"\d[\d,.]*")  # "1", "2024", "1,000"
# a word, its stop, closing quotes or brackets; then whitespace and the next word
_CANDIDATE = re.compile(r"(?<!\S)(\S*?)([.?!]+)([\"'”’)\]}*]*)(?=\s+(\S+))")
_NEXT_WORD = re.compile(r"([\w']+)")
# capitalised, these start a sentence even after an initial (punkt's orthographic evidence)
_STARTERS = _words(
    "a an the this that these those it its it's i i'm i'd i'll i've we we're you you're he "
    "she they there then but and or so if in on at for as of to with by from after before "
    "my our your his her their what when where why how which who however also please now "
    "here let's thanks thank yes no not all some many most each every one two first next"
)
_LEADING = re.compile(r"^[^\w]+")


def _next_word(text: str) -> str:
    match = _NEXT_WORD.match(text)
    return match.group(1).lower() if match else ""


def _ends_sentence(word: str, stop: str, after: str) -> bool:
    """Whether `word` + `stop`, followed by the word `after`, ends a sentence."""
    if "?" in stop or "!" in stop:
        return True
    next_upper = after[:1].isupper()
    if len(stop) > 1:  # an ellipsis
        return next_upper
    core = _LEADING.sub("", word)
    lowered = core.lower()
    if lowered in _TITLES:
        return False
    if len(core) == 1 and core.isalpha():  # "J. Smith" goes on, "in o. Let's go" does not
        return next_upper and (core.islower() or _next_word(after) in _STARTERS)
    if lowered in _ABBREVIATIONS or _DOTTED.fullmatch(core) or _NUMBER.fullmatch(core):
        return next_upper
    return True


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` (stripped, none empty); see the module docstring."""
    sentences: list[str] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        word, stop, _close, next_word = match.groups()
        if _ends_sentence(word, stop, next_word):
            sentences.append(text[start : match.end()])
            start = match.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def count_sentences(text: str) -> int:
    return len(split_sentences(text))


_SEPARATORS = re.compile(r"--|\.\.\.|[\s,;:?!@#$%&()\[\]{}<>\"“”«»]+")
_CONTRACTION = re.compile(r"(?i)^(.+?)('s|'m|'d|'re|'ve|'ll|n't)$")
_SPLIT_WORDS = re.compile(r"(?i)^(can)(not)$|^(gon|wan)(na)$|^(got)(ta)$|^(gim|lem)(me)$")


def word_tokenize(text: str) -> list[str]:
    """Tokens of `text` as nltk.word_tokenize splits words (punctuation tokens dropped)."""
    tokens: list[str] = []
    for piece in _SEPARATORS.split(text):
        if not piece:
            continue
        split = _SPLIT_WORDS.match(piece)
        if split:
            tokens.extend(part for part in split.groups() if part)
            continue
        contraction = _CONTRACTION.match(piece)
        if contraction:
            tokens.extend(contraction.groups())
        else:
            tokens.append(piece)
    return tokens


DetectorFactory.seed = 0


def detect_language(text: str) -> str | None:
    """langdetect's ISO 639-1 code for `text`, seeded; None when it cannot tell."""
    DetectorFactory.seed = 0  # again: in case something else changed the shared seed
    try:
        return str(detect(text))
    except LangDetectException:
        return None
