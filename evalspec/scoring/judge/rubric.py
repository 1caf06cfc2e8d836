"""Judge rubrics: versioned prompt templates in sectioned text files (see rubrics/README.md).

A rubric file holds one template per variant (`single`, `multi_turn`, each optionally
`+reference` and/or `+rubric`), each a `user` section and an optional `system` section, with
`str.format` placeholders ({question}, {answer}, {reference}, {rubric}, {question_N}, ...).
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from evalspec.errors import SpecError

BUILTIN_PREFIX = "builtin:"
SUFFIX = ".txt"
MODES = ("single", "multi_turn")
FLAGS = ("reference", "rubric")  # in the order they appear in a variant name
ROLES = ("system", "user")

_HEADER = re.compile(r"^=== (?P<section>\S+) ===$")
_VARIANT = re.compile(r"^(?P<mode>single|multi_turn)(?P<flags>(?:\+reference)?(?:\+rubric)?)$")
_FIELD = re.compile(r"^(?:(?P<kind>question|answer|reference)(?:_(?P<turn>[1-9][0-9]*))?|rubric)$")
_VERSIONED = re.compile(r"^(?P<name>.+)-(?P<version>v[0-9]+)$")


@dataclass(frozen=True)
class Variant:
    """One template of a rubric: the judge's system message (optional) and user message."""

    name: str  # "single", "multi_turn+reference", ...
    system: str | None
    user: str
    fields: frozenset[str]  # the placeholders both messages use

    @property
    def mode(self) -> str:
        return self.name.split("+", 1)[0]

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(self.name.split("+")[1:])


@dataclass(frozen=True)
class Rubric:
    """A loaded rubric: its identity (name, version, digest) and its templates."""

    name: str  # "mt_bench-single"
    version: str  # "v1"; "" for a user file without a -vN suffix
    digest: str  # sha256 of the templates (comments excluded)
    ref: str  # as the spec gave it: "builtin:mt_bench-single-v1" or a path
    variants: tuple[Variant, ...]

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    @property
    def multi_turn(self) -> bool:
        """Whether the rubric can grade a later turn of a conversation."""
        return any(v.mode == "multi_turn" for v in self.variants)


def builtin_rubrics() -> list[str]:
    """The refs of the rubrics shipped with evalspec, sorted."""
    folder = resources.files("evalspec.scoring").joinpath("rubrics")
    names = (e.name for e in folder.iterdir() if e.is_file() and e.name.endswith(SUFFIX))
    return sorted(BUILTIN_PREFIX + n.removesuffix(SUFFIX) for n in names)


def load_rubric(ref: str, base_dir: Path) -> Rubric:
    """A built-in rubric (`builtin:NAME-vN`) or a rubric file (a path relative to base_dir)."""
    known = builtin_rubrics()
    if ref.startswith(BUILTIN_PREFIX):
        if ref not in known:
            raise SpecError(f"unknown rubric '{ref}'; built-in rubrics: {', '.join(known)}")
        resource = resources.files("evalspec.scoring").joinpath(
            "rubrics", ref.removeprefix(BUILTIN_PREFIX) + SUFFIX
        )
        return parse_rubric(resource.read_text(encoding="utf-8"), ref=ref)
    path = Path(ref).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    if not path.is_file():
        raise SpecError(
            f"rubric file '{ref}' not found (looked for {path}); "
            f"built-in rubrics: {', '.join(known)}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"rubric file '{ref}' cannot be read: {exc}") from exc
    return parse_rubric(text, ref=ref, stem=path.stem)


def parse_rubric(text: str, *, ref: str, stem: str | None = None) -> Rubric:
    """Parse a rubric file's text; `stem` (default: the ref's) gives its name and version."""
    sections = _sections(text, ref)
    variants = tuple(_variant(ref, name, roles) for name, roles in sections.items())
    if not variants:
        raise SpecError(f"rubric '{ref}' has no templates (sections like '=== single.user ===')")
    if stem is None:
        stem = ref.removeprefix(BUILTIN_PREFIX)
    versioned = _VERSIONED.match(stem)
    name, version = (versioned["name"], versioned["version"]) if versioned else (stem, "")
    return Rubric(name=name, version=version, digest=_digest(variants), ref=ref, variants=variants)


def _sections(text: str, ref: str) -> dict[str, dict[str, str]]:
    """variant -> role -> body, in file order."""
    sections: dict[str, dict[str, str]] = {}
    current: list[str] | None = None
    bodies: list[tuple[str, str, list[str]]] = []
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()  # the file's final line break: a body never ends with it
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header is not None:
            variant, _, role = header["section"].rpartition(".")
            if _VARIANT.match(variant) is None or role not in ROLES:
                raise SpecError(
                    f"rubric '{ref}' line {number}: unknown section '{header['section']}' "
                    "(expected VARIANT.system or VARIANT.user, VARIANT one of single, "
                    "multi_turn, optionally followed by +reference and/or +rubric)"
                )
            if role in sections.setdefault(variant, {}):
                raise SpecError(f"rubric '{ref}' line {number}: section '{variant}.{role}' repeats")
            sections[variant][role] = ""
            current = []
            bodies.append((variant, role, current))
        elif current is not None:
            current.append(line)
        elif line.strip() and not line.startswith("#"):
            raise SpecError(
                f"rubric '{ref}' line {number}: text before the first section "
                "(only '#' comments may come before '=== single.user ===' and the like)"
            )
    for variant, role, body in bodies:
        sections[variant][role] = "\n".join(body)
    return sections


def _fields(ref: str, section: str, template: str) -> set[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise SpecError(
            f"rubric '{ref}' section '{section}': {exc} (write a literal brace as {{{{ or }}}})"
        ) from exc
    fields: set[str] = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if _FIELD.match(name) is None or spec or conversion:
            raise SpecError(
                f"rubric '{ref}' section '{section}': unknown placeholder "
                f"'{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}' "
                "(known: {question} {answer} {reference} {rubric} {question_N} {answer_N} "
                "{reference_N})"
            )
        fields.add(name)
    return fields


def _variant(ref: str, name: str, roles: dict[str, str]) -> Variant:
    if "user" not in roles:
        raise SpecError(f"rubric '{ref}': section '{name}.system' has no '{name}.user'")
    system = roles.get("system")
    fields = _fields(ref, f"{name}.user", roles["user"])
    if system is not None:
        fields |= _fields(ref, f"{name}.system", system)
    variant = Variant(name=name, system=system, user=roles["user"], fields=frozenset(fields))
    kinds = {(m["kind"] or "rubric") for m in map(_FIELD.match, fields) if m is not None}
    if "answer" not in kinds:
        raise SpecError(f"rubric '{ref}' template '{name}' shows no {{answer}}")
    for flag in FLAGS:
        if (flag in kinds) != (flag in variant.flags):
            raise SpecError(
                f"rubric '{ref}' template '{name}': "
                + (
                    f"uses {{{flag}}}, which only '+{flag}' templates may"
                    if flag in kinds
                    else f"a '+{flag}' template must use {{{flag}}}"
                )
            )
    if variant.mode == "single" and any(_turn(f) not in (None, 1) for f in fields):
        raise SpecError(f"rubric '{ref}' template '{name}' grades one turn: only _1 placeholders")
    return variant


def _turn(field: str) -> int | None:
    match = _FIELD.match(field)
    turn = match["turn"] if match is not None else None
    return int(turn) if turn is not None else None


def _digest(variants: tuple[Variant, ...]) -> str:
    canonical = [[v.name, v.system, v.user] for v in sorted(variants, key=lambda v: v.name)]
    text = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
