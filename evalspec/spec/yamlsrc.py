"""Line-tracking YAML: plain Python values plus the 1-based line of every field path.

PyYAML composes the node graph (SafeLoader, normal scalar resolution); this module
builds dicts/lists/scalars from it while recording where each key and item sits,
rejects what PyYAML would silently accept (duplicate keys, non-string keys) and
turns every YAML problem into a one-line `SpecError` (control characters included,
located at their line and column).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
import yaml.reader
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from evalspec.errors import SpecError

Loc = tuple[str | int, ...]

MERGE_TAG = "tag:yaml.org,2002:merge"
MAX_VALUES = 1_000_000  # guards against alias bombs
# what PyYAML's reader refuses anywhere in a file, comments included: C0 controls but tab,
# LF and CR; DEL; C1 controls but NEL; U+FFFE and U+FFFF
NON_PRINTABLE: re.Pattern[str] = yaml.reader.Reader.NON_PRINTABLE
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL"}


def format_loc(loc: Loc) -> str:
    """`("tasks", 0, "generation")` -> `tasks[0].generation` (long keys shortened)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{short(part)}" if out else short(part)
    return out


def short(text: str, limit: int = 40) -> str:
    """Text cut to `limit` characters ("..." at the end) for a one-line message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def message(where: str, loc: Loc, problem: str) -> str:
    """One line: `FILE:LINE: FIELD.PATH: problem` (the path part left out when empty)."""
    path = format_loc(loc)
    return f"{where}: {path}: {problem}" if path else f"{where}: {problem}"


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its values, the line of each field path, and its raw bytes."""

    display: str  # the path as the user gave it, used in messages
    data: Any
    lines: Mapping[Loc, int] = field(repr=False)
    raw: bytes = field(repr=False)
    columns: Mapping[Loc, int] = field(default_factory=dict, repr=False)  # 1-based, as lines

    def line(self, loc: Loc) -> int | None:
        """Line of `loc`, else of its nearest existing parent, else None."""
        for end in range(len(loc), -1, -1):
            found = self.lines.get(loc[:end])
            if found is not None:
                return found
        return None

    def where(self, *loc: str | int) -> str:
        """`FILE:LINE` for a field path (nearest existing parent), or just `FILE`."""
        found = self.line(tuple(loc))
        return self.display if found is None else f"{self.display}:{found}"

    def error(self, loc: Loc, problem: str, at: Loc | None = None) -> SpecError:
        """A SpecError for `loc`, located at `at` (default: `loc` or its nearest parent)."""
        return SpecError(message(self.where(*(loc if at is None else at)), loc, problem))


def load(path: Path, display: str) -> Document:
    """Read and parse a YAML file; a missing or unreadable file is a SpecError."""
    if not path.exists():
        raise SpecError(f"{display}: file not found")
    if not path.is_file():
        raise SpecError(f"{display}: not a file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{display}: cannot read file ({exc.strerror})") from None
    return parse(raw, display)


def parse(raw: bytes, display: str) -> Document:
    """Parse YAML bytes into a Document; every problem is a one-line SpecError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{display}: not UTF-8 text (byte {exc.start})") from None
    bad = NON_PRINTABLE.search(text)
    if bad is not None:
        raise _control_character(text, bad.start(), display)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(f"{display}: file is empty. expected a YAML mapping (key: value)")
        builder = _Builder(loader, display)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable YAML"
        if exc.context and exc.problem and exc.problem.startswith("but "):
            problem = f"{exc.context}, {exc.problem}"
        problem = short(problem, 200)  # PyYAML quotes aliases and tags whole
        if mark is None:
            raise SpecError(f"{display}: invalid YAML: {problem}") from None
        raise SpecError(
            f"{display}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {problem}"
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(
            f"{display}: invalid YAML: {short(' '.join(str(exc).split()), 200)}"
        ) from None
    except RecursionError:
        raise SpecError(f"{display}: invalid YAML: nesting is too deep") from None
    finally:
        loader.dispose()
    return Document(
        display=display, data=data, lines=builder.lines, raw=raw, columns=builder.columns
    )


def _control_character(text: str, pos: int, display: str) -> SpecError:
    """`FILE:LINE:COL: FIELD: control character U+0007 (BEL) ...`; the field is named when
    one starts on that line (the file parsed with the characters blanked out)."""
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    code = ord(text[pos])
    name = _CONTROL_NAMES.get(code)
    char = f"U+{code:04X}" + (f" ({name})" if name else "")
    escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    loc: Loc = ()
    try:
        blanked = parse(NON_PRINTABLE.sub(" ", text).encode("utf-8"), display)
        # the field that starts last before the character on its line (the deepest on a tie)
        before = [
            (blanked.columns.get(found, 0), len(found), found)
            for found, at in blanked.lines.items()
            if at == line and blanked.columns.get(found, 0) <= column
        ]
        loc = max(before)[2] if before else ()
    except SpecError:
        pass  # another problem: the control character is reported first, without a field
    return SpecError(
        message(
            f"{display}:{line}:{column}",
            loc,
            f"control character {char} is not allowed anywhere in the file (comments "
            f"included); delete it, or write it as the escape {escape} in a double-quoted "
            "string",
        )
    )


class _Builder:
    """Builds plain values from composed nodes, recording the line of each path."""

    def __init__(self, loader: yaml.SafeLoader, display: str) -> None:
        self.loader = loader
        self.display = display
        self.lines: dict[Loc, int] = {}
        self.columns: dict[Loc, int] = {}
        self.count = 0
        self.active: set[int] = set()

    def fail(self, node: Node, loc: Loc, problem: str) -> SpecError:
        return SpecError(message(f"{self.display}:{node.start_mark.line + 1}", loc, problem))

    def build(self, node: Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self.fail(node, loc, f"more than {MAX_VALUES} values (alias expansion?)")
        # the document itself has no line: where() falls back to just FILE
        if loc and loc not in self.lines:
            self.lines[loc] = node.start_mark.line + 1
            self.columns[loc] = node.start_mark.column + 1
        if isinstance(node, ScalarNode):
            try:
                return self.loader.construct_object(node, deep=True)
            except (ValueError, OverflowError) as exc:  # 5000 digits, a date like 2024-13-01
                shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
                reason = str(exc).split(";")[0][:100]
                raise self.fail(
                    node, loc, f"cannot read {shown!r} ({reason}); quote it to keep it as text"
                ) from None
        if id(node) in self.active:
            raise self.fail(node, loc, "recursive alias")
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, loc)
            raise self.fail(node, loc, f"unsupported YAML node {type(node).__name__}")
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        explicit: dict[str, int] = {}
        has_merge = False
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                has_merge = True
                continue
            key = self._key(key_node, loc)
            if key in explicit:
                raise self.fail(
                    key_node,
                    (*loc, key),
                    f"duplicate key '{short(key)}' (first at line {explicit[key]}). remove one of "
                    "them",
                )
            explicit[key] = key_node.start_mark.line + 1
        if has_merge:
            self.loader.flatten_mapping(node)  # resolves `<<:` merge keys
        pairs: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            pairs[self._key(key_node, loc)] = (key_node, value_node)  # explicit keys come last
        out: dict[str, Any] = {}
        for key, (key_node, value_node) in pairs.items():
            self.lines[(*loc, key)] = key_node.start_mark.line + 1  # the key's line
            self.columns[(*loc, key)] = key_node.start_mark.column + 1
            out[key] = self.build(value_node, (*loc, key))
        return out

    def _key(self, key_node: Node, loc: Loc) -> str:
        if not isinstance(key_node, ScalarNode):
            raise self.fail(key_node, loc, "mapping keys must be plain strings")
        key = self.loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise self.fail(
                key_node,
                loc,
                f"key {short(key_node.value)} is read as a {type(key).__name__}, not a string. "
                f'quote it: "{short(key_node.value)}":',
            )
        return key
