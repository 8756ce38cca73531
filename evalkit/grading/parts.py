"""The labels of a text's parts: `Part 1`, `Part (b)`, `(a)`, `(ii)`, `a)` at the start of a line, and cases (`Case 2`,
`Method 2`, `Interpretation 2`).

A response answers each part of a question under its label (`(a) \\boxed{3} (b) \\boxed{5}`: the list
`3, 5`); boxes under labels that a question asking for one value does not have make a list too, which no
single reference equals (`(a) \\boxed{1050} (b) \\boxed{1051}` hedges).
Numbered steps (`1)`, `2.`) and lettered choices in capitals (`(A)`) are not parts. Pure functions.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from evalkit.grading.scan import math_spans


CASE = "case "
"""The start of the kind of a case's label (`Case 2`): a case analysis, whose cases may box partial results."""


@dataclass(frozen=True)
class PartLabel:
    """A part's label: where it is, its kind (`letter`, `roman`, `part number`, ...) and its ordinal (`(b)` is 2)."""

    position: int
    kind: str
    ordinal: int


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8}
_PART_WORD = re.compile(r"\bpart[ \t]{1,4}\(?([a-h]|[ivx]{1,4}|\d{1,2})\)?(?![\w(])", re.IGNORECASE)
_CASE_WORD = re.compile(r"\b(?:case|method|approach|interpretation|reading|scenario)[ \t]{1,4}\(?([a-h]|[ivx]{1,4}|\d{1,2})\)?"
                        r"(?![\w(])", re.IGNORECASE)
"""`Case 2`, and the labels of other ways through one problem (`Method 2`, `Interpretation 2`): each may box an answer."""
_PAREN_LABEL = re.compile(r"(?<![^\s*#>_])\(([a-h]|[ivx]{1,4})\)(?![\w(])")
_LINE_LABEL = re.compile(r"(?m)^[ \t>#*_]{0,8}([a-h])\)(?=[ \t*_:])")


def part_labels(text: str, end: int) -> list[PartLabel]:
    """The part labels of `text` before `end` outside math, in order (linear: spans are looked up
    by bisection, and only found when there is a label)."""
    matches = [(pattern, match) for pattern in (_PART_WORD, _CASE_WORD, _PAREN_LABEL, _LINE_LABEL)
               for match in pattern.finditer(text, 0, end)]
    if not matches:
        return []
    math = math_spans(text)
    starts = [span.start for span in math]
    labels = []
    for pattern, match in matches:
        name = match.group(1)
        lowered = name.lower()
        if name.isdigit():
            kind, ordinal = "number", int(name)
        elif lowered in _ROMAN:
            kind, ordinal = "roman", _ROMAN[lowered]
        elif len(lowered) == 1 and "a" <= lowered <= "h":
            kind, ordinal = "letter", ord(lowered) - ord("a") + 1
        else:
            continue
        if pattern is _PART_WORD:
            kind = "part " + kind
        elif pattern is _CASE_WORD:
            kind = CASE + kind
        enclosing = bisect_right(starts, match.start()) - 1
        if enclosing < 0 or match.start() >= math[enclosing].end:
            labels.append(PartLabel(match.start(), kind, ordinal))
    return sorted(labels, key=lambda label: label.position)
