"""The math scorer: MATH-style final answers (Hendrycks et al.; lm-eval's hendrycks_math and
minerva_math `strip_string` / `is_equiv`).

The answer is the last `\\boxed{...}` (nested braces, `\\boxed 5`, `\\fbox{...}`), else the
"final answer is $X$" / "answer is X" phrase, else the last `$...$` span, else a short
one-line output itself. Answers are compared after `normalize_math`, then numerically
(plain numbers and simple fractions, exact rationals, 1e-6 relative tolerance); no LaTeX
parser is involved.
"""

from __future__ import annotations

import re
from fractions import Fraction

from evalspec.scoring.results import Score

ANSWER_DOLLARS = re.compile(r"answer\s*(?:is|:)\s*:?\s*\${1,2}(.+?)\${1,2}", re.IGNORECASE)
ANSWER_TEXT = re.compile(r"answer\s*(?:is|:)\s*:?\s*(.+)", re.IGNORECASE)
HOPE = re.compile(r"\.?\s*I hope it is correct\.?\s*$", re.IGNORECASE)
MATH_SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
UNITS_TEXT = re.compile(r"(?<=\S)\\(?:text|mbox)\{\s.*$")  # "5\text{ cm}": units, dropped
TEXT_WRAP = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox)\s*\{([^{}]*)\}")
LEFT_RIGHT = re.compile(r"\\(?:left|right)(?![a-zA-Z])")
SPACING = re.compile(r"\\[!,;: ]|\\quad|\\qquad|~|\\displaystyle")
DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°")
VARIABLE_EQ = re.compile(r"^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?=(?!=)")
LEADING_DOT = re.compile(r"(?<![\d}])\.(\d)")
THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
THOUSANDS_BRACES = re.compile(r"(?<=\d)\{,\}(?=\d{3})")
SIMPLE_SLASH = re.compile(r"^(-?)(\d+)/(\d+)$")
DECIMAL = re.compile(r"^-?\d+\.\d+$")
NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$")
FRAC_NUMBER = re.compile(r"^(-?)\\frac\{(-?[\d.]+)\}\{(-?[\d.]+)\}$")
ONE_LETTER = re.compile(r"^\(([A-Za-z])\)$")


def _braced(text: str, start: int) -> tuple[str, int] | None:
    """The content of the brace group opening at text[start] and the index after it."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    return None  # unbalanced: the output was cut off


def last_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` / `\\boxed X` / `\\fbox{...}`, else None."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    i = start + (len("\\boxed") if text.startswith("\\boxed", start) else len("\\fbox"))
    rest = text[i:]
    stripped = rest.lstrip()
    if stripped.startswith("{"):
        found = _braced(text, i + len(rest) - len(stripped))
        answer = None if found is None else found[0].strip()
    elif rest[:1].isspace():  # "\boxed 5$"
        answer = re.split(r"[$\n]", stripped, maxsplit=1)[0].strip()
    else:
        answer = None
    return answer or None


def extract_math_answer(output: str) -> str | None:
    """The final answer of a solution (see the module doc), else None."""
    boxed = last_boxed(output)
    if boxed is not None:
        return boxed
    dollars = ANSWER_DOLLARS.findall(output)
    if dollars:
        return str(dollars[-1]).strip()
    phrases = ANSWER_TEXT.findall(output)
    if phrases:
        answer = HOPE.sub("", str(phrases[-1]).strip())
        answer = re.split(r"\.\s", answer, maxsplit=1)[0].strip().strip("$").rstrip(".")
        if answer:
            return answer.strip()
    spans = list(MATH_SPAN.finditer(output))
    if spans:
        return str(next(part for part in spans[-1].groups() if part)).strip()
    line = output.strip()
    if line and "\n" not in line and len(line.split()) <= 3:
        return line
    return None


def _argument(text: str, i: int) -> tuple[str, int] | None:
    """One macro argument at text[i]: a brace group, a `\\command`, or one character."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        return _braced(text, i)
    if text[i] == "\\":
        m = re.match(r"\\[a-zA-Z]+", text[i:])
        if m:
            return m.group(), i + m.end()
    return text[i], i + 1


def _fix_macro(text: str, name: str, arity: int) -> str:
    """Brace every argument: \\frac12 -> \\frac{1}{2}, \\frac1{72}, \\sqrt3 -> \\sqrt{3}."""
    out, i = [], 0
    while (j := text.find(name, i)) >= 0:
        end = j + len(name)
        if end < len(text) and (text[end].isalpha() or text[end] == "["):  # \sqrt[3]{x}
            out.append(text[i:end])
            i = end
            continue
        out.append(text[i:end])
        args, k = [], end
        for _ in range(arity):
            found = _argument(text, k)
            if found is None:
                break
            args.append(_fix_macro(found[0], name, arity))
            k = found[1]
        if len(args) < arity:
            out.append(text[end:])
            return "".join(out)
        out.append("".join("{" + arg + "}" for arg in args))
        i = k
    out.append(text[i:])
    return "".join(out)


def _number_text(text: str) -> str:
    """Canonical decimal: "5.0" -> "5", "2.50" -> "2.5"."""
    if DECIMAL.match(text):
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def normalize_math(s: str) -> str:
    """A canonical string for a MATH answer (see `strip_string` in Hendrycks et al.)."""
    s = s.strip().replace("\n", "").replace("\\\\", "\\")
    boxed = last_boxed(s)
    if boxed is not None and s.startswith(("\\boxed", "\\fbox")):
        s = boxed
    s = SPACING.sub("", s)
    s = s.replace("tfrac", "frac").replace("dfrac", "frac")
    s = LEFT_RIGHT.sub("", s)
    s = DEGREES.sub("", s)
    s = s.replace("\\$", "").replace("$", "")
    s = UNITS_TEXT.sub("", s)
    s = TEXT_WRAP.sub(r"\1", s)
    s = s.replace("\\%", "").replace("%", "")
    s = s.replace(" ", "").rstrip(".")
    s = THOUSANDS_BRACES.sub("", s)
    m = VARIABLE_EQ.match(s)
    if m and s.count("=") == 1:
        s = s[m.end() :]
    s = LEADING_DOT.sub(r"0.\1", s)
    s = _fix_macro(_fix_macro(s, "\\sqrt", 1), "\\frac", 2)
    if THOUSANDS.match(s):
        s = s.replace(",", "")
    slash = SIMPLE_SLASH.match(s)
    if slash:
        s = f"{slash.group(1)}\\frac{{{slash.group(2)}}}{{{slash.group(3)}}}"
    letter = ONE_LETTER.match(s)
    if letter:
        s = letter.group(1)
    return _number_text(s)


def _as_number(normalised: str) -> Fraction | None:
    """The value of a plain number or a simple fraction of numbers, else None."""
    try:
        if NUMBER.match(normalised):
            return Fraction(normalised)
        m = FRAC_NUMBER.match(normalised)
        if m and Fraction(m.group(3)) != 0:
            value = Fraction(m.group(2)) / Fraction(m.group(3))
            return -value if m.group(1) else value
    except (ValueError, ZeroDivisionError):
        return None
    return None


def math_equiv(a: str, b: str) -> bool:
    """Whether two answers agree: equal after normalising, else equal as numbers."""
    na, nb = normalize_math(a), normalize_math(b)
    if na == nb:
        return True
    x, y = _as_number(na), _as_number(nb)
    if x is None or y is None:
        return False
    return x == y or abs(float(x - y)) <= 1e-6 * max(1.0, abs(float(y)))


def math_score(output: str, target: str) -> Score:
    """1.0 when the output's final answer is equivalent to the target (boxed or plain)."""
    want = last_boxed(target) if ("\\boxed" in target or "\\fbox" in target) else None
    want = want if want is not None else target.strip()
    got = extract_math_answer(output)
    if got is None:
        return Score(0.0, detail="no final answer (no \\boxed{}, answer phrase or $...$)")
    if math_equiv(got, want):
        return Score(1.0, extracted=got)
    detail = f"{normalize_math(got)!r} is not equivalent to {normalize_math(want)!r}"
    return Score(0.0, extracted=got, detail=detail)
