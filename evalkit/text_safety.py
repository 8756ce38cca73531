"""Making untrusted text safe to show: in a terminal (through rich), in Markdown, in plot titles.

Model names, paths, problem subjects and error messages can hold anything a dataset or a
model wrote: rich markup (`[/]`, `[red]`), terminal escape sequences (`\\x1b[2J`), other control
characters, lone surrogates (which no terminal encoding can print), or Markdown table syntax.
Every place that prints such text to a terminal or writes it to Markdown passes it through one
of these functions, so that it is shown literally and cannot restyle, clear or break anything.
"""

from __future__ import annotations

import re

from rich.markup import escape as _escape_markup

# C0 and C1 control characters except tab and newline, DEL, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
"""Control characters, lone surrogates, and the invisible characters that reorder or hide text (bidirectional
overrides and isolates, zero-width spaces and joiners, line and paragraph separators, a byte-order mark): each is
shown as its escape, so a model name cannot read backwards or hide part of itself."""
# Markdown characters that can start markup inside a table cell: emphasis, code, HTML, links
# (a link needs "](", so escaping parentheses disarms it while number cells such as
# "54.2 [50.1, 58.3]" stay as they are), strikethrough, and the cell separator.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_<>()|~$])")  # `$` too: GitHub reads `$..$` as math
_BACKTICK_RUN = re.compile("`+")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_controls(text: str, *, keep_newlines: bool = True) -> str:
    """`text` with control characters and lone surrogates written as visible escapes (`\\x1b`)."""
    text = _UNSAFE.sub(_visible, str(text))
    if not keep_newlines:
        text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text


def for_terminal(text: object, *, keep_newlines: bool = False) -> str:
    """Text to embed in a rich markup string: shown literally, no markup, no control codes, and on one
    line (`\\n` shown as such, so that a model name or a server's message cannot print a line of its
    own) unless `keep_newlines`, for text whose lines evalkit wrote (an error listing bad lines)."""
    return _escape_markup(visible_controls(str(text), keep_newlines=keep_newlines))


def for_markdown(text: object) -> str:
    """Text for one Markdown table cell or inline span: one line, Markdown syntax escaped."""
    flat = visible_controls(str(text), keep_newlines=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def for_markdown_code(text: object) -> str:
    """Text as one inline Markdown code span, shown exactly as it is: one line, control codes visible,
    fenced with more backticks than any run of them inside (a span needs no other escape). Not for
    table cells, where `|` still ends the cell."""
    flat = visible_controls(str(text), keep_newlines=False)
    fence = "`" * (1 + max((len(run) for run in _BACKTICK_RUN.findall(flat)), default=0))
    padded = flat.startswith(("`", " ")) or flat.endswith(("`", " ")) or not flat
    return f"{fence} {flat} {fence}" if padded else f"{fence}{flat}{fence}"


def for_plot(text: object) -> str:
    """Text for a matplotlib title or label: one line, control codes visible, `$` not read as math."""
    return visible_controls(str(text), keep_newlines=False).replace("$", r"\$")


_SIGNED_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def for_csv(cell: object) -> object:
    """A CSV cell that neither a terminal nor a spreadsheet acts on: a text's control and invisible characters shown
    as escapes, and a text that a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+`, `-`, `@` first) quoted
    with a leading `'`; numbers, and texts that are numbers (`-0.5`), as they are."""
    if not isinstance(cell, str):
        return cell
    text = visible_controls(cell, keep_newlines=False)
    if text[:1] in ("=", "+", "-", "@") and not _SIGNED_NUMBER.fullmatch(text):
        text = "'" + text
    return text
