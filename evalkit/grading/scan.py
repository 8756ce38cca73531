"""The one scanner of LaTeX structure: brace partners, bracket depth, top-level splits, math spans.

Everything here is linear in the length of its input and never evaluates anything, so it is safe
on hostile text (megabytes of braces, unclosed groups). Escapes follow TeX: `\\{` and `\\}` are
literal braces, never group braces; any other backslash sequence is one token.

- `brace_partners` matches every `{` of a text with its `}` in one pass (a stack), so finding
  the end of every box of a response costs the same as finding one.
- `closing_brace` is the same walk from one opening brace.
- `bracket_depth` says how many brackets are open at a position; `brackets_balance` whether they
  all pair up; `group_end` where the bracket that opens a text closes (`encloses_whole`: at its end).
- `split_top_level` cuts a string at separators outside all brackets: `(`, `[`, `{` and the set
  braces `\\{ \\}` all count, and interval brackets may close with the other kind (`(0, 1]`).
- `math_spans` finds `$..$`, `$$..$$`, `\\(..\\)` and `\\[..\\]` spans (an escaped `\\$` is text).
- `closing_display_row` reads the last row of a display environment (`align*`) that ends a text;
  `closing_environment_start` says where that environment opens; `derivation_result` reads an answer
  that is one such environment holding one derivation.
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


def group_end(text: str, openers: str = _OPENERS, closers: str = _CLOSERS) -> int:
    """The index just past the bracket that opens `text` and closes it (kinds `openers`/`closers`, and `\\{`
    `\\}`), or -1 when it is never closed; 1 when `text` does not open with a bracket."""
    for index, token, depth in _tokens(text, openers, closers):
        if depth == 0:
            return index + len(token)
    return -1


def encloses_whole(text: str) -> bool:
    """Whether the bracket that opens `text` (any kind, or `\\{`) is closed by its last character."""
    return group_end(text) >= len(text)


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
        if opener == "$" and _opens_an_amount(text, closing):
            return None  # `$2 each, so 9 x 2 = $18`: two amounts of money, no math between them
        content = text[start + len(opener):closing]
        return MathSpan(start, closing + len(closer), content)
    return None


def _opens_an_amount(text: str, index: int) -> bool:
    """Whether the `$` at `index` opens an amount of money rather than closing math: a space
    before it and a digit right after it (`= $18`), as Pandoc reads dollar signs."""
    return 0 < index < len(text) - 1 and text[index - 1].isspace() and text[index + 1].isdigit()


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
_WHOLE_ENVIRONMENT = re.compile(r"\\begin\{(" + _DISPLAY_ENVIRONMENTS + r")\*?\}.*\\end\{\1\*?\}", re.DOTALL)
_ROW_TOKEN = re.compile(r"\\(begin|end)\{[^{}]*\}|\\\\(?:\s*\[\s*-?[\d.]+\s*(?:pt|em|ex|mm|cm|in|bp|mu)\s*\])?|&|\\.|[{}]",
                        re.DOTALL)
_SPACING = r"(?:\s|\\[,;:! ]|\\q?quad(?![A-Za-z]))"
_ESCAPED_SPACE = re.compile(r"(?<!\\)\\ ")
_ROW_NOISE = re.compile(r"\\(?:notag|nonumber|hline)(?![A-Za-z])|\\(?:label|tag\*?|intertext|noalign)\{[^{}]*\}|\\text\{\s*\}")
_TEXT_REMARK = r"\\(?:text|textrm|mbox)\{[^{}\d]*\}"
"""Words in `\\text{}` (no digit: `\\text{5 and } 7` holds a value)."""
_ANY_TEXT = r"\\(?:text|textrm|mbox)\{[^{}]*\}"
"""Anything in `\\text{}`, where its place says it is a remark (its own column, after `\\quad`)."""
_REMARK = rf"(?:{_TEXT_REMARK}|\((?=[^()]*(?:[A-Za-z]{{2}}|%|\\approx))[^()]*\))"
"""A remark beside a row's math: words in `\\text{}`, or a parenthesis holding words (`(positive root)`)."""
_ANNOTATION_COLUMN = re.compile(rf"(?:{_SPACING}|{_ANY_TEXT}|\([^()]*\))*")
"""A column beside a row's equation that only remarks on it (`&& \\text{(divide by 2)}`, `& (n > 0)`)."""
_OPEN_SYMBOL_MARKS = ("\\square", "\\Box")
_ROW_LEAD = re.compile(rf"^(?:{_SPACING}|{_TEXT_REMARK}|\\(?:therefore|Rightarrow|implies|Longrightarrow|iff)(?![A-Za-z]))*")
_ROW_RELATIONS = ("=", "\\equiv", "\\ge", "\\geq", "\\le", "\\leq", "<", ">", "\\approx")
_ROW_RELATION = re.compile("^(?:" + "|".join(
    re.escape(relation) + ("(?![A-Za-z])" if relation.startswith("\\") else "")
    for relation in sorted(_ROW_RELATIONS, key=len, reverse=True)) + f"){_SPACING}*")
"""A row that opens with one of `_ROW_RELATIONS`: it continues the left side of the rows above."""
_ROW_TAIL_ITEM = re.compile(rf"(?:[.,;]|\\(?:checkmark|qed|blacksquare|square|Box)(?![A-Za-z])|\\[,;:! ]"
                            rf"|\\q?quad|(?:\\q?quad|\\[,;:])\s*(?:\([^()]*\)|{_ANY_TEXT})|(?P<remark>{_REMARK}))\Z")
"""One thing that ends a row after its math: punctuation, spacing, a proof mark, a parenthesis set apart
by explicit spacing (`\\quad (n > 0)`), or a remark (after a space: `2 (x - 1)` keeps its factor)."""
_MAX_TAIL_ITEMS = 16
_CONTINUATION = re.compile(rf"^{_SPACING}*(?:[+\-]|\\cdot(?![A-Za-z])|\\times(?![A-Za-z]))")
_PLUS_OR_TIMES = re.compile(rf"^{_SPACING}*(?:\+|\\cdot(?![A-Za-z])|\\times(?![A-Za-z]))")
_BOUNDS = ("\\ge", "\\geq", "\\le", "\\leq", "<", ">")


def _closing_environment(text: str) -> tuple[int, int, int] | None:
    """Where the display environment that ends `text` opens, and where its body starts and ends."""
    end = _CLOSING_ENVIRONMENT.search(text)
    if end is None:
        return None
    opener = f"\\begin{{{end.group(1)}{end.group(2)}}}"
    begin = text.rfind(opener, 0, end.start())
    return (begin, begin + len(opener), end.start()) if begin >= 0 else None


_VALUE_ENVIRONMENT = re.compile(r"\\begin\s*\{((?:[pbBvV]?|small)matrix|array|cases)\}")
"""An environment that is one value when written alone, delimiters or not: a matrix, an array, a system."""


def value_environment_at(text: str, start: int, limit: int | None = None) -> int | None:
    """The end of the matrix, array or `cases` environment opening at `start` (`\\begin{pmatrix} 1 \\\\ 2
    \\end{pmatrix}`), nested ones of the same name counted, closed before `limit`; None when none opens there."""
    opening = _VALUE_ENVIRONMENT.match(text, start)
    if opening is None:
        return None
    name = re.escape(opening.group(1))
    depth, position = 1, opening.end()
    marks = re.compile(r"\\(begin|end)\s*\{" + name + r"\}")
    for mark in marks.finditer(text, position, len(text) if limit is None else limit):
        depth += 1 if mark.group(1) == "begin" else -1
        if depth == 0:
            return mark.end()
    return None


def closing_environment_start(text: str) -> int | None:
    """Where the display environment that ends `text` (see `closing_display_row`) opens, or None."""
    found = _closing_environment(text)
    return found[0] if found is not None else None


def closing_display_row(text: str) -> str | None:
    """What the display environment (`align*`, `equation`, `gather`, ...) that ends `text` (a closing
    `\\]` or `$$` and a full stop may follow) states last: its last row that holds math, read as a
    derivation's result. `&= x^3+27.` gives `x^3+27` (a leading `=`, `\\equiv` or bound continues the
    rows above, so only what follows the last relation of such a row is kept), `x &= 3` gives `x = 3`.
    Alignment marks, tags, `\\hline`, remark columns (`&& \\text{positive root}`), leading words
    (`\\text{so }`, `\\therefore`) and trailing remarks (`\\quad (\\text{Answer})`, `\\checkmark`) go; a
    row that starts with an operator (`&\\qquad - 4x^2`, `+ 5`) joins the row above; a bound ends with the
    value it reaches; a row that is one nested environment (`split`) is read inside. Rows and marks
    inside a nested environment (a `pmatrix`) or a group stay whole. None when `text` does not end with
    such an environment or never opens it."""
    rows = _closing_rows(text)
    return _last_row_value(rows) if rows is not None else None


def _last_row_value(rows: list[list[str]]) -> str | None:
    """What an environment's rows state last (`closing_display_row`)."""
    kept = [(row, _continues(columns)) for columns in rows if (row := _row_text(columns))]
    while len(kept) > 1 and kept[-1][1]:
        kept[-2:] = [(kept[-2][0] + " " + kept[-1][0], kept[-2][1])]
    if not kept:
        return None
    last = kept[-1][0]
    if _WHOLE_ENVIRONMENT.fullmatch(last):
        return closing_display_row(last)
    relation = _ROW_RELATION.match(last)
    if relation:  # `&= a = 5`, `&\\ge 2\\sqrt{4} = 4`: the left side is above; the chain ends with its value
        last = split_top_level(last[relation.end():], _ROW_RELATIONS)[-1].strip()
    elif len(split_top_level(last, _BOUNDS)) > 1:  # `x + \\frac4x \\ge 2\\sqrt{4} = 4`, `x \\le 5`: the bound reached
        last = split_top_level(last, _ROW_RELATIONS)[-1].strip()
    return " ".join(last.split()) or None


def _closing_rows(text: str) -> list[list[str]] | None:
    """The rows (each a list of its columns) of the display environment that ends `text`, or None."""
    found = _closing_environment(text)
    if found is None:
        return None
    _, body_start, body_end = found
    body = text[body_start:body_end]
    rows: list[list[str]] = []
    columns: list[str] = []
    depth = position = 0
    for token in _ROW_TOKEN.finditer(body):
        mark = token.group()
        if token.group(1) == "begin" or mark == "{":
            depth += 1
        elif token.group(1) == "end" or mark == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and (mark == "&" or mark.startswith("\\\\")):
            columns.append(body[position:token.start()])
            position = token.end()
            if mark != "&":
                rows.append(columns)
                columns = []
    columns.append(body[position:])
    rows.append(columns)
    return rows


_SYSTEM_ENVIRONMENT = re.compile(r"\\begin\{(cases|aligned|align\*?|gathered|gather\*?|array)\}(\{[lcr|]*\})?(.*)"
                                 r"\\end\{\1\}", re.DOTALL)
_ROW_BREAK = re.compile(r"\\\\(?:\s*\[[^\]]*\])?")
_NAME_IS_VALUE = re.compile(r"\s*([A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?)\s*=\s*([^=<>]+?)\s*[,;.]?\s*")


def system_of_equations(text: str) -> str | None:
    """An answer that is one environment of rows `name = value`, one row per unknown (`\\begin{cases} x=1 \\\\
    y=2 \\end{cases}`, `\\begin{aligned} a &= 3 \\\\ b &= -1 \\end{aligned}`), as the list `x=1, y=2`; None for
    anything else (a piecewise function, a derivation, one row, a name given twice, a nested environment)."""
    whole = _SYSTEM_ENVIRONMENT.fullmatch(text.strip())
    if whole is None or "\\begin" in whole.group(3):
        return None
    rows = [row.replace("&", " ") for row in _ROW_BREAK.split(whole.group(3)) if row.strip()]
    pairs = [_NAME_IS_VALUE.fullmatch(row) for row in rows]
    if len(rows) < 2 or None in pairs or len({pair.group(1) for pair in pairs}) < len(pairs):
        return None
    return ", ".join(f"{pair.group(1)}={pair.group(2)}" for pair in pairs)


def derivation_result(text: str) -> str | None:
    """The result of an answer that is one display environment holding one derivation (`\\begin{aligned}
    x &= 2 + 1 \\\\ &= 3 \\end{aligned}` gives `3`): every row after the first continues it (starts with a
    relation or an operator). None for anything else, a system of equations (`x &= 1 \\\\ y &= 2`) included."""
    if not _WHOLE_ENVIRONMENT.fullmatch(text.strip()):
        return None
    rows = _closing_rows(text)
    if rows is None or not all(_continues(columns) or _ROW_RELATION.match(row)
                               for columns in rows[1:] if (row := _row_text(columns))):
        return None
    return _last_row_value(rows)


def _continues(columns: list[str]) -> bool:
    """Whether a row goes on with the expression of the row above: its first column empty and the next
    starting with an operator (`&\\qquad - 4x^2 + 4`), or it starts with `+` or a product sign."""
    if len(columns) > 1 and not columns[0].strip():
        return bool(_CONTINUATION.match(columns[1]))
    return bool(_PLUS_OR_TIMES.match(columns[0]))


def _row_text(columns: list[str]) -> str:
    """One row's math: its columns joined, remark columns after the first two left out, tags,
    leading words and trailing remarks gone."""
    columns = [_ESCAPED_SPACE.sub(" ", _ROW_NOISE.sub(" ", column)) for column in columns]
    if len(columns) > 2 and all(_ANNOTATION_COLUMN.fullmatch(column) for column in columns[2:]):
        columns = columns[:2]
    elif len(columns) >= 4 and len(columns) % 2 == 0:
        columns = columns[-2:]  # `2x + 3 &= 13, & x &= 5`: equations side by side, the last one last
    row = " ".join(columns)
    row = _ROW_LEAD.sub("", row)
    for _ in range(_MAX_TAIL_ITEMS):
        row = row.rstrip()
        item = _ROW_TAIL_ITEM.search(row)
        if item is None or item.group("remark") and not row[:item.start()].endswith((" ", "\t", "\n")):
            break
        if item.group().startswith(_OPEN_SYMBOL_MARKS) and row[:item.start()].rstrip()[-1:] in ("", "=", "+", "-"):
            break  # `3 &= \\square`: the symbol is the quantity named, not a proof mark
        row = row[:item.start()]
    return row.strip()


FULL_WIDTH_FORMS = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
"""The full-width forms of ASCII (`－50`, `（1，2）`, `５４０`) that CJK text uses, to `str.translate` into ASCII."""
EMOJI_CHARACTERS = "\u200d\ufe0f\u2600-\u27bf\u2b50\u2b55\U0001F000-\U0001FAFF"
"""Emoji and pictographs (`✅`, `🎉`, `✔️`) as the inside of a regex character class: decoration, never math (the
degree sign and the symbols of mathematics lie outside these blocks)."""
