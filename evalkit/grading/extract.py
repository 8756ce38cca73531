"""Answer extraction: find the final answer in a model's response, as a raw LaTeX string.

Extraction is pure, runs in the calling process and is linear in the length of the text,
so it is safe on hostile input (megabytes of braces, unclosed boxes, NUL bytes):

- every regular expression is anchored on a literal and uses bounded quantifiers only, so none
  can backtrack catastrophically;
- braces are matched in one pass over the brace characters, never once per candidate box;
- only the last `MAX_SCAN_CHARS` characters of a text are searched (the final answer is at the
  end of a response), boxes only in the last `MAX_BOX_SCAN_CHARS`, and a sentence-style answer
  is at most `MAX_SENTENCE_CHARS` long.

The result is still LaTeX, not normalised: `\\frac{1}{2}`, `1,000`, `x=3`. Turning it into a
value is the job of `evalkit.grading.normalize` / `values`.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

EXTRACTION_STYLES = ("auto", "boxed", "gsm8k")
"""Accepted values of the `style` argument of `extract_answer`."""

MAX_SCAN_CHARS = 2_000_000
"""Only this many characters at the end of a text are searched for an answer."""

MAX_BOX_SCAN_CHARS = 262_144
"""Boxes are looked for in this many characters at the end of a text: brace matching is the one
step that runs in Python per character of interest, and a final answer is never longer."""

MAX_SENTENCE_CHARS = 2_000
"""Longest answer taken after "The answer is", "Final Answer:" or "####"."""

MAX_BARE_BOX_CHARS = 200
"""Longest token taken by the space form `\\boxed 5` (LaTeX boxes a single token there)."""

_BOX_COMMAND = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.DOTALL)
_INNER_BOX = re.compile(r"\s{0,16}\\(?:boxed|fbox)[ \t]{0,16}\{")
_SPACES_THEN_BRACE = re.compile(r"[ \t]{0,16}\{")
_SPACE_FORM_TOKEN = re.compile(r"[ \t]{1,16}([^\s$]{1," + str(MAX_BARE_BOX_CHARS) + r"})")
_GSM8K_MARKER = re.compile(r"####[ \t]{0,8}(?=[-+$\\\d.(])")
_ANSWER_IS = re.compile(r"\banswer\s{1,8}is\b", re.IGNORECASE)
_FINAL_ANSWER_COLON = re.compile(r"\bfinal\s{1,8}answer\s{0,8}:", re.IGNORECASE)
_LIST_GAP_NOISE = re.compile(r"\$|\\text\{|\\mbox\{|\}|\\[,;: !]|\\q?quad|~")
_LIST_GAP_WORDS = frozenset({",", ";", "and", "or"})
_DIGITS = "0123456789"
_NUMBER_CHARS = _DIGITS + ".,"


@dataclass(frozen=True)
class _Box:
    """One `\\boxed`/`\\fbox` in a text: where it starts and ends, and what it holds."""

    start: int
    end: int
    content: str


def _is_clean_text(text: object) -> bool:
    """True for a non-empty str without NUL bytes or lone surrogates (which cannot be UTF-8)."""
    if not isinstance(text, str) or not text or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _brace_partners(text: str, start: int) -> dict[int, int]:
    """Map each `{` at or after `start` to its matching `}`; escaped braces `\\{` are skipped.

    One pass over the brace tokens with a stack, so matching every box of a text costs the
    same as matching one. Unmatched opening braces are absent from the result.
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


def _find_boxes(text: str) -> list[_Box]:
    """All closed top-level boxes of `text`, in order; boxes nested in a box are skipped.

    An unclosed box (`\\boxed{1` at the end of a truncated response) is not a box; a space-form
    box (`\\boxed 5`) holds the one token after the space; a box that only wraps another box
    (`\\boxed{\\boxed{2}}`) holds the inner box's content.
    """
    commands = list(_BOX_COMMAND.finditer(text))
    if not commands:
        return []
    partners = _brace_partners(text, commands[0].end())
    boxes: list[_Box] = []
    covered_until = -1
    for command in commands:
        if command.start() < covered_until:
            continue
        brace = _SPACES_THEN_BRACE.match(text, command.end())
        if brace is not None:
            closing = partners.get(brace.end() - 1)
            if closing is None:
                continue
            content_start, content_end = _unwrap_inner_box(text, partners, brace.end(), closing)
            boxes.append(_Box(command.start(), closing + 1, text[content_start:content_end]))
            covered_until = closing + 1
            continue
        token = _SPACE_FORM_TOKEN.match(text, command.end())
        if token is not None:
            boxes.append(_Box(command.start(), token.end(), token.group(1)))
            covered_until = token.end()
    return boxes


def _unwrap_inner_box(text: str, partners: dict[int, int], start: int, end: int) -> tuple[int, int]:
    """Narrow the content range `[start, end)` while it is exactly one more brace-form box."""
    while True:
        inner = _INNER_BOX.match(text, start, end)
        if inner is None:
            return start, end
        closing = partners.get(inner.end() - 1)
        if closing is None or closing >= end or text[closing + 1:end].strip():
            return start, end
        start, end = inner.end(), closing


def _is_list_separator(between: str) -> bool:
    """True when the text between two boxes only separates list items (`, `, `and`, `or`)."""
    words = _LIST_GAP_NOISE.sub(" ", between).replace(",", " , ").replace(";", " ; ").split()
    return len(words) <= 3 and all(word.lower() in _LIST_GAP_WORDS for word in words)


def _boxed_answer(text: str) -> str | None:
    """The last box; a list `2, 3` when the final line with boxes lists several of them.

    Boxes on the line where the last box starts form a list when they are separated only by
    commas, `and`, `or` (with `$` and spacing around): `\\boxed{2}, \\boxed{3}`. A box joined to
    the last one by anything else (`\\boxed{\\frac{25}{13}} = \\boxed{1\\frac{12}{13}}`) is a
    restatement, and only the last box counts. Repeated identical items are listed once.
    """
    text = text[-MAX_BOX_SCAN_CHARS:]
    boxes = _find_boxes(text)
    if not boxes:
        return None
    line_start = text.rfind("\n", 0, boxes[-1].start) + 1
    listed = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        if box.start < line_start or not _is_list_separator(text[box.end:listed[0].start]):
            break
        listed.insert(0, box)
    parts = list(dict.fromkeys(part for part in (_clean(box.content) for box in listed) if part))
    return ", ".join(parts) if parts else None


def last_boxed(text: str) -> str | None:
    """Content of the last closed `\\boxed{...}` / `\\fbox{...}` (or `\\boxed 5`) of a text.

    Used to take MATH reference answers from reference solutions. Returns None when the text has
    no closed box or is not clean text.
    """
    if not _is_clean_text(text):
        return None
    boxes = _find_boxes(text[-MAX_BOX_SCAN_CHARS:])
    if not boxes:
        return None
    answer = _clean(boxes[-1].content)
    return answer or None


def _math_span_end(text: str, start: int) -> int | None:
    """If a math span (`$..$`, `$$..$$`, `\\(..\\)`, `\\[..\\]`) opens at `start`, where it ends."""
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(opener, start):
            closing = text.find(closer, start + len(opener))
            return None if closing < 0 else closing + len(closer)
    return None


def _sentence_after(text: str, start: int) -> str:
    """The rest of the sentence from `start`: up to a line break or a full stop outside math.

    A full stop is a `.` followed by whitespace or the end of the text, so decimals (`3.5`) and
    periods inside `$...$` do not end the sentence. At most `MAX_SENTENCE_CHARS` are read.
    """
    window = text[start:start + MAX_SENTENCE_CHARS]
    position = 0
    while position < len(window):
        char = window[position]
        if char in "$\\":
            span_end = _math_span_end(window, position)
            if span_end is not None:
                position = span_end
                continue
            position += 2 if char == "\\" else 1
            continue
        if char == "\n":
            break
        if char == "." and (position + 1 == len(window) or window[position + 1].isspace()):
            break
        position += 1
    return window[:position]


def _math_spans(segment: str) -> list[str]:
    """Contents of the math spans of a short segment, in order."""
    spans: list[str] = []
    position = 0
    while position < len(segment):
        char = segment[position]
        if char in "$\\":
            span_end = _math_span_end(segment, position)
            if span_end is not None:
                spans.append(segment[position:span_end])
                position = span_end
                continue
        position += 2 if char == "\\" else 1
    return spans


_UNCLOSED_BOX = re.compile(r"\\(?:boxed|fbox)\b")


def _answer_from_sentence(segment: str) -> str | None:
    """The answer in the words after a marker: the math span when there is exactly one."""
    segment = segment.strip().lstrip(":").strip()
    boxed = _boxed_answer(segment)
    if boxed is not None:
        return boxed
    if _UNCLOSED_BOX.search(segment):  # a box cut off (e.g. by max_tokens): there is no answer
        return None
    spans = _math_spans(segment)
    if len(spans) == 1:
        return _clean(spans[0]) or None
    return _clean(segment.replace("$", " ")) or None


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The last non-overlapping match of a pattern in a text."""
    trailing = deque(pattern.finditer(text), maxlen=1)
    return trailing[0] if trailing else None


def _marker_answer(text: str) -> str | None:
    """The answer after the last "... answer is" or "Final Answer:" of a text.

    When both phrases occur the later one decides, so Minerva's
    "Final Answer: The final answer is $5$. I hope it is correct." gives `5`.
    """
    candidates = [m for m in (_last_match(_ANSWER_IS, text), _last_match(_FINAL_ANSWER_COLON, text)) if m]
    if not candidates:
        return None
    marker = max(candidates, key=lambda match: match.start())
    return _answer_from_sentence(_sentence_after(text, marker.end()))


def _gsm8k_answer(text: str) -> str | None:
    """The rest of the line after GSM8K's last `####` marker."""
    marker = _last_match(_GSM8K_MARKER, text)
    if marker is None:
        return None
    line_end = text.find("\n", marker.end(), marker.end() + MAX_SENTENCE_CHARS)
    line = text[marker.end():line_end if line_end >= 0 else marker.end() + MAX_SENTENCE_CHARS]
    return _answer_from_sentence(line)


def _trailing_math_answer(text: str) -> str | None:
    """The content of a `$...$`, `$$...$$`, `\\(...\\)` or `\\[...\\]` span that ends the text."""
    tail = text.rstrip().rstrip(".").rstrip()
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if not tail.endswith(closer) or len(tail) < len(opener) + len(closer):
            continue
        opening = tail.rfind(opener, 0, len(tail) - len(closer))
        if opening < 0:
            continue
        content = tail[opening + len(opener):len(tail) - len(closer)]
        return _clean(content) or None
    return None


def _last_number(text: str) -> str | None:
    """The last number of a text, as written (`-1,234.5`); trailing punctuation is dropped.

    Found from the end with C-level string scans, so a megabyte without digits costs nothing.
    """
    last_digit = max(text.rfind(digit) for digit in _DIGITS)
    if last_digit < 0:
        return None
    head = text[:last_digit + 1]
    start = len(head.rstrip(_NUMBER_CHARS))
    start += len(head[start:]) - len(head[start:].lstrip(".,"))
    is_negative = start > 0 and text[start - 1] == "-" and (start == 1 or not text[start - 2].isalnum())
    return ("-" if is_negative else "") + head[start:]


def _clean(answer: str) -> str:
    """Strip whitespace, math delimiters and a trailing period from a raw answer."""
    answer = answer.strip()
    for _ in range(4):
        before = answer
        for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if answer.startswith(opener) and answer.endswith(closer) and len(answer) >= len(opener) + len(closer):
                answer = answer[len(opener):len(answer) - len(closer)].strip()
        answer = answer.rstrip(".").strip() if not answer.endswith("\\.") else answer
        answer = answer.strip("$").strip()
        if answer == before:
            break
    return answer


def extract_answer(text: str, style: str = "auto", *, last_number_fallback: bool = True) -> str | None:
    """The final answer of a model response as a raw LaTeX string, or None when there is none.

    Styles:
    - `"auto"`: the last box (`\\boxed{..}`, `\\boxed 5`, `\\fbox{..}`; several boxes on the final
      line that has boxes are joined as a list `2, 3`); else GSM8K's `#### X`; else the words
      after the last "the answer is" / "Final Answer:"; else a math span that ends the text.
    - `"boxed"`: boxes only.
    - `"gsm8k"`: `#### X`, else "the answer is X", else (with `last_number_fallback`) the last
      number of the text, as written (`1,000`).

    A bare answer without any marker (`"42"`) gives None: deciding when a whole string is an
    answer is the caller's job. Texts that are not `str`, are empty, or hold NUL bytes or lone
    surrogates give None; this function never raises on its input text.
    """
    if style not in EXTRACTION_STYLES:
        raise ValueError(f"unknown extraction style {style!r}; choose one of {', '.join(EXTRACTION_STYLES)}")
    if not _is_clean_text(text):
        return None
    text = text[-MAX_SCAN_CHARS:]
    if style == "boxed":
        return _boxed_answer(text)
    if style == "gsm8k":
        answer = _gsm8k_answer(text) or _marker_answer(text)
        if answer is None and last_number_fallback:
            answer = _last_number(text)
        return answer
    return _boxed_answer(text) or _gsm8k_answer(text) or _marker_answer(text) or _trailing_math_answer(text)
