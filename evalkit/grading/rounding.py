"""Whether a problem asks for a rounded or approximate value: the one place this rule lives.

A reference written as a decimal (`0.4`, `2.2`, `7.2\\times10^{-4}`) may be a rounded value (the
problem said "to the nearest tenth") or an exact one (`2.4 \\div 6 = 0.4`). Only the first asks
for its written precision: there `\\frac{2}{3}` and `0.667` are right for `0.67`, while for an exact
`0.4` the wrong answer `0.36` must not be. MATH has both kinds: of the 237 decimal references of
its test and train splits, 100 answer questions that ask for no rounding. The question decides; `GradingPolicy.decimal_references` says whether a task lets it (`compare.matches`).
"""

from __future__ import annotations

import re

_ASKS_FOR_ROUNDING = re.compile(
    r"nearest|closest|(?<![A-Za-z])round(?:ed|ing|s)?(?![A-Za-z])|decimal\s+(?:place|digit)s?|"
    r"significant\s+(?:figure|digit)s?|sig\.?\s*figs?|approximat|estimat|"
    r"(?:correct|accurate)\s+to|to\s+(?:the\s+)?(?:tenth|hundredth|thousandth|ten-thousandth)s?(?![A-Za-z])|"
    r"\\approx|≈",
    re.IGNORECASE)
"""Words with which a question asks for a rounded value: `to the nearest tenth`, `closest to`, `rounded to two
decimal places`, `to 3 significant figures`, `approximately how many`, `estimate`, `\\approx`."""


def asks_for_rounding(question: str) -> bool:
    """Whether `question` asks for a rounded or approximate value (module notes)."""
    return _ASKS_FOR_ROUNDING.search(question) is not None
