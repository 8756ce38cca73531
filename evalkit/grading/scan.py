"""The one scanner of LaTeX structure: brace partners, bracket depth, top-level splits, math spans.

Everything here is linear in the length of its input and never evaluates anything, so it is safe
on hostile text (megabytes of braces, unclosed groups). Escapes follow TeX: `\\{` and `\\}` are
literal braces, never group braces; any other backslash sequence is one token.

- `brace_partners` matches every `{` of a text with its `}` in one pass (a stack), so finding
  the end of every box of a response costs the same as finding one.
- `closing_brace` is the same walk from one opening brace.
- `bracket_depth` says how many brackets are open at a position; `brackets_balance` whether they
  all pair up.
- `split_top_level` cuts a string at separators outside all brackets: `(`, `[`, `{` and the set
  braces `\\{ \\}` all count, and interval brackets may close with the other kind (`(0, 1]`).
- `math_spans` finds `$..$`, `$$..$$`, `\\(..\\)` and `\\[..\\]` spans (an escaped `\\$` is text).
- `closing_display_row` reads the last row of a display environment (`align*`) that ends a text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.DOTALL)
_COMMAND = re.compile(r"\\[a-zA-Z]+|\\.", re.DOTALL)
_OPENERS = "([{"
_CLOSERS = ")]}"


def brace_partners(text: str, start: int = 0) -> dict[int, int]:
    """Map the index of each `{` at or after `start` to the index of its matching `}`.

    Escaped braces are skipped; unmatched opening braces are absent from the result.
    """
    partners: dict[int, int] = {}
    open_positions: list[int] = []
    for token in _BRACE_TOKEN.finditer(text, start):
        char = token.group()
        if char == "{":
            open_positions.append(token.start())
        elif char == "}" and open_positions:
            partners[open_positions.pop()] = token.start()
    return partners


def closing_brace(text: str, open_index: int) -> int:
    """Index of the `}` matching the `{` at `open_index`, or -1 when it is never closed."""
    depth = 0
    for token in _BRACE_TOKEN.finditer(text, open_index):
        char = token.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return token.start()
    return -1


def braces_balanced(text: str) -> bool:
    """Whether the unescaped `{` and `}` of `text` pair up."""
    depth = 0
    for token in _BRACE_TOKEN.finditer(text):
        char = token.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def brackets_balance(text: str) -> bool:
    """Whether every closing bracket (`)`, `]`, `}`, `\\}`) closes an open one and none stays open;
    the kinds may differ, as in the half-open interval `[0,1)`."""
    depth = 0
    for _, _, depth in _tokens(text):
        if depth < 0:
            return False
    return depth == 0


def split_top_level(text: str, separators: tuple[str, ...] = (",",)) -> list[str]:
    """Split `text` at separators that stand outside every bracket (see the module notes)."""
    return split_top_level_with_separators(text, separators)[0]


def _tokens(text: str, openers: str = _OPENERS, closers: str = _CLOSERS) -> Iterator[tuple[int, str, int]]:
    """Walk `text` token by token: `(start, token, depth after it)`. A token is a command
    (`\\cup`, `\\{`) or one character; `openers`/`closers` and `\\{`/`\\}` change the depth."""
    depth = 0
    index = 0
    length = len(text)
    while index < length:
        if text[index] == "\\":
            match = _COMMAND.match(text, index)
            token = match.group(0) if match else "\\"
            change = 1 if token == "\\{" else -1 if token == "\\}" else 0
        else:
            token = text[index]
            change = 1 if token in openers else -1 if token in closers else 0
        depth += change
        yield index, token, depth
        index += len(token)


def split_top_level_with_separators(text: str, separators: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """`split_top_level`, plus the separator found at each cut (one fewer than the parts).

    A separator is one character (`,`, `=`) or a command (`\\cup`, `\\le`), which matches a
    whole command token only: `\\le` does not match inside `\\left`.
    """
    wanted = set(separators)
    parts: list[str] = []
    found: list[str] = []
    start = 0
    for index, token, depth in _tokens(text):
        if depth == 0 and token in wanted:
            parts.append(text[start:index])
            found.append(token)
            start = index + len(token)
    parts.append(text[start:])
    return parts, found


def bracket_depth(text: str, position: int) -> int:
    """How many brackets (`(`, `[`, `\\{`) are open at `position`; TeX groups `{}` do not count."""
    depth = 0
    for _, _, depth in _tokens(text[:position], "([", ")]"):
        pass
    return max(depth, 0)


def encloses_whole(text: str) -> bool:
    """Whether the bracket that opens `text` (any kind, or `\\{`) is closed by its last character."""
    for index, token, depth in _tokens(text):
        if depth == 0:
            return index + len(token) >= len(text)
    return False


@dataclass(frozen=True)
class MathSpan:
    """One math span of a text: `[start, end)` including its delimiters, and its content."""

    start: int
    end: int
    content: str


_SPAN_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))


def math_span_at(text: str, start: int, limit: int | None = None) -> MathSpan | None:
    """The math span opening at `start`, if one does and is closed before `limit`."""
    end_limit = len(text) if limit is None else limit
    for opener, closer in _SPAN_DELIMITERS:
        if not text.startswith(opener, start):
            continue
        position = start + len(opener)
        while True:
            closing = text.find(closer, position, end_limit)
            if closing < 0:
                return None
            if closer == "$" and _is_escaped(text, closing):
                position = closing + 1
                continue
            break
        if closer == "$" and opener == "$" and text.startswith("$", closing + 1) and closing == position:
            return None
        content = text[start + len(opener):closing]
        return MathSpan(start, closing + len(closer), content)
    return None


def _is_escaped(text: str, index: int) -> bool:
    backslashes = 0
    position = index - 1
    while position >= 0 and text[position] == "\\":
        backslashes += 1
        position -= 1
    return backslashes % 2 == 1


_SPAN_OPENER = re.compile(r"\\[\[($\\]|\$")


def math_spans(text: str) -> list[MathSpan]:
    """All math spans of `text`, left to right; an escaped `\\$` opens nothing.

    Jumps from one possible opener to the next with a regular expression, so a long text with
    few spans costs little.
    """
    spans: list[MathSpan] = []
    position = 0
    while True:
        match = _SPAN_OPENER.search(text, position)
        if match is None:
            return spans
        token = match.group(0)
        if token in ("\\$", "\\\\"):
            position = match.end()
            continue
        span = math_span_at(text, match.start())
        if span is not None:
            spans.append(span)
            position = span.end
        else:
            position = match.end()


_DISPLAY_ENVIRONMENTS = "align|aligned|alignat|alignedat|flalign|equation|eqnarray|gather|gathered|multline|split"
_CLOSING_ENVIRONMENT = re.compile(r"\\end\{(" + _DISPLAY_ENVIRONMENTS + r")(\*?)\}\s*(?:\\\]|\$\$)?\s*[.,;]?\s*\Z")
_ROW_TOKEN = re.compile(r"\\(begin|end)\{[^{}]*\}|\\\\|&|\\.|[{}]", re.DOTALL)
_ROW_LABELS = re.compile(r"\\(?:notag|nonumber)(?![A-Za-z])|\\(?:label|tag\*?)\{[^{}]*\}")
_ROW_LEAD = re.compile(r"^(?:\s|\\[,;:! ]|\\q?quad(?![A-Za-z]))*(?:(?:=|\\equiv(?![A-Za-z]))(?:\s|\\[,;:! ]|\\q?quad(?![A-Za-z]))*)?")


def closing_display_row(text: str) -> str | None:
    """The last non-empty row of the display environment (`align*`, `equation`, `gather`, ...) that
    ends `text` (a closing `\\]` or `$$` and a full stop may follow), without its alignment marks, tags
    and a leading `=` or `\\equiv`: what a derivation that ends a response states last (`&= x^3+27.` gives
    `x^3+27`, `x &= 3` gives `x = 3`). Rows and marks inside a nested environment (a `pmatrix`) or a
    group stay whole. None when `text` does not end with such an environment or never opens it."""
    end = _CLOSING_ENVIRONMENT.search(text)
    if end is None:
        return None
    opener = f"\\begin{{{end.group(1)}{end.group(2)}}}"
    begin = text.rfind(opener, 0, end.start())
    if begin < 0:
        return None
    body = text[begin + len(opener):end.start()]
    rows: list[str] = []
    row: list[str] = []
    depth = position = 0
    for token in _ROW_TOKEN.finditer(body):
        mark = token.group()
        if token.group(1) == "begin" or mark == "{":
            depth += 1
        elif token.group(1) == "end" or mark == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and mark in ("\\\\", "&"):
            row.append(body[position:token.start()])
            position = token.end()
            if mark == "\\\\":
                rows.append(" ".join(row))
                row = []
            else:
                row.append(" ")
    row.append(body[position:])
    rows.append(" ".join(row))
    for candidate in reversed(rows):
        value = _ROW_LEAD.sub("", _ROW_LABELS.sub(" ", candidate)).strip().rstrip(".,;").strip()
        if value:
            return " ".join(value.split())
    return None
