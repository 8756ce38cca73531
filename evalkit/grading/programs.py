"""Programs in a response and what they printed: tool-integrated reasoning (a ```` ```python ```` block, then its
```` ```output ````), program of thought (a program alone), REPL and notebook transcripts, and the tagged forms tool
runners write (`[EXECUTION RESULT]`, `<output>`, `<tool_response>`).

`extract` reads a response that ends in a program's output by its printed value, takes a traceback there for no
answer, and a program never run for no statement. This module finds those endings and turns a printed line into the
text of a value (`array([8, -2])` is `[8, -2]`, `'2/1005'` is `2/1005`, `[{x: -2}, {x: 1}]` is `x=-2, x=1`). Pure
functions over strings; Python source is parsed (`ast.parse`) only to tell a program from prose, never run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CodeBlock:
    """A block a response ends with: where it starts, `program` (code never run) or `output` (what a run printed),
    and its text."""

    start: int
    kind: str
    content: str


PROGRAM_LANGUAGES = frozenset({"python", "py", "python3", "sympy", "ipython", "pycon"})
_OUTPUT_LABELS = frozenset({"output", "stdout", "text", "console", "plaintext", "result"})
_OUTPUT_TAGS = (("[EXECUTION RESULT]", "[/EXECUTION RESULT]"), ("<output>", "</output>"),
                ("<tool_response>", "</tool_response>"))
"""Tags around a run's output that tool runners and datasets write."""
_PROGRAM_ERROR = re.compile(r"Traceback \(most recent call last\)|^[ \t]*File \"[^\"\n]*\", line \d+|^[ \t]*Cell In\[\d*\]|"
                            r"^[ \t]*(?:[A-Z][A-Za-z]*(?:Error|Exception)|Error)\b(?::|$)", re.MULTILINE)
"""What a program's output shows when the program failed: a traceback, an `...Error:` line."""
_NOTEBOOK_OUT = re.compile(r"^[ \t]*Out\[\d*\]:[ \t]*", re.MULTILINE)
_REPL_PROMPT = re.compile(r"^(?:>>>|\.\.\.)(?: |$)")
_PROGRAM_START = re.compile(r"(?:def |class |import |from [\w.]+ import |async def )")


def closing_code_block(body: str) -> CodeBlock | None:
    """The block a response ends with when it is a program or a program's output: a fenced `python` block (`program`;
    `output` when it is a notebook or REPL transcript that shows what it printed), an `output` block or an unlabelled
    one after a program, or a tagged output (`[EXECUTION RESULT] ... [/EXECUTION RESULT]`); None for any other ending
    (prose, a `latex` or `json` block)."""
    end = body.rstrip()
    for opening, closing in _OUTPUT_TAGS:
        if end.endswith(closing) and (start := end.rfind(opening, 0, len(end) - len(closing))) >= 0:
            return CodeBlock(start, "output", end[start + len(opening):len(end) - len(closing)])
    if not end.endswith("```") or len(end) < 7:
        return None
    close = len(end) - 3
    start = end.rfind("```", 0, close)
    header_end = end.find("\n", start, close) if start >= 0 else -1
    if header_end < 0:
        return None
    label = fence_label(end, start)
    content = end[header_end + 1:close]
    if label in PROGRAM_LANGUAGES or not label:
        shown = transcript_output(content)
        if shown is not None:
            return CodeBlock(start, "output", shown)  # `In [4]: answer` / `Out[4]: 448/15625`, `>>> print(x)` / `540`
    if label in PROGRAM_LANGUAGES:
        return CodeBlock(start, "program", content)
    before = end[:start].rstrip()
    if label in _OUTPUT_LABELS or (not label and before.endswith("```") and len(before) >= 7
                                   and fence_label(before, before.rfind("```", 0, len(before) - 3)) in PROGRAM_LANGUAGES):
        return CodeBlock(start, "output", content)
    return None


def fence_label(text: str, start: int) -> str:
    """The language label of the fence that opens at `start` (`python` for a fence of python), lower case."""
    if start < 0:
        return ""
    line_end = text.find("\n", start)
    return text[start + 3:line_end if line_end >= 0 else len(text)].strip().lower()


def transcript_output(content: str) -> str | None:
    """What a notebook or REPL transcript shows its last command printed: the text after its last `Out[n]:`, or the
    lines after its last `>>>` command; None when the block is not such a transcript or shows no output."""
    outs = list(_NOTEBOOK_OUT.finditer(content))
    if outs:
        return content[outs[-1].end():]
    lines = content.splitlines()
    commands = [index for index, line in enumerate(lines) if _REPL_PROMPT.match(line)]
    if not commands:
        return None
    shown = [line for line in lines[commands[-1] + 1:] if not _REPL_PROMPT.match(line)]
    return "\n".join(shown) if any(line.strip() for line in shown) else None


def program_failed(output: str) -> bool:
    """Whether a run's output shows that its program failed (a traceback, an `...Error:` line)."""
    return _PROGRAM_ERROR.search(output) is not None


def is_unfenced_program(text: str) -> bool:
    """Whether a whole response is a program written without a fence (program of thought: `def solution(): ...`,
    `import math ...`): several lines that start like a program and parse as Python (parsed, never run)."""
    text = text.strip()
    if "\n" not in text or len(text) > 20_000 or not _PROGRAM_START.match(text):
        return False
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


_QUOTED = re.compile(r"(['\"])(.*)\1")
_NUMPY_VALUE = re.compile(r"(?:np\.|numpy\.)?(?:array|float\d*|int\d*)\((.*?)(?:,\s*dtype=[\w.]+)?\)")
_ONE_ITEM_TUPLE = re.compile(r"\((.+?),\s*\)")
_DICT_LIST = re.compile(r"\[\s*(\{[^{}\[\]]*\}(?:\s*,\s*\{[^{}\[\]]*\})*)\s*\]")
_NAMED_ITEM = re.compile(r"['\"]?([A-Za-z_]\w*)['\"]?\s*:\s*([^,{}:]+)")
_DICT = re.compile(r"\{\s*(" + _NAMED_ITEM.pattern + r"(?:\s*,\s*" + _NAMED_ITEM.pattern + r")*)\s*\}")
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*\s*=\s*(?!=)(.+)")


@dataclass(frozen=True)
class PrintedLine:
    """The last line a run printed, as text: `named` when it is already the list of `name=value` a dict printed,
    else a line to read as a final sentence is read."""

    text: str
    named: bool = False


def printed_line(output: str) -> PrintedLine | None:
    """The last line a run printed, as the text of its value: a string's quotes, NumPy's `array(...)` or
    `np.float64(...)`, and a one-item tuple's comma go (`'2/1005'`, `array([8, -2])`, `(8/15,)`), a dict of named values
    or SymPy's list of solution dicts is the list of `name=value` (`{'x': 3, 'y': 4}`, `[{x: -2}, {x: 1}]`), and an
    assignment is its value (`x = 11 + 11*sqrt(5)`, `answer = [-2, 1]`); None when it printed nothing."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return None
    line = lines[-1]
    for _ in range(3):
        quoted = _QUOTED.fullmatch(line)
        numpy = _NUMPY_VALUE.fullmatch(line)
        single = _ONE_ITEM_TUPLE.fullmatch(line)
        if quoted is not None:
            line = quoted.group(2).strip()
        elif numpy is not None:
            line = numpy.group(1).strip()
        elif single is not None and "," not in single.group(1):
            line = single.group(1).strip()
        else:
            break
    dicts = _DICT_LIST.fullmatch(line)
    if dicts is not None:
        return PrintedLine(", ".join(_named_values(item) for item in re.findall(r"\{([^{}]*)\}", dicts.group(1))), True)
    named = _DICT.fullmatch(line)
    if named is not None:
        return PrintedLine(_named_values(named.group(1)), True)
    assigned = _ASSIGNMENT.fullmatch(line)
    return PrintedLine(assigned.group(1).strip() if assigned is not None and "==" not in line else line)


def _named_values(items: str) -> str:
    return ", ".join(f"{name}={value.strip()}" for name, value in _NAMED_ITEM.findall(items))
