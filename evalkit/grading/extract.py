"""Answer extraction: find the final answer in a model's response, as a raw LaTeX string.

`find_answer(text, style)` returns an `Extraction`: the answer and the method that found it.
The rules, in the order they are tried (one extraction serves grading *and* voting):

1. Reasoning models: only the text after the final `</think>` (Sky-T1's `<|end_of_thought|>`,
   gpt-oss' final channel) is searched; a `<think>` that is never closed (an output cut at
   `max_tokens` while thinking) has no answer (`method` None, `note` "unterminated <think>").
   Text after an end-of-turn token (`<|im_start|>`, `<|im_end|>`, `<|eot_id|>`, `<|endoftext|>`,
   `</s>`, `<|return|>`) is not the response. A response cut at `max_tokens` is read as
   `find_answer` says under `cut_off`.
2. Minerva's closing line `Final Answer: The final answer is X. I hope it is correct.`; a number
   with unit words after it (`7.4e-12 m`, `300 K`) keeps the unit apart as `\\text{..}`, which
   normalisation drops (after an integer a lone lower-case letter is a factor: `3 n`). After a
   marker, a number in scientific notation (`7.4e-12`, `1.2 x 10^5`) is one value and a unit
   word after it is not part of the answer.
3. A stated final answer ("Final Answer: ...", "The final answer is ..."), else the last box
   (`\\boxed{..}`, `\\boxed 5`, `\\fbox{..}`; boxes on one line joined only by commas, `and`,
   `or` or a short phrase form one list answer, e.g. `\\boxed{1} and \\boxed{2}`, and so do boxes
   on display lines of their own with only such a word between them; an earlier
   intermediate box is not the answer; a minus sign written as the sign of a box negates it,
   `is -\\boxed{5}` is -5, while `\\frac32 - \\boxed{2}` is 2; when the last box answers the last of
   consecutive labelled parts, `(a) \\boxed{3} (b) \\boxed{5}`, `Part 1: .. Part 2: ..`, `(i) .. (ii) ..`,
   each part's last box joins one list answer, `3, 5`), else the latest answer line (`A: 18`, `Answer: ...`,
   `#### 42`, a heading `# Answer` over a line that is a value) or marker sentence ("the answer
   is ...", also `答案是`, `La réponse est`, `Die Lösungen sind` and the like; `。！？` end a sentence,
   and `或`, `和`, `und`, `oder`, `et`, `ou` join a list as `or` and `and` do). From the words after a
   marker the answer is all of them when they are one value (`2x + 1`, or LaTeX without delimiters:
   `\\frac12 at^2`), else the value they start with (a box, a math span, a number, a bold `**73**`,
   a choice letter; a math span followed only by a unit of the unit tables keeps it as `\\text{..}`:
   `$361$ nm`), else the value after their last "is"/"=", else the one value of the kind the question
   asks for (`find_answer`'s `asked`), else the value they mention last (not one they deny: `$16 per
   day, not $18`).
4. A bold final value `**73**` on the last line.
5. A bare answer: a short single-line text with at most two words (`42`, `x = 3`, `4:30 PM`), unless
   it says there is none (`I don't know`, `N/A`, `unknown`): that response abstains.
6. The last row of a display environment that ends the text (`\\begin{align*} .. &= x^3+27.
   \\end{align*}` gives `x^3+27`), else the last sentence holding a value (`Therefore $x \\geq 5$
   is the solution.`), read as in 3; a check (`Check: ..`; `Let's verify:` or `Equality holds when`
   before a display) is passed over for what it checks.
7. The last number of the text (`... so she makes 18 dollars`); a number joined to a word by a
   hyphen is part of a name (`GPT-4`).

Style `boxed` uses boxes only (rule 3's boxes); style `gsm8k` puts `####` and answer lines first. A response without any of these abstains: it has no answer and does not vote.

Extraction is pure, runs in the calling process and is linear in the length of the text, so it
is safe on hostile input (megabytes of braces, unclosed boxes, NUL bytes): every regular
expression is anchored on a literal with bounded quantifiers, braces are matched in one pass
(`scan.brace_partners`), and only the end of a long text is searched.
"""

from __future__ import annotations

import html
import json
import re
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

from evalkit.grading.measures import measure_of
from evalkit.grading.notation import SYMPY_OBJECT_NAMES
from evalkit.grading.numbers import (decimal_comma_of_one_number, fraction_from_words, mixed_number_with_and, number_from_words,
                                     script_fractions, spelled_number_prefix)
from evalkit.grading.parts import CASE, part_labels
from evalkit.grading.policy import EXTRACTION_STYLES
from evalkit.grading.programs import closing_code_block, is_unfenced_program, printed_line, program_failed
from evalkit.grading.scan import (EMOJI_CHARACTERS, FULL_WIDTH_FORMS, brace_partners, braces_balanced, brackets_balance, closing_brace,
                                  closing_display_row,
                                  closing_environment_start, MathSpan, math_span_at, math_spans, value_environment_at)
from evalkit.grading.question import AskedQuantity, plain_number
from evalkit.grading.units import (MERIDIEM_PATTERN, MONEY_SCALE_LETTER, is_droppable_phrase, money_scale_word, multiplier_of,
                                   question_words)

MAX_SCAN_CHARS = 2_000_000
"""Only this many characters at the end of a text are searched for an answer."""

MAX_BOX_SCAN_CHARS = 262_144
"""Boxes are looked for in this many characters at the end of a text."""

MAX_SENTENCE_CHARS = 2_000
"""Longest stretch of text read after an answer marker."""

MAX_MARKER_SCAN_CHARS = 8_000
"""Answer lines and marker sentences are looked for in this many characters at the end."""

MAX_FALLBACK_CHARS = 20_000
"""The final-sentence and last-number fallbacks read this many characters at the end."""

MAX_BARE_CHARS = 200
"""A text with words counts as a bare answer only up to this length."""

MAX_BARE_LATEX_CHARS = 2_000
"""A single line of LaTeX without prose counts as a bare answer up to this length."""

METHODS = ("minerva", "final_answer", "boxed", "answer_line", "gsm8k_marker", "marker", "program_output", "bold",
           "bare", "final_sentence", "last_number")
"""Every `Extraction.method`, in order of preference."""


@dataclass(frozen=True)
class Extraction:
    """The answer found in a response (`None` when it abstains), how, and why not."""

    answer: str | None
    method: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class _Box:
    start: int
    end: int
    content: str


@dataclass(frozen=True)
class _Candidate:
    position: int
    answer: str
    method: str
    parts: int = 0
    """How many labelled parts a box answer joins (`(a) \\boxed{3} (b) \\boxed{5}`: 2)."""
    offers_two: bool = False
    """A box answer that offers two values: the last box as another answer to the one before it (`_offers_alternative`)."""
    end: int = -1
    """Where a box answer's last box closes (-1 for other answers)."""


_BOX_COMMAND = re.compile(r"\\(?:boxed|fbox|framebox)(?![A-Za-z])")
_INNER_BOX = re.compile(r"\s{0,16}\\(?:boxed|fbox|framebox)[ \t]{0,16}\{")
_SPACES_THEN_BRACE = re.compile(r"[ \t]{0,16}\{")
_SPACE_FORM_TOKEN = re.compile(r"[ \t]{1,16}([^\s$]{1,200})")
_END_OF_TURN = re.compile(r"<\|im_start\|>|<\|im_end\|>|<\|eot_id\|>|<\|eom_id\|>|<\|endoftext\|>|<\|end_of_text\|>|"
                          r"<\|end\|>|<\|return\|>|</s>|<\|user\|>|<end_of_turn>|<eos>|<[|｜]end[▁_]of[▁_]sentence[|｜]>|"
                          r"<\|end_of_solution\|>")
"""End-of-turn and end-of-text tokens (Qwen/ChatML, Llama 3, Phi, Mistral, Gemma, DeepSeek, gpt-oss, Sky-T1): a raw
output imported with its special tokens is cut at the first one."""
_NEXT_EXAMPLE = re.compile(r"\n[ \t]*\n[ \t]*(?:Question|Q|Problem):[ \t]*(?:\S|\n)")
"""A base model that runs on into the next few-shot example (`The answer is 18.\n\nQuestion: Tom has...`, or
Minerva's `... I hope it is correct.\n\nProblem:\nWhat is...`)."""
_TOOL_EXCHANGE = re.compile(r"(?:\s{0,4}(?:<\|im_end\|>|<\|im_start\|>|<\|eot_id\|>|<\|eom_id\|>)){0,3}\s{0,4}"
                            r"(?:<\|start_header_id\|>\s{0,4})?"
                            r"(?:ipython|tool|assistant|user\s{0,4}(?:<\|end_header_id\|>)?\s{0,8}<tool_response>)(?![A-Za-z])")
"""What follows an end-of-turn token inside a tool-using transcript: the tool's turn (Llama 3.1's `ipython`, a `tool`
role, Qwen's `user` turn holding a `<tool_response>`) or the assistant's turn that goes on after it. Such a token
ends a message, not the response."""
_PROMPT_TURN = re.compile(r"\s*(?:<\|begin_of_text\|>\s*)?(?:<\|im_start\|>\s*(?:system|user)(?![A-Za-z])|"
                          r"<\|start_header_id\|>\s*(?:system|user)\s*<\|end_header_id\|>)")
"""A text that opens with the prompt's system or user turn: a whole chat transcript (ChatML, Llama 3), not a reply."""
_USER_TURN = re.compile(r"<\|im_start\|>\s*user(?![A-Za-z])|<\|start_header_id\|>\s*user\s*<\|end_header_id\|>")
_TOOL_RESULT = re.compile(r"\s*<tool_response>")
_ASSISTANT_TURN = re.compile(r"<\|im_start\|>\s*assistant(?![A-Za-z])\s*|<\|start_header_id\|>\s*assistant\s*<\|end_header_id\|>\s*")
"""Where the reply begins in a whole transcript: the first assistant turn after the last user turn that is not a
tool's result (few-shot examples given as turns come before it; a tool exchange inside the reply does not)."""
_INVENTED_TURN = re.compile(r"\n[ \t]*(?:User|Human|USER|HUMAN):[ \t]*\S")
"""A user's turn that a model invents after its own (`...has 6 puppies.\n\nUser: Is this how you would...`): what
follows is not its answer to this problem."""
_ANSWER_QUALIFIER = r"(?:\s{0,4}\([^()\n]{1,40}\))?"
"""What an answer phrase says of the answer's form before its verb: `The answer (arabic numerals) is` (the
zero-shot-CoT prompt of Kojima et al.), `the answer (in dollars) is`."""
_ANSWER_GIVEN = re.compile(r"[Tt]he (?:final )?answer" + _ANSWER_QUALIFIER + r" is|####|\\boxed|Final Answer|<answer>")
"""Words that give a response's answer: only after them is a following example cut off."""
_THINKING_OPENS = ("<think>", "<|begin_of_thought|>", "<|channel|>analysis<|message|>")
_THINKING_CLOSES = ("</think>", "<|end_of_thought|>", "<|channel|>final<|message|>", "assistantfinal")
"""Where a reasoning model's thinking opens and where its response proper begins: `<think>`..`</think>`
(DeepSeek-R1, QwQ, Qwen3; the opening tag is often in the prompt, not the output), Sky-T1 and
OpenThoughts' `<|begin_of_thought|>`..`<|end_of_thought|>`, gpt-oss' analysis and final channels (decoded without
its special tokens, `analysis...assistantfinal...`: the role and channel names are ordinary tokens)."""
_MINERVA = re.compile(r"final\s{1,4}answer\s{0,4}:\s{0,8}the\s{1,4}final\s{1,4}answer\s{1,4}is\s{0,4}:?", re.IGNORECASE)
_MINERVA_END = re.compile(r"\.?\s{0,8}I\s{1,4}hope\s{1,4}it\s{1,4}is\s{1,4}correct", re.IGNORECASE)
_GSM8K_MARKER = re.compile(r"####[ \t]{0,8}(?=[-+$\\\d.(])")
"""GSM8K's `#### 42`; a markdown heading (`#### Step 1`) is not a marker."""
_GSM8K_SPELLED = re.compile(r"####[ \t]{0,8}([A-Za-z][A-Za-z \t-]{0,80}?)[ \t]*\.?[ \t]*$", re.MULTILINE)
"""GSM8K's marker before a number in words (`#### ten`, `#### twenty-five`): the whole line is the number
(`number_from_words`), so a heading (`#### One more check`) is not one."""
_ANSWER_WORDS = (r"antwort|endergebnis|r[ée]ponse(?:\s{1,4}finale)?|respuesta(?:\s{1,4}final)?|risposta(?:\s{1,4}finale)?|"
                 r"resposta(?:\s{1,4}final)?|odpowied[źz]|ответ|最终答案|最終答案|答案|解答|答")
"""`Answer` in other languages, as a label before an answer (`**Antwort:** 5`, `Réponse : 5`, `Ответ: 5`, `答案：5`)."""
_DECIMAL_COMMA_LABEL = re.compile(r"antwort|endergebnis|l[öo]sung|r[ée]ponse|solutions|respuesta|soluciones|risposta|"
                                   r"resposta|odpowied|ответ", re.IGNORECASE)
"""An answer label (`_ANSWER_WORDS`, `_ANSWER_IS_ABROAD`) in a language that writes decimals with a comma (English
labels are not among those patterns' words: `solutions` is French's `les solutions sont`): the one number it states with one comma
before other than three digits is a decimal (`La réponse est 326,5.`, `Respuesta: 1,25`; `1,250` may group
thousands, and `1, 25` or `2,4,6` are lists)."""
_ANSWER_LINE = re.compile(
    r"(?:^|\n)[ \t>#*]{0,8}(?:\*\*|__)?(?:final\s{1,4}answer|answer|ans|a|" + _ANSWER_WORDS + r")\s{0,4}(?:\*\*|__)?\s{0,4}[:：]"
    r"(?:\*\*|__)?[ \t]{0,8}", re.IGNORECASE)
_ANSWER_INLINE = re.compile(r"(?<=[.!?])[ \t]{1,4}(?:\*\*|__)?(?:Final\s{1,4}answer|Answer)[ \t]{0,4}(?:\*\*|__)?[ \t]{0,4}[:：]"
                            r"(?:\*\*|__)?[ \t]{0,8}")
"""`Answer:` that opens a sentence inside a line (`She makes 9 * 2 = $18. Answer: 18. Let me check...`);
capitalised, as a label is."""
_ANSWER_HEADING = re.compile(r"(?:^|\n)[ \t>#*_]{0,8}(?:final\s{1,4})?answer[ \t*_]{0,8}(?=\n)", re.IGNORECASE)
"""A line that is only an answer heading (`# Answer`, PRM800K's closing; `### Final Answer`, `**Answer**`):
the answer is the next non-empty line, when that line is a value by itself."""
_SHORT_LABEL = re.compile(r"(?<![a-z])(?:a|ans)\s*(?:\*\*|__)?\s*[:：]", re.IGNORECASE)
_ANSWER_COLON = re.compile(r"(?=[fF])\bfinal\s{1,4}answer\s{0,4}(?:(?:\*\*)?\s{0,4}[:：](?:\*\*)?|\*\*(?=[ \t]*\n))",
                           re.IGNORECASE)
_ANSWER_IS = re.compile(r"(?=[fFcCaAoO])\b(?:final\s{1,4}|correct\s{1,4})?(?:answers?|options?|choices?)" + _ANSWER_QUALIFIER +
                        r"\s{1,8}(?:to\s{1,4}(?:the|this)\s{1,4}(?:question|problem)"
                        r"\s{1,8})?(?:is|are|will\s{1,4}be|would\s{1,4}be)\b\s{0,4}:?", re.IGNORECASE)
_ANSWER_IS_ABROAD = re.compile(
    r"(?:最终|最終|所以|因此)?答案(?:应该|應該|就)?(?:是|为|為|應為|应为)\s{0,4}[:：]?|"
    r"\b(?:la\s{1,4}r[ée]ponse(?:\s{1,4}finale)?\s{1,4}est|les\s{1,4}solutions\s{1,4}sont|"
    r"die\s{1,4}(?:antwort|l[öo]sung|l[öo]sungen)\s{1,4}(?:ist|sind|lautet|lauten)|"
    r"la\s{1,4}respuesta(?:\s{1,4}final)?\s{1,4}es|las\s{1,4}soluciones\s{1,4}son|"
    r"la\s{1,4}risposta(?:\s{1,4}finale)?\s{1,4}(?:è|e)|a\s{1,4}resposta(?:\s{1,4}final)?\s{1,4}[ée])\b\s{0,4}:?",
    re.IGNORECASE)
"""`The answer is` in other languages (`答案是 5`, `所以答案为 $x=1$ 或 $x=5$`, `La réponse est 5`, `Die Lösungen sind ...`)."""
_SUPPOSING = (r"thought|initially|at\s+first|assumed?|assuming|suppose|supposed|supposing|if|whether|might\s+think|"
              r"guess(?:ed)?")
"""Words that make what follows a supposition (`_SUPPOSED`, `_SUPPOSED_ANSWER`)."""
_SUPPOSED = re.compile(r"\b(?:" + _SUPPOSING + r"|would\s+be\s+that)\b[^.!?\n]{0,40}\Z", re.IGNORECASE)
"""Words before "the answer is" that make it a supposition, not a statement (`I initially thought the answer
is 5`, `If the answer is 5, then ...`, `Suppose the answer were ...`)."""
_INLINE_CODE = re.compile(r"`[^`\n]*`")
"""A code span in prose (`` `len([n for n in range(1, 1001) if ok(n)])` ``): its `if` supposes nothing."""
_ANSWER_THEN_MATH = re.compile(r"(?=[fFaA])\b(?:final\s{1,4})?answer\b[ \t]{0,8}(?=\$|\\\(|\\\[)", re.IGNORECASE)
_BOLD = re.compile(r"\*\*([^*\n]{1,80})\*\*")
_ANSWER_LABEL = re.compile(r"(?:(?:final\s+)?(?:answer|solution|result)s?|" + _ANSWER_WORDS + r")\s*[:：]?", re.IGNORECASE)
_UNICODE_MINUS = re.compile("[\u2212\u2013](?=\\.?\\d|\\\\?\\$\\s?\\d)")
"""A minus sign (U+2212), or an en dash used as one, before a number or an amount of money: read as `-` (`Answer: −3` is
-3, not 3; `−$0.50`)."""
_VULGAR_FRACTIONS = "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
"""One-character fractions (`¾`, `3½`): `normalize.py` reads them; here they are numbers to find."""
_GROUPED_DIGITS = r"(?:[\d,]|(?:\\,|\{,\}|[\u00a0\u202f，])(?=\d{3}(?!\d)))*"
"""The digits of a number after its first, with thousands set apart by commas, a thin space (`70\\,000`),
`{,}` or a no-break space."""
_NUMBER = re.compile(r"(?=[-$.\d" + _VULGAR_FRACTIONS + r"])(?<![A-Za-z0-9_.])(?<![A-Za-z]-)"
                     r"(?:(?<![\d:])\d{1,2}:[0-5]\d(?![\d:])(?:[ \t]?(?:[aApP]\.?[mM]\b\.?))?"
                     r"|-?\d*[" + _VULGAR_FRACTIONS + r"]|-?(?:\\?\$)?\d" + _GROUPED_DIGITS + r"(?:\.\d+)?(?:[eE][-+]?\d{1,3}(?![\dA-Za-z]))?"
                     r"(?:[ \t]?[xX×·*][ \t]?10(?=[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]))?(?:[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]{1,8})?(?:\s?%)?"
                     r"|-?\.\d+)(?!\d)")
"""A number in running text, or a time of day (`9:00 AM`, `19:00`: one value, not 9 and 00); a power written in
superscripts is part of it (`10⁵`, `4.5 × 10³³`). A number glued to
a word by a hyphen is part of a name (`GPT-4`, `pytest-0/`), not a value."""
_TEN_TO_THE = (r"(?:[eE][-+]?\d{1,4}|[ \t]?(?:[xX×*·]|\\times|\\cdot)[ \t]?10(?:[ \t]?(?:\^|\*\*)[ \t]?"
               r"(?:\{[ \t]?[-+]?\d{1,4}[ \t]?\}|\([-+]?\d{1,4}\)|[-+]?\d{1,4})|[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,4}))")
"""The power of ten of a number in scientific notation: `e-12`, ` x 10^5`, `\\times 10^{-12}`, `*10**5`."""
_SCIENTIFIC_THEN_UNIT = re.compile(r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)" + _TEN_TO_THE + r"?)[ \t]{1,4}"
                                   r"([A-Za-zÅ°µΩ][A-Za-zÅ°µΩ/^\-\d]*(?:[ \t][A-Za-zÅ°µΩ][A-Za-zÅ°µΩ/^\-\d]*){0,3})\.?")
"""A number (possibly in scientific notation) and unit words after it: `7.4e-12 m`, `300 K`, `1.2 x 10^5 m/s`."""
_PLAIN_VALUE = re.compile(
    r"^[-+]?\d*[" + _VULGAR_FRACTIONS + r"]|"
    r"^[-+]?(?:\\?\$\s?)?(?:\d{1,6} \d{1,6}/\d{1,6}(?![\d/])|(?:\d[\d,]*(?:\.\d+)?|\.\d+)" + _TEN_TO_THE + r"(?![\d.])|"
    r"\d" + _GROUPED_DIGITS + r"(?:\.\d+)?|\.\d+)(?:\s?(?:/|\\%|%)\s?\d*)?"
    r"(?:\s?%)?"
    r"|^[-+]?\d*\\(?:frac|dfrac|tfrac|sqrt|pi|infty|binom|dbinom)(?![A-Za-z])[^\s]*|^\\\{[^{}\n]{1,80}?\\\}|^\([^()\n]{1,80}\)|^[A-J](?=[.)\s]|$)|^\([A-J]\)")
_OPTION_WORDS = re.compile(r"\s*([A-Za-z][a-z]+(?:[ -][a-z]+){0,2})\s*[.!]?\s*")
"""The words of an option after its letter, ending the sentence (`(E) ellipse.`, `(C) two lines`)."""
_PLAIN_SURD = (r"(?<![A-Za-z0-9_.\\])[-+]?(?:\d+(?:\.\d+)?\s?\*?\s?)?"
               r"(?:[√∛∜]\s?(?:\(\s*[^()\n]{1,20}\)|\d+(?:\.\d+)?|[a-z](?![A-Za-z]))|(?:sqrt|cbrt)\(\s*[^()\n]{1,20}\)|π|pi(?![A-Za-z]))"
               r"(?:\s?[√∛]\s?\d+|\s?π|\s?pi(?![A-Za-z]))?(?:\s?[/*]\s?(?:\d+(?:\.\d+)?|π|√\d+))?")
_PLAIN_SURD_VALUE = re.compile(_PLAIN_SURD)
"""A value written in plain text with a radical or π (`√2`, `2√2`, `∛3`, `sqrt(2)`, `7π`, `π/4`, `3√2/2`): one value,
not the number after its root sign or before its π."""
_LEADING_FILLER = re.compile(
    r"^(?:[:=,\s]|(?:therefore|thus|hence|so|then|simply|exactly|clearly|indeed|just|equal\s+to|given\s+by|"
    r"approximately|about|roughly|option|choice|that|the\s+value|is|are|be)(?![A-Za-z]))+\s*", re.IGNORECASE)
_HEDGE = re.compile(r"(?:not|at\s+(?:least|most)|no\s+(?:more|less|fewer|greater|larger|smaller)\s+than|"
                    r"(?:more|less|fewer|greater|larger|smaller|bigger)\s+than|between|either)(?![A-Za-z])\s*",
                    re.IGNORECASE)
"""Words right after a marker that bound, deny, bracket or hedge the value that follows (`The answer
is at least 5`, `is not 5`, `is between 5 and 6`, `is either 5 or 6`): the response states no single value."""
_OR_POSSIBLY = re.compile(r"\s*\(?\s*\bor\s+(?:possibly|perhaps|maybe)\s+", re.IGNORECASE)
"""A second value offered beside the first (`45 (or possibly 48)`, `45, or maybe 48`)."""
_OR_MORE = re.compile(r"\s+or\s+(?:more|less|fewer|greater|larger|smaller|higher|lower|above|below)(?![A-Za-z])",
                      re.IGNORECASE)
"""`5 or more`: a bound after the value."""
_ALTERNATIVE_GAP = re.compile(r"\s{0,8}(?:,|,?\s{0,8}or)\s{0,8}")
"""What may stand between two alternative values that end a sentence (`$5$ or $6$`, `$1$, $2$, or $3$`)."""
_TRAILING_PROSE = re.compile(r"\s+(?:because|since|as|which|so|and\s+(?:this|that|the)|for|when|if|where)\b.*$",
                             re.IGNORECASE | re.DOTALL)
_IS = re.compile(r"\s(?:is|are|was|equals|=|would\s+be|will\s+be)\s", re.IGNORECASE)
_BREAKDOWN = re.compile(r"\s*(?:[-\d.,]+|\x01+)\s*(?:plus|minus|times|multiplied\s+by|divided\s+by|more\s+than|less\s+than|"
                        r"fewer\s+than|\+|×|\*)\s*(?:[-\d.,]+|\x01+)(?![^=]*\b(?:equals?|is|makes)\b)[^=]*\Z", re.IGNORECASE)
"""What follows a final sentence's last `is` when it only breaks down the value stated before (`41: that is 40 plus 1
extra`): two amounts joined by an operation, and no result of it."""
_LIST_GAP_NOISE = re.compile(r"\$|\\text\{|\\mbox\{|\}|\\[,;: !]|\\q?quad|~|\\\(|\\\)|\\\[|\\\]")
_LIST_GAP_WORDS = frozenset({",", ";", "and", "or", "&"})
_NEXT_LABEL = re.compile(r"[A-Za-z](?:_\{?\w+\}?)?(?:\(\s*-?\d{1,6}\s*\))?\s*=\s*$")
"""The name of the next item of a list of boxes (`and y_2 = `, `and e(19) = `)."""
_LIST_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_NUMBER_LIST = re.compile(rf"{_LIST_NUMBER.pattern}(?:,\s+{_LIST_NUMBER.pattern})*,?\s+(?:and|or)\s+{_LIST_NUMBER.pattern}\s*[.!]?\s*")
"""Numbers listed with `and`/`or` before the last (commas between list items are followed by a space)."""
_NUMBER_ALTERNATIVES = re.compile(rf"{_LIST_NUMBER.pattern}(?:,\s+{_LIST_NUMBER.pattern})*,?\s+or\s+{_LIST_NUMBER.pattern}"
                                  r"(?![\d.]*\s*[-+*/=^\d])")
"""Numbers offered as alternatives at the start of longer words (`204 or 210, depending on ...`): the answer
hedges between them, which no single reference equals."""
_TRAILING_UNIT = re.compile(r"\s{1,4}([a-zA-Z]\.[a-zA-Z]\.?|[a-zA-Z]+(?:\s[a-zA-Z]+)?)(?![a-zA-Z])")
_MONEY_SCALE = re.compile(rf"({MONEY_SCALE_LETTER})(?![A-Za-z])([ \t]+(?:dollars?|USD)\b)?")
"""A scale letter right after an amount (`$70k`, `1.43k dollars`), with the dollars that may follow it."""
_HAS_CONTENT = re.compile(r"[^\W_]|[∞√∅]|\\[a-zA-Z{}]")
_SHORT_ENGLISH = frozenset("is at to of in on it an as be by or if so we no do up my me he us am pm".split())
"""Two-letter words that are English; other two-letter runs (`ab`, `xy`) are products of variables."""
_BARE_WORDS = frozenset({"and", "or", "am", "pm"})
_WORDS = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{2,}")
_UNIT_WORDS_ONLY = re.compile(r"\s*(?:[A-Za-zÅ°µ/^\-]+(?:\s+[A-Za-zÅ°µ/^\-]+){0,3})?\s*\.?\s*")
"""What may follow a Minerva closing line's one math span: nothing, or a few unit words (`J s`, `km/s`)."""
_CHOICE_LETTER = re.compile(r"^\(?([A-J])\)?(?:[.:]|$)")
_CHOICE_LABEL = re.compile(r"^(?:\(([A-E])\)[ \t]{1,4}(?=[-+$\\\da-zA-Z])|([A-E])[):][ \t]{1,4}(?=[-+$\\\d]))")
"""A choice letter with the value it labels: `(B) 27`, `(C) $\\frac{1}{2}$`, `D) 12`, `D: 12`."""
_CHOICE_STATEMENT = re.compile(
    r"(?<![A-Za-z])(?i:(?:option|choice|answer)[ \t]{1,4})\(?([A-J])\)?[ \t]{1,4}(?i:is[ \t]{1,4}(?:the[ \t]{1,4})?"
    r"(?:correct|right)(?:[ \t]{1,4}(?:answer|option|choice))?)(?=[ \t]*(?:[.!]|\n|$))|"
    r"(?<![A-Za-z])(?i:I(?:'ll|[ \t]{1,4}will)?[ \t]{1,4}(?:choose|pick|select|go[ \t]{1,4}with)[ \t]{1,4}(?:option[ \t]{1,4}|choice[ \t]{1,4}|"
    r"answer[ \t]{1,4})?)\(?([A-J])\)?(?=[ \t]*(?:[.!]|\n|$))")
"""A sentence that names the chosen letter and ends: `Option D is correct.`, `I choose option D.`
(`I choose A = (0, 0)` and `Option A is correct for n even` do not)."""


def _is_clean_text(text: object) -> bool:
    """True for a non-empty str without NUL bytes."""
    return isinstance(text, str) and bool(text) and "\x00" not in text


def without_lone_surrogates(text: str) -> str:
    """`text` with each lone surrogate (half an emoji, valid in JSON, not in UTF-8) replaced by
    U+FFFD, so that one broken character never costs a whole response its answer."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_TYPOGRAPHIC_GROUP = re.compile(r"(?<=\d)[\u00a0\u2009\u202f](?=\d{3}(?!\d))")
"""A no-break, thin or narrow no-break space between groups of three digits (`12\u202f000`): the thousands
separator of typeset text (SI and most of Europe), never a break between two numbers."""
_SPACED_AMOUNT = re.compile(r"\$\d{1,3}(?: \d{3})+(?![\d.,]?\d)")
_SPACED_AMOUNT_ABROAD = re.compile(r"[€£]\d{1,3}(?: \d{3})+(?![\d.,]?\d)")
"""An amount of money with its thousands set apart by plain spaces (`$70 000`, `€12 500`): one number after a currency
sign (the dollar's pattern starts with its literal sign, which the search skips to: ten times cheaper)."""
_PYTHON_FRACTION = re.compile(r"(?<![\w.])(?:fractions\.|sympy\.)?(?:Fraction|Rational)\(\s*(-?\d+)\s*,\s*(\d+)\s*\)")
"""A fraction as Python prints it (`Fraction(1, 2)`, `Rational(-3, 4)`: a program's output in a tool-integrated
response), read as the fraction `1/2`."""


_EMOJI = re.compile(f"[{EMOJI_CHARACTERS}]")
"""Emoji and pictographs (`✅`, `🎉`, `✔️`), which decorate a response and never write its math (the degree sign and
the symbols of mathematics lie outside these blocks)."""
_CHINESE_SCALE = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)?)\s*(万亿|亿|万)")
"""A number with a Chinese scale character (`7万` is 70000, `5.75万` 57500, `3亿` 300000000)."""
_CHINESE_SCALES = {"万": 10 ** 4, "亿": 10 ** 8, "万亿": 10 ** 12}


def _scaled_by_chinese_unit(match: re.Match[str]) -> str:
    value = format(Decimal(match.group(1)) * _CHINESE_SCALES[match.group(2)], "f")
    return value.rstrip("0").rstrip(".") if "." in value else value


_COMPOUND_UNITS = (
    (r"(?:hours?|hrs?)", r"(?:minutes?|mins?)", "minutes", 60),
    (r"(?:minutes?|mins?)", r"(?:seconds?|secs?)", "seconds", 60),
    (r"(?:feet|foot|ft)", r"(?:inches|inch)", "inches", 12),
)
_COMPOUND_MEASURES = tuple(
    (re.compile(rf"{big}\s*,?\s*(?:and\s+)?\d{{1,2}}\s*{small}(?![A-Za-z])", re.IGNORECASE),
     re.compile(rf"(?<![\d.,])(\d{{1,4}})\s*{big}\s*,?\s*(?:and\s+)?(\d{{1,2}})\s*{small}(?![A-Za-z])", re.IGNORECASE),
     unit, factor)
    for big, small, unit, factor in _COMPOUND_UNITS)
"""A quantity in two units (`2 hours and 20 minutes`, `5 feet 3 inches`): one value in the smaller unit (140 minutes,
63 inches), which the unit a question asks in converts like any other. Each comes with a quick test that starts at
the larger unit's word (a search from every digit costs ten times more on a long response)."""


def _without_spaces(match: re.Match[str]) -> str:
    return match.group(0).replace(" ", "")


def readable_text(text: str) -> str:
    """A response as extraction reads it: a NUL byte (stray in some model outputs; C code would end
    the string there) and a lone surrogate each become U+FFFD, so one broken character never
    costs a whole response its answer (an answer holding one does not parse as the value), while NUL bytes
    that only pad its end are dropped (`Ответ: 371\x00`); a response written as HTML is read as its text
    (`_html_as_text`); emoji are dropped (`_EMOJI`), full-width forms are ASCII (`scan.FULL_WIDTH_FORMS`) and the
    ideographic comma a comma (`3、5、7`), digits grouped by typographic spaces are one number
    (`_TYPOGRAPHIC_GROUP`), a number with a Chinese scale is its value (`_CHINESE_SCALE`), a quantity in two
    units one value (`_COMPOUND_MEASURES`), an amount of money grouped by spaces one number (`_SPACED_AMOUNT`),
    and a fraction written in Unicode scripts (`³⁄₂`) or as Python prints it (`_PYTHON_FRACTION`) is the fraction
    `3/2`. Each rewrite runs only where its characters or words occur
    (most responses are ASCII), so reading a long response costs one pass of each cheap test."""
    text = _html_as_text(_without_hidden(without_lone_surrogates(text.rstrip("\x00").replace("\x00", "\ufffd"))))
    if not text.isascii():
        text = _EMOJI.sub("", _TYPOGRAPHIC_GROUP.sub("", text).translate(FULL_WIDTH_FORMS)).replace("、", ", ")
        text = script_fractions(_CHINESE_SCALE.sub(_scaled_by_chinese_unit, text), latex=False)
        text = _SPACED_AMOUNT_ABROAD.sub(_without_spaces, text)
    for quick_test, compound, unit, factor in _COMPOUND_MEASURES:
        if quick_test.search(text):
            text = compound.sub(lambda match: f"{int(match.group(1)) * factor + int(match.group(2))} {unit}", text)
    text = _SPACED_AMOUNT.sub(_without_spaces, text)
    return _PYTHON_FRACTION.sub(r"\1/\2", text) if "Fraction(" in text or "Rational(" in text else text


_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_FOOTNOTE_DEFINITION = re.compile(r"^[ \t]{0,3}\[\^[\w-]{1,40}\]:[^\n]*\n?", re.MULTILINE)
_FOOTNOTE_MARK = re.compile(r"\[\^[\w-]{1,40}\]")
"""A markdown footnote's label is a word (`[^1]`, `[^note-2]`): `[^\\circ]` in math is no footnote."""
_HIDING_COMMAND = re.compile(r"\\(?:[hv]?phantom|textcolor\s*\{\s*(?:white|transparent)\s*\})\s*(?=\{)|"
                             r"\\color\s*\{\s*(?:white|transparent)\s*\}")
"""Starts with its backslash, so that a search of a long text is a scan for one character."""


def _without_hidden(text: str) -> str:
    """A response without what a reader never sees, so that no answer hides there (and an answer shown is not
    overruled by one hidden after it): HTML comments (`<!-- \\boxed{8} -->`), markdown footnotes (`[^1]: Some
    sources give 8.` and the marks `[^1]` that point to them), and LaTeX that takes space but prints nothing or prints white
    (`\\phantom{\\boxed{8}}`, `\\textcolor{white}{..}`, `{\\color{white} ..}`)."""
    if "<!--" in text:
        text = _HTML_COMMENT.sub("", text)
    if "[^" in text:
        text = _FOOTNOTE_MARK.sub("", _FOOTNOTE_DEFINITION.sub("", text))
    if "phantom" not in text and "{white" not in text and "{ white" not in text and "transparent" not in text:
        return text
    position = 0
    while (command := _HIDING_COMMAND.search(text, position)) is not None:
        start = command.start()
        in_group = command.group(0).startswith("\\color")  # `{\color{white} ..}`: the rest of its group
        if in_group and not text[:start].rstrip().endswith("{"):
            position = command.end()  # a `\color{white}` that opens no group: it colours what follows, left as it is
            continue
        end = closing_brace(text, text.rindex("{", 0, start) if in_group else command.end())
        if end < 0:
            return text[:start]  # never closed: hidden to the end
        text = text[:start] + text[end if in_group else end + 1:]  # `\phantom{..}`: the command and its argument
        position = start
    return text


_HTML_NAMES = r"p|b|strong|i|em|u|code|span|div|li|ul|ol|sup|sub|h[1-6]|pre|tt|blockquote|table|tr|td|th"
"""The HTML elements a response written as HTML uses (`<br>` apart: it never closes)."""
_HTML_TAG = re.compile(rf"</?(?:{_HTML_NAMES}|br)(?:\s[^<>\n]{{0,200}})?\s?/?>", re.IGNORECASE)
_HTML_CLOSED = re.compile(rf"</(?:{_HTML_NAMES})>|<br\s?/?>", re.IGNORECASE)
_HTML_SCRIPT = re.compile(r"<(sup|sub)>([^<>]{1,40})</\1>", re.IGNORECASE)
_HTML_BREAK = re.compile(r"</?(?:p|br|div|li|tr|h[1-6]|pre|blockquote)(?:\s[^<>\n]{0,200})?\s?/?>", re.IGNORECASE)


def _html_as_text(text: str) -> str:
    """The text of a response written as HTML (`<p>The answer is <b>18</b>.</p>`, `x<sup>2</sup>`, `&infin;`):
    superscripts and subscripts as `^{..}` and `_{..}`, block tags as line breaks, other tags gone, entities
    decoded. Text without a closing tag or a line break tag is left as it is (`x<2`, `a<b>c`, `<think>` are
    not HTML)."""
    if _HTML_CLOSED.search(text) is None:
        return text
    text = _HTML_SCRIPT.sub(lambda match: ("^" if match.group(1).lower() == "sup" else "_") + "{" + match.group(2) + "}",
                            text)
    text = _HTML_BREAK.sub("\n", text)
    return html.unescape(_HTML_TAG.sub("", text))


# ---------------------------------------------------------------- boxes

def _find_boxes(text: str) -> list[_Box]:
    """All closed top-level boxes of `text`, in order; boxes nested in a box are skipped.

    An unclosed box (`\\boxed{1` at the end of a truncated response) is not a box; a space-form
    box (`\\boxed 5`) holds the one token after the space; a box that only wraps another box
    (`\\boxed{\\boxed{2}}`) holds the inner box's content.
    """
    commands = list(_BOX_COMMAND.finditer(text))
    if not commands:
        return []
    partners = brace_partners(text, commands[0].end())
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
            start, end = _unwrap_inner_box(text, partners, brace.end(), closing)
            boxes.append(_Box(command.start(), closing + 1, text[start:end]))
            covered_until = closing + 1
            continue
        token = _SPACE_FORM_TOKEN.match(text, command.end())
        if token is not None:
            boxes.append(_Box(command.start(), token.end(), token.group(1).rstrip(".,;")))
            covered_until = token.end()
    return boxes


def _unwrap_inner_box(text: str, partners: dict[int, int], start: int, end: int) -> tuple[int, int]:
    while True:
        inner = _INNER_BOX.match(text, start, end)
        if inner is None:
            return start, end
        closing = partners.get(inner.end() - 1)
        if closing is None or closing >= end or text[closing + 1:end].strip():
            return start, end
        start, end = inner.end(), closing


def _joins_boxes(between: str) -> bool:
    """Whether the text between two boxes joins them into one list answer: only commas,
    `and`/`or` (with math delimiters and spacing around), or a short phrase with `and`
    (`\\boxed{1} papers and \\boxed{2} bins`), never a new sentence or a restatement (`=`)."""
    if len(between) > 48:
        return False
    cleaned = _LIST_GAP_NOISE.sub(" ", between)
    if "\n" in between.strip(" \t"):  # boxes on display lines of their own: nothing but a joining word between
        words = cleaned.replace(",", " , ").split()
        return all(w.lower() in _LIST_GAP_WORDS for w in words)
    labelled = _NEXT_LABEL.search(cleaned)
    if labelled is not None and re.search(r"(?:^|\s|,)(?:and|or)?\s*,?\s*$|\band\b|,", cleaned[:labelled.start()]):
        cleaned = cleaned[:labelled.start()]  # `\boxed{1} and y_2 = \boxed{2}`: the label of the next item
    if "=" in cleaned:
        return False
    cleaned = cleaned.replace(",", " , ").replace(";", " ; ")
    words = cleaned.split()
    if not words:
        return True
    if all(w.lower() in _LIST_GAP_WORDS for w in words):
        return True
    lowered = [w.lower() for w in words]
    joined = any(w in ("and", "or", ",", ";", "&") for w in lowered)
    stops = {"so", "thus", "therefore", "hence", "then", "answer", "is", "final", "becomes", "gives", "equals"}
    return joined and len(words) <= 6 and not stops.intersection(lowered) and not re.search(r"[.!?:]\s", between)


def _box_candidate(text: str) -> _Candidate | None:
    """The last box of `text` as an answer, with the boxes joined to it into one list: on one line (`_joins_boxes`), one
    per labelled part (`_boxes_of_parts`), or offered as other answers (`_offers_alternative`)."""
    offset = max(0, len(text) - MAX_BOX_SCAN_CHARS)
    window = text[offset:]
    boxes = _find_boxes(window)
    while boxes and _NEGATED_BEFORE.search(window, max(0, boxes[-1].start - 40), boxes[-1].start):
        boxes = boxes[:-1]  # `The answer is not \boxed{21}.`, `\boxed{5}, not \boxed{6}`: a box the words deny
    while len(boxes) > 1 and _says_where_attained(window[boxes[-2].end:boxes[-1].start]):
        boxes = boxes[:-1]  # `the minimum is \boxed{9}, which occurs at x = \boxed{1}`: 9
    if not boxes:
        return None
    labelled = _boxes_of_parts(window, boxes)
    first_offered = len(boxes)
    if labelled is not None:
        listed = [box for part in labelled for box in _joined_tail(window, part)]
        answers = [answer for answer in (_signed_content(window, box) for box in listed) if answer]
        if _labelled_as_cases(window, labelled):
            answers = list(dict.fromkeys(answers))  # `Method 1: \boxed{7}. Method 2: \boxed{7}.`: one answer found twice
    else:
        # `\boxed{11}. Alternatively, if ...: \boxed{10}`; `If a line: \boxed{A}. If a circle: ...`: the boxes offered
        # as other answers join the last one (`_offers_alternative`)
        while first_offered > 1 and _offers_alternative(window[boxes[first_offered - 2].end:boxes[first_offered - 1].start]):
            first_offered -= 1
        listed = [*_joined_tail(window, boxes[:first_offered]), *boxes[first_offered:]]
        answers = list(dict.fromkeys(answer for answer in (_signed_content(window, box) for box in listed) if answer))
    if not answers:
        return None
    return _Candidate(offset + listed[-1].start, ", ".join(answers), "boxed", len(labelled) if labelled else 0,
                      offers_two=first_offered < len(boxes) and len(answers) > 1, end=offset + listed[-1].end)


_ALTERNATIVE_OPENING = re.compile(
    r"[\s$.,;:)\\\]]*(?:(?:alternatively|otherwise|or|but|however)\s*,?\s*(?=if\b|in\s+case\b|should\b)"
    r"|if\s+instead\b|if\s*,\s*however\b"
    r"|alternatively\s*(?=,\s*(?:for|under|with|reading|interpreting|taking)\b)"
    r"|if\b(?=[^$\n]{0,60}:\s*(?:\$|\\\(|\\\[)?\s*\Z))",
    re.IGNORECASE)
"""How a box offered as another answer beside the one boxed before it is introduced: `Alternatively, if the other
reading is meant: $\\boxed{10}$`, `If instead ...`, `Or, if ...`, and one box per case, `If a circle: $\\boxed{B}$`."""


def _offers_alternative(between: str) -> bool:
    """Whether the words between two boxes offer the second as another answer to the first, within one clause: no
    sentence ends and no paragraph starts between them (`\\boxed{5}. If I made an error in step 3, ... the answer is
    \\boxed{7}` went on thinking, and reads 7)."""
    if len(between) > 200:
        return False
    opening = _ALTERNATIVE_OPENING.match(between)
    if opening is None:
        return False
    return re.search(r"[.!?](?:\s|\Z)|\n\s*\n", between[opening.end():]) is None


def _says_where_attained(between: str) -> bool:
    """Whether the words between two boxes of one sentence say that the second is where the value
    boxed first is attained (`, attained at $(x, y) = `, `, with equality at $a = `)."""
    return (len(between) <= 120 and not re.search(r"[.!?](?:\s|\Z)|\n\s*\n", between)
            and re.search(rf"^\W{{0,4}}(?:which\s+|and\s+(?:this|it)\s+|with\s+)?(?:is\s+)?(?:{_ATTAINED})",
                          between, re.IGNORECASE) is not None)


def _joined_tail(window: str, boxes: list[_Box]) -> list[_Box]:
    """The last box with the boxes before it that `_joins_boxes` joins to it into one list answer."""
    listed = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        if not _joins_boxes(window[box.end:listed[0].start]):
            break
        listed.insert(0, box)
    return listed


def _labelled_as_cases(window: str, parts: list[list[_Box]]) -> bool:
    """Whether the labels of the parts are cases or methods (`Case 1`, `Method 2`), ways through one problem, rather
    than the parts of one (`(a)`, `Part 2`)."""
    labels = part_labels(window, parts[-1][-1].start)
    return bool(labels) and labels[-1].kind.startswith(CASE)


def _boxes_of_parts(window: str, boxes: list[_Box]) -> list[list[_Box]] | None:
    """The boxes of each part when the last box answers the last of consecutive labelled parts
    (`(a) \\boxed{3} (b) \\boxed{5}`, `Part 1: .. Part 2: ..`, `(i) .. (ii) ..`, `Case 1: .. Case 2: ..`), every part
    from the first having a box; else None. Each part answers with its last box (and the boxes joined to it); each case
    must box one answer only, as a case analysis may box partial results and then their total."""
    if len(boxes) < 2:
        return None
    labels = part_labels(window, boxes[-1].start)
    if not labels or labels[-1].ordinal < 2:
        return None
    chain = [labels[-1]]
    for label in reversed(labels[:-1]):
        if chain[0].ordinal == 1:
            break
        if label.kind == chain[0].kind and label.ordinal == chain[0].ordinal - 1:
            chain.insert(0, label)  # the last label of the part before, ahead of the parts found
    if chain[0].ordinal != 1:
        return None
    starts = [box.start for box in boxes]
    parts = []
    for index, label in enumerate(chain):
        end = chain[index + 1].position if index + 1 < len(chain) else len(window)
        inside = [box for box in boxes[bisect_right(starts, label.position):bisect_right(starts, end)] if box.end <= end]
        if not inside:
            return None
        parts.append(inside)
    if chain[0].kind.startswith(CASE) and any(_joined_tail(window, part) != part for part in parts):
        return None  # a case analysis that boxes more than each case's one answer (a partial result, a total)
    last = parts[-1]
    if len(last) > 1 and _concludes(window[last[-2].end:last[-1].start]):
        return None  # `(i) m = \boxed{68} (ii) n = \boxed{136}\n\nHence m + n = \boxed{204}`: the parts' conclusion
    return parts


_CONCLUSION = re.compile(r"\W{0,8}(?:hence|thus|therefore|so|finally|in\s+total|in\s+all|altogether|overall|total|adding|"
                         r"combining|summing|the\s+(?:final\s+)?answer)\b", re.IGNORECASE)


def _concludes(between: str) -> bool:
    """Whether the text between a last part's box and a later box opens a paragraph of its own that concludes from
    the parts before (`\n\nHence $m + n = `), rather than going on with the last part."""
    paragraphs = re.split(r"\n[ \t]*\n", between)
    return len(paragraphs) > 1 and "\n" not in paragraphs[-1] and _CONCLUSION.match(paragraphs[-1]) is not None


_MINUS_BEFORE_BOX = re.compile(r"-[ \t]{0,4}$")
_UNARY_AFTER = frozenset("$=:(,[{\n*/+<>")
"""Characters after which a minus sign is a sign, not a subtraction (`= -\\boxed{5}`, `$-\\boxed{3}$`)."""
_WORD_BEFORE_SIGN = re.compile(r"(?<![\\A-Za-z])(?:is|are|was|were|be|equals?|gets?|got|obtain|gives?|yields?|becomes?|"
                               r"to|of|as|answer|then|thus|so|hence|therefore|and|or)$", re.IGNORECASE)
"""Words after which a minus sign is the sign of what follows (`The answer is -\\boxed{5}`)."""
_NOT_NEGATABLE = re.compile(r"[=<>,;]|\\(?:le|ge|leq|geq|ne|neq|pm|mp|in|cup|begin)(?![A-Za-z])|^\\(?:text|mbox)")
"""Box contents a minus sign cannot negate: a relation, a list, an interval, a matrix, a text answer."""


def _signed_content(window: str, box: _Box) -> str:
    """The cleaned content of a box, negated when a minus sign written before the box is its sign:
    `The answer is -\\boxed{5}` and `$-\\boxed{3}$` state -5 and -3, while in `\\frac{3}{2} - \\boxed{2}`
    the minus subtracts and the answer is 2. A box holding a list, relation or text is left as written."""
    content = _clean(box.content)
    minus = _MINUS_BEFORE_BOX.search(window, max(0, box.start - 8), box.start)
    if not content or minus is None:
        return content
    prior = window[max(0, minus.start() - 40):minus.start()].rstrip(" \t")
    if prior and prior[-1] not in _UNARY_AFTER and not _WORD_BEFORE_SIGN.search(prior):
        return content  # after an operand: a difference
    if _NOT_NEGATABLE.search(content):
        return content
    if re.fullmatch(r"[^-+]*", content):
        return "-" + content
    return f"-({content})"


def _unclosed_last_box(text: str, scan: int = MAX_BOX_SCAN_CHARS) -> int | None:
    """Where the content of the last box command in the last `scan` characters of `text` begins, when that
    box never closes (an answer cut off by `max_tokens`); None when it closes or there is none."""
    offset = max(0, len(text) - scan)
    commands = deque(_BOX_COMMAND.finditer(text, offset), maxlen=1)
    if not commands or _find_boxes(text[commands[0].start():]):
        return None
    return commands[0].end()


def _box_cut_off(text: str) -> bool:
    """Whether the text's last box command never closes (an answer cut off by `max_tokens`)."""
    return _unclosed_last_box(text) is not None


def last_boxed(text: str) -> str | None:
    """Content of the last closed `\\boxed{...}` / `\\fbox{...}` (or `\\boxed 5`) of a text.

    Used to take reference answers from reference solutions (MATH, Minerva). None when the text
    has no closed box or is not clean text.
    """
    if not _is_clean_text(text):
        return None
    boxes = _find_boxes(without_lone_surrogates(text[-MAX_BOX_SCAN_CHARS:]))
    if not boxes:
        return None
    return _clean(boxes[-1].content) or None


def boxed_contents(text: str) -> list[str]:
    """The contents of every closed `\\boxed{...}` / `\\fbox{...}` of a text, in order ([] when the
    text is not clean text). A reference solution that answers a question for every value may box
    each value in its own sentence."""
    if not _is_clean_text(text):
        return []
    boxes = _find_boxes(without_lone_surrogates(text[-MAX_BOX_SCAN_CHARS:]))
    return [content for content in (_clean(box.content) for box in boxes) if content]


# ---------------------------------------------------------------- sentences and values

_COMPUTATION_AFTER_A_FACTORIAL = r"[ \t]*(?:[=+*/×·]|\\(?:cdot|times)(?![A-Za-z]))"
_FACTORIAL_IN_A_COMPUTATION = re.compile(r"[\d)}]!" + _COMPUTATION_AFTER_A_FACTORIAL)
"""`4! = 24`, `3! \\cdot 2`: a factorial that a computation goes on from (`The answer is 6!` ends a sentence)."""


def _sentence_after(text: str, start: int) -> str:
    """The rest of the sentence from `start`: up to a line break that ends it or a full stop
    outside math (a `.` followed by whitespace or the end). A marker followed directly by a line
    break reads the next non-empty line (`The answer is:\\n\\n$$5$$`)."""
    window = text[start:start + MAX_SENTENCE_CHARS]
    stripped = window.lstrip(" \t")
    if stripped.startswith("\n"):
        leading = len(window) - len(window.lstrip())
        window = window[leading:]
    position = 0
    while position < len(window):
        char = window[position]
        if char in "$\\":
            span = math_span_at(window, position)
            end = span.end if span is not None else value_environment_at(window, position)
            if end is not None:  # a matrix written without `$` spans its rows' lines
                position = end
                continue
            position += 2 if char == "\\" else 1
            continue
        if char == "\n" or char in "。！？":
            break
        if char in ".!?" and (position + 1 == len(window) or window[position + 1].isspace()) and not (
                char == "!" and _FACTORIAL_IN_A_COMPUTATION.match(window, max(position - 1, 0))):
            break  # `4! = 24`: a factorial, not the end of a sentence
        position += 1
    return window[:position]


_WORD_ANSWER = re.compile(r"[A-Za-z][A-Za-z'\-]*(?: [A-Za-z][A-Za-z'\-]*){0,2}")
_NON_ANSWER = re.compile(r"(?:i\s+(?:don'?t|do\s+not)\s+know|idk|no\s+idea|not\s+sure|i'?m\s+not\s+sure|unsure|"
                         r"unknown|n/a|\?+|cannot\s+answer|can'?t\s+answer|i\s+give\s+up|"
                         r"i\s+(?:cannot|can'?t|am\s+unable\s+to)\s+(?:solve|answer|determine)(?:\s+(?:this|it))?"
                         r"(?:\s+(?:problem|question))?|h+m+|u+m+|u+h+|ok(?:ay)?|done|sure|alright|well)[.!]?",
                         re.IGNORECASE)
"""A whole response that says it has no answer (`I don't know`), or only hesitates or acknowledges (`Hmm.`, `OK.`,
`Done.`): it abstains, rather than voting. (`Yes.` and `No.` answer yes-or-no questions.)"""
_NOT_AN_ANSWER_WORD = frozenset("""
a an the not no that this these those it its there here below above as follows following given shown
in at to on of for from by with clear simple obvious easy straightforward therefore thus then hence so
still also correct right wrong incorrect because since which what where when how why we i you now
unknown undefined unclear different same option choice
""".split()) - {"no"}
"""First words after an answer marker that open prose, not a word answer (`The answer is clear`)."""
_WORD_STATED = re.compile(r"^[A-Za-z][A-Za-z' ]{0,30}?\s(?:is|are)\s+(?:an?\s+|the\s+)?"
                          r"([A-Za-z][A-Za-z'\-]*(?: [A-Za-z][A-Za-z'\-]*){0,1})$")
"""A closing sentence of words only that says what something is (`The graph is an ellipse`): its last words."""
_WORD_ANSWER_WRAPPERS = re.compile(r"^\\(?:text|textbf|textit|mathrm|mathbf|emph)\{([^{}]*)\}$")


def _closing_word_answer(text: str, start: int) -> str | None:
    """A word answer after a marker that closes the response: `**Final Answer:** Evelyn`,
    `The answer is \\textbf{east}.`: one to three words, with nothing but white space after them,
    whose first word does not open prose (`The answer is clear.` has no answer)."""
    rest = text[start:].strip()
    if not rest or len(rest) > 60 or "\n" in rest:
        return None
    rest = rest.strip("*_ ").rstrip(".!").strip("*_ ")
    wrapped = _WORD_ANSWER_WRAPPERS.match(rest)
    if wrapped:
        rest = wrapped.group(1).strip()
    if fraction_from_words(rest) is not None or number_from_words(rest) is not None:
        return rest  # `The answer is one and a half.`, `ninety-eight thousand seven hundred twenty-one`
    stated = _WORD_STATED.search(rest)
    if not _WORD_ANSWER.fullmatch(rest) and stated is not None:
        rest = stated.group(1)  # `**Final Answer:** The graph is an ellipse.`: the words it is
    if not _WORD_ANSWER.fullmatch(rest) or rest.split()[0].lower() in _NOT_AN_ANSWER_WORD:
        return None
    return rest


def _value_in_words(segment: str, *, after_marker: bool = True, asked: AskedQuantity | None = None) -> str | None:
    """The answer in the words after a marker (the value they start with first), or in a final
    sentence (the value after its last "is", else the one value of the kind the question asks for,
    else the value it mentions last)."""
    segment = _LEADING_FILLER.sub("", segment.strip()).strip()
    if not segment:
        return None
    inline_code = re.fullmatch(r"`([^`\n]{1,300})`\s*[.!]?", segment)
    if inline_code is not None:
        segment = inline_code.group(1).strip()  # `The answer is `x**5 - x**4 + 1`.`: the code span's text
    if after_marker and (mixed := mixed_number_with_and(segment.rstrip(" .!"))) is not None:
        whole, numerator, denominator = mixed
        if asked is not None and asked.mixed_number:
            return f"{whole} {numerator}/{denominator}"  # `137 and 1/2` where a mixed number is asked
        return f"{whole}, {numerator}/{denominator}"  # elsewhere two values: never 137 alone
    if after_marker and (hedge := _hedged(segment)) is not None:
        return hedge
    if after_marker and (alternatives := _plain_alternatives(segment)) is not None:
        return alternatives
    boxed = _box_candidate(segment)
    if boxed is not None:
        return boxed.answer
    if re.search(r"\\(?:boxed|fbox|framebox)\b", segment):  # a box cut off: there is no answer
        return None
    if after_marker and _is_plain_math(segment):
        return _clean(segment)  # `Answer: 2x + 1`, `6π`, `3, 4`, `5 ± √2`: the whole stretch is the value
    quantified = _FOR_ALL_AFTER.match(segment) if after_marker else None
    if quantified is not None and _is_plain_math(quantified.group(1)):
        return _clean(quantified.group(1))  # `f(x) = 2x for all positive reals x`: the function, for every x
    labelled = None if after_marker else _LABELLED_VALUE.fullmatch(segment.strip())
    if labelled is not None and (_PLAIN_ARITHMETIC.fullmatch(labelled.group(1)) or _is_printout(labelled.group(1))) \
            and brackets_balance(labelled.group(1)):
        segment = labelled.group(1)  # `Probability: 130/231`, `Final value: 12/5`: the value after its label, whole
    if not after_marker and (_PLAIN_ARITHMETIC.fullmatch(segment) or _is_printout(segment)) and brackets_balance(segment):
        printed = segment.strip().rstrip(".")
        if printed[:1] + printed[-1:] == "[]" and _is_printout(printed):
            return _clean(printed[1:-1])  # a list a program printed, `[1 - sqrt(19), 1 + sqrt(19)]`: its items
        return _clean(segment)  # a final sentence that is only a number written in plain text: `3/4`, `sqrt(2)/2`
    if after_marker:
        leading = _leading_value(segment)
        if leading is not None:
            return leading
    masked = _outside_math_marker(segment)
    segment, masked = _result_clause(segment, masked) if not after_marker else _without_closing_remark(segment, masked)
    attained = None if after_marker else _ATTAINMENT_CLAUSE.search(masked)
    if attained is not None and _IS.search(masked, 0, attained.start()) \
            and not _IS.search(masked[attained.end():].partition(",")[2]):
        # `The minimum is 20, attained at x = 4`: 20, not where it is attained (unless a later clause
        # states the value: `which occurs when .., the minimum is 3`)
        segment, masked = segment[:attained.start()], masked[:attained.start()]
    pieces = _IS.split(masked)
    if len(pieces) > 2 and not after_marker and _BREAKDOWN.match(pieces[-1]):
        # `The total is 41: that is 40 plus 1 extra.`: 41, not the first term of its breakdown
        cut = len(masked) - len(pieces[-1]) - len(_IS.findall(masked)[-1])
        segment, masked = segment[:cut], masked[:cut]
        pieces = pieces[:-1]
    if len(pieces) > 1:
        tail = _restore_math(pieces[-1], segment)
        tail = _LEADING_FILLER.sub("", tail.strip()).strip()
        leading = _leading_value(tail)
        if leading is not None:
            return leading
    alternatives = _trailing_alternatives(segment) or _listed_as_the_answers(segment)
    if alternatives is not None:
        return alternatives
    values = _values_named(segment)
    stated = [item for item in values if not _NEGATED_BEFORE.search(segment, 0, item[0])]
    if values and not stated and not after_marker:
        return None  # `答案不是 $127$。`, `The answer is not 21`: a final sentence that only denies states no answer
    values = stated or values  # `she makes $16 per day, not $18`: not the value it denies
    if not values:
        return None
    if asked is not None:
        fit = {value: _asked_fit(asked, segment, start, end) for start, end, value in reversed(values)}
        best = max(fit.values())
        if best > 0 and list(fit.values()).count(best) == 1:
            # `It takes Carla 160 minutes to download the 200 GB file.`, minutes asked: 160
            return next(value for value, score in fit.items() if score == best)
        amounts = [plain_number(value) for _, _, value in values]
        if not after_marker and None not in amounts:
            # `5 cars drove through the traffic jam in the first 15 minutes.`: not the 15 the question gave (in a
            # sentence of plain amounts; where math names something, `$x = 2$`, the question's numbers may be its answer)
            values = [item for item, amount in zip(values, amounts) if amount not in asked.given] or values
    return max(values, key=lambda item: (item[1], item[2]))[2]  # the value mentioned last


def _values_named(segment: str) -> list[tuple[int, int, str]]:
    """The values a sentence names, as (start, end, value) in order: its math spans (not a unit's power),
    surds and multiples of pi in plain text, numbers (with a scale word: `1.5 million`)."""
    values = [(span.start, span.end, _clean(span.content)) for span in math_spans(segment)
              if not _UNIT_POWER.fullmatch(span.content)]
    prose = _without_math(segment)
    values += [(match.start(), match.end(), _clean(match.group(0))) for match in _PLAIN_SURD_VALUE.finditer(prose)]
    prose = _PLAIN_SURD_VALUE.sub(lambda match: " " * len(match.group(0)), prose)  # `2√2`, `7π`: not 2 and 2, not 7
    values += [(match.start(), match.end(), _clean(_with_scale(match, segment))) for match in _NUMBER.finditer(prose)]
    return sorted((start, end, value) for start, end, value in values if value)


def _asked_fit(asked: AskedQuantity, segment: str, start: int, end: int) -> int:
    """How well the value at `segment[start:end]` is of the kind the question asks for: how many of the words
    of the thing it counts follow it (within three words: `70 gold coins` fits "How many gold coins" better than
    `110 coins`), or 1 for a sum of money (`$18`, `18 dollars`) or a percentage asked; 0 when none."""
    after, written = segment[end:end + 60], segment[start:end]
    if asked.percent and (re.match(r"\s*(?:\\?%|percent)", after) or re.search(r"%[}\s.,]*\$?\Z", written)):
        return 1
    currency = re.match(r"\$?\\\$", written) or (written.startswith("$") and not written.endswith("$"))
    if asked.money and (currency or re.search(r"\\\$\s*\Z|(?<!\S)\$\Z", segment[max(0, start - 2):start])
                        or re.match(r"\s*(?:dollars|USD)\b", after)):
        return 1
    words = re.match(r"\s*((?:[A-Za-z]+[\s-]+){0,2}[A-Za-z]+)", after)
    return len(question_words(words.group(1)) & asked.nouns) if words is not None else 0


_PLAIN_ARITHMETIC = re.compile(r"[-+−]?(?:\d|\.\d|sqrt\(|√|pi\b|π|\()(?:[\d.\s+\-−*/^()×÷√π]|sqrt\(|pi\b|(?<=\d)[eE](?=[-+]?\d))*[.]?")
"""A value written in plain text arithmetic and nothing else (`3/4`, `sqrt(2)/2`, `2*pi/3`, `1/(2+sqrt(3))`), as a
program's printed output or a last line shows it: read whole, not as its last number."""
_PRINTOUT = re.compile(r"(?:Matrix\(\[)?[-+]?(?:[\d.]+|[A-Za-z]\b|pi\b|oo\b|(?:sqrt|exp|log|sin|cos|tan|Abs)\(|[()\[\], ])"
                       r"(?:\s*(?:\*\*|[-+*/])?\s*(?:[\d.]+|[A-Za-z]\b|pi\b|oo\b|(?:sqrt|exp|log|sin|cos|tan|Abs)\(|[()\[\],]))*"
                       r"\s*\)?")
"""A value as SymPy prints it (`6 - 5*I`, `x**3 + 3*x - 6`, `(a + 5)*(b + 2)`, `Matrix([[-1/3], [2/3]])`): numbers, one-letter
names, `pi`, functions, operators with `*` for a product; read whole (normalize reads its syntax)."""


_LABELLED_VALUE = re.compile(r"[\[A-Za-z][A-Za-z _()\[\]'-]{0,40}:\s*([^:\n]{1,300})")
"""A last line that labels a value, `Probability: 130/231`, `[EXECUTION RESULT]: 3*n`."""


_SYMPY_SET_PRINTOUT = re.compile(SYMPY_OBJECT_NAMES + r"\([^\n]*\)")
"""A set, interval or point as SymPy prints it (`notation.sympy_printout` reads it)."""


def _is_printout(segment: str) -> bool:
    """Whether a final sentence is only a value as a program printed it, with the `*` or `**` of program syntax, a
    `Matrix(...)` or a Python list (prose writes none of those), so that it is read whole, not as its last number."""
    segment = segment.strip().rstrip(".")
    if len(segment) > 300:
        return False
    if _SYMPY_SET_PRINTOUT.fullmatch(segment):
        return True  # `FiniteSet(-2, 1)`, `Interval.Lopen(3, 4)`, `Point2D(-1, 6)`: normalize reads them
    if segment[:1] + segment[-1:] == "{}":  # a set SymPy's `solve` or `FiniteSet` prints, `{33/100}`, `{-2, 2}`
        segment = f"[{segment[1:-1]}]"
    return ("*" in segment or segment.startswith("Matrix([") or segment[:1] + segment[-1:] == "[]"
            or (segment[:1] + segment[-1:] == "()" and "," in segment)) and _PRINTOUT.fullmatch(segment) is not None


_UNIT_POWER = re.compile(r"\s*\^\s*(?:\{\s*[-+−]?\d\s*\}|[-+−]?\d)\s*")
"""A math span that is only the power of a unit written in prose (`erg s$^{-1}$`, `m$^2$`): not a value."""


_CONSEQUENCE = re.compile(r",\s*(?:and\s+)?(?:so|thus|hence|therefore|making|giving|resulting\s+in|for\s+a\s+total\s+of|"
                          r"(?P<correction>but\s+(?:actually|in\s+fact|really))|"
                          r"which\s+(?:gives|makes|means))(?![A-Za-z])", re.IGNORECASE)
"""A clause that states what the sentence's computation comes to (`9 eggs for $2 each, making $18`), or
corrects what it said first (`I thought it was 5, but actually it's 6`)."""
_COMPARED_AFTER = re.compile(r",\s*(?:which|that)\s+(?:is|are|was)\b(?=[^,;]*\b(?:than|as\s+much\s+as)\b)", re.IGNORECASE)
"""A clause that compares the result with another value (`204 minutes, which is 36 minutes less than the 240 ...`)."""
_TRAILING_REMARK = re.compile(r"\s*\((?=[^()]*[A-Za-z]{3}|\s*(?:(?:i\.\s?e|e\.\s?g)\.,?\s*)?\$?\d[\d.,]*\s*[-+*/×÷·x]\s*\$?\d)"
                              r"[^()]*\)[\s.,;:!?]*\Z")
"""A parenthesis of words or of arithmetic that ends a sentence (`x = 5 (the other root x = 3 is extraneous)`,
`260 sheep (160 + 80 + 20)`, `$1,430 (i.e. $1,300 + $130)`): a remark, or the working behind the value."""


def _without_closing_remark(segment: str, masked: str) -> tuple[str, str]:
    """A sentence without the `_TRAILING_REMARK` that closes it, when what comes before holds a value."""
    remark = _TRAILING_REMARK.search(masked)
    if remark is not None and remark.start() > 0 and _holds_a_value(masked[:remark.start()]):
        return segment[:remark.start()], masked[:remark.start()]
    return segment, masked


def _result_clause(segment: str, masked: str) -> tuple[str, str]:
    """The part of a final sentence that states its result: without a closing remark in parentheses, a clause
    that compares it with another value (`, which is 36 minutes less than ...`) or a breakdown after a colon
    (`260 sheep: Seattle 20, Charleston 80, Toulouse 160`), from its last clause after a semicolon that holds a
    value (`3 hours = 180 minutes; adding the stop gives 204 minutes`), and from its
    last consequence clause on when that holds a value (`She sells 16 - 3 - 4 = 9 eggs, making $18
    every day`: `making $18 every day`), unless the words before it name the answer; from a correction
    (`the answer is 5, but actually it's 6`) always."""
    segment, masked = _without_closing_remark(segment, masked)
    compared = _COMPARED_AFTER.search(masked)
    if compared is not None and _holds_a_value(masked[:compared.start()]):
        segment, masked = segment[:compared.start()], masked[:compared.start()]  # `204, which is 36 less than 240`
    semicolon = masked.rfind(";")
    if semicolon > 0 and _holds_a_value(masked[semicolon + 1:]) and _holds_a_value(masked[:semicolon]):
        segment, masked = segment[semicolon + 1:], masked[semicolon + 1:]  # `3 hours = 180 minutes; in all 204 minutes`
    colon = masked.find(":")
    if colon > 0 and _holds_a_value(masked[:colon]) and _is_breakdown(masked[colon + 1:]):
        segment, masked = segment[:colon], masked[:colon]
    consequence = deque(_CONSEQUENCE.finditer(masked), maxlen=1)
    if consequence and (consequence[0].group("correction") or not re.search(r"\banswer\b", masked[:consequence[0].start()], re.IGNORECASE)):
        start = consequence[0].end()
        if _holds_a_value(masked[start:]):
            return segment[start:], masked[start:]
    return segment, masked


def _is_breakdown(masked: str) -> bool:
    """Whether a stretch of a sentence (math masked) lists two or more parts, each with its own
    value and words (`Seattle 20, Charleston 80 and Toulouse 160`): what a total is made of."""
    items = [item for item in re.split(r",|;|\band\b", masked) if item.strip(" .")]
    return len(items) >= 2 and all(_BREAKDOWN_ITEM.fullmatch(item.strip(" .")) for item in items)


_BREAKDOWN_ITEM = re.compile(r"(?:[A-Za-z][\w']*\s+){0,3}\$?\d[\d,.]*(?:\s+[A-Za-z][\w']*){0,3}")
"""One part of a breakdown: a number with at most three words before and after it (`Seattle 20`,
`20 from Seattle`), no math, no equation."""


def _holds_a_value(masked: str) -> bool:
    """Whether a stretch of a sentence (math masked) holds math or a number."""
    return "\x01" in masked or re.search(r"\d", masked) is not None


def _with_scale(number: re.Match[str], segment: str) -> str:
    """A number in running text with the scale word after it (`$70 thousand`, `$70k`)."""
    rest = segment[number.end():]
    scale = _money_scale(number.group(0), rest)
    if scale is not None:
        return number.group(0) + " " + scale
    word = re.match(r"\s([A-Za-z]+)", rest)
    if word is not None and multiplier_of(word.group(1)):
        return number.group(0) + " " + word.group(1)
    return number.group(0)


def _money_scale(amount: str, rest: str) -> str | None:
    """The scale word of a scale letter right after an amount of money (`$70` then `k`: thousand; `1.43` then `k
    dollars`), or None."""
    scale = _MONEY_SCALE.match(rest)
    if scale is None:
        return None
    return money_scale_word(scale.group(1), dollar_sign="$" in amount, dollars_after=scale.group(2) is not None)


_OR_WORDS = r"or|oder|ou|o"
_OR_BETWEEN = re.compile(rf"\s+(?:{_OR_WORDS}|或者?)\s+|\s*或者?\s*")


def _plain_alternatives(segment: str) -> str | None:
    """Values in plain text joined by `or` after a marker, each one plain math, that are alternatives (`x = 1 or
    x = 5`, `x = 1 或 x = 5`; `_alternatives`): the list of them, which no single reference equals; None for
    anything else. Inequalities so joined are a union (`x < 2 or x > 3`: the list of inequalities reads as one)."""
    text = segment.strip().rstrip(".!。")
    parts = [part.strip() for part in _OR_BETWEEN.split(text)]
    if len(parts) < 2 or not all(part and _is_plain_math(part) for part in parts) \
            or not _alternatives(parts, comma_before_or=bool(re.search(r",\s*(?:or|或)", text))):
        return None
    return ", ".join(_clean(part) for part in parts)


def _hedged(segment: str) -> str | None:
    """What the words right after a marker state when they bound, deny, bracket or hedge a value
    (`not 5`, `at least $5$`, `between 5 and 6`, `5 or more`: the words themselves, which no
    reference equals; `either 5 or 6`: both values, a list no single reference equals; `not 5 but 6`:
    6); None when they do not, or when more than the value follows (`not hard to see: 5`)."""
    alternative = _OR_POSSIBLY.search(segment)
    if alternative is not None and _is_bare(segment[:alternative.start()]):
        other = segment[alternative.end():].strip().rstrip(".!").rstrip(")").strip()
        if _is_bare(other):  # `45 (or possibly 48)`: two values, a list no single reference equals
            return f"{_clean(segment[:alternative.start()])}, {_clean(other)}"
    hedge = _HEDGE.match(segment)
    if hedge is None:
        bound = _OR_MORE.search(segment)
        if bound is None or not _is_bare(segment[:bound.start()]) or segment[bound.end():].strip(" .!"):
            return None
        return _as_words(segment)
    rest = segment[hedge.end():].strip().rstrip(".!").strip()
    word = hedge.group(0).strip().lower()
    if word == "either":
        left, found, right = rest.partition(" or ")
        first, second = _hedged_value(left.strip()), _hedged_value(right.strip()) if found else None
        if not (first and second):
            return None
        if any(re.search(r",(?!\d{3}(?!\d))|\\(?:pm|mp)(?![A-Za-z])", value) for value in (first, second)):
            # `either $\boxed{-2,1}$ or $\boxed{-2}$`: a choice between two lists, which no reference equals (joined
            # into one list, its items would be the reference's)
            return _as_words(f"either {first} or {second}")
        return f"{first}, {second}"
    if word == "not":
        corrected = re.match(r".{1,200}?,?\s(?:but|it\s+is|it's)\s+(?:rather\s+)?(?=\S)", rest, re.IGNORECASE)
        if corrected is not None:  # `not $5$ but $6$`: the value it corrects to
            return _leading_value(rest[corrected.end():])
        if re.match(r"(?:\$[^$]*\$|\\\(.*?\\\)|[-+]?\d[\d.,]*)[^\d$\\]*\Z", rest):
            return _as_words(segment)  # `not $21$ here`: a denied value and words, no answer (`not 3; it is 4` goes on)
    if word == "between":
        low, found, high = rest.partition(" and ")
        values = found and _is_bare(low) and _is_bare(high)
    else:
        values = _is_bare(rest)
    if not values or not re.search(r"[\d$\\]", rest):
        return None
    return _as_words(segment)


def _hedged_value(part: str) -> str | None:
    """One value a hedge offers: a box's content (`either $\\boxed{-2}$ or ...`: `-2`), else the value it starts with."""
    boxed = _box_candidate(part)
    return boxed.answer if boxed is not None else _leading_value(part)


def _as_words(segment: str) -> str:
    """A hedge as the answer it gives: its words, math delimiters and runs of white space gone."""
    return _clean(re.sub(r"\s+", " ", segment.replace("$", " ")))


def _alternatives(values: list[str], comma_before_or: bool) -> bool:
    """Whether values joined by `or` are alternatives (`5 or 6`, `x = 5 or x = 6`, `1, 2, or 3`),
    not one value restated (`3x = 9, or x = 3`; `\\frac54, or -\\frac45`: two values with a comma
    before `or` say the second is what the first comes to): plain values, or equations of one left
    side."""
    if comma_before_or and len(values) == 2:
        return False
    sides = [value.split("=", 1)[0].replace(" ", "") if "=" in value else None for value in values]
    return all(side is None for side in sides) or (None not in sides and len(set(sides)) == 1)


def _closing_run(text: str, spans: list[MathSpan], gap: re.Pattern[str]) -> list[MathSpan]:
    """The last span of `text` with the spans before it that only `gap` separates, in order."""
    run = [spans[-1]]
    for span in reversed(spans[:-1]):
        if not gap.fullmatch(text[span.end:run[-1].start]):
            break
        run.append(span)
    run.reverse()
    return run


def _trailing_alternatives(segment: str) -> str | None:
    """The math spans that end a sentence as alternatives (`$x = 5$ or $x = 6$`, `$1$, $2$, or $3$`),
    as one list answer; None unless the last two spans are joined by `or` (`and` may join a
    value to another quantity: `$a = 3$ and $b = 4$`)."""
    spans = math_spans(segment)
    if len(spans) < 2 or segment[spans[-1].end:].strip(" \t.!"):
        return None
    run = _closing_run(segment, spans, _ALTERNATIVE_GAP)
    gaps = [segment[before.end:after.start] for before, after in zip(run, run[1:])]
    if not any("or" in gap for gap in gaps) or sum(1 for span in run if _clean(span.content)) < 2:
        return None
    return _math_run([span.content for span in run], gaps)


_ARE_THE_ANSWERS = re.compile(r"\s+(?:are|were)\s+(?:all\s+)?(?:the|its|our)\s+(?:only\s+)?(?:[a-z]+\s+){0,2}?"
                              r"(?:solutions|roots|zeros|zeroes|answers|values)\b[^$\\]*\Z", re.IGNORECASE)
"""Words after several values that call them the answers (`... are the solutions.`, `are the only real roots`)."""
_LIST_GAP = re.compile(r"\s{0,8}(?:,|,?\s{0,8}and)\s{0,8}", re.IGNORECASE)


def _listed_as_the_answers(segment: str) -> str | None:
    """The math spans a sentence names as its answers before saying so (`So $x = 70$ and $x = 110$ are the
    solutions.`), as one list answer; None unless two or more spans joined by commas or `and` come right before
    `are the solutions` (`_ARE_THE_ANSWERS`)."""
    called = _ARE_THE_ANSWERS.search(segment)
    if called is None:
        return None
    head = segment[:called.start()]
    spans = math_spans(head)
    if len(spans) < 2 or head[spans[-1].end:].strip():
        return None
    run = _closing_run(head, spans, _LIST_GAP)
    if len(run) < 2:
        return None
    return _math_run([span.content for span in run], [head[before.end:after.start] for before, after in zip(run, run[1:])])


_NEGATED_BEFORE = re.compile(r"(?:\bnot|\brather\s+than|\binstead\s+of|而不是|不是)\s{0,4}(?:(?:\\?\$|\\\()\s{0,2})?\Z",
                             re.IGNORECASE)
"""Words right before a value that deny it (`not $18`, `rather than 5`, `而不是 18`)."""
_JOINER = re.compile(r"\s*(?:[,，、]?\s*(?:(?:and|und|et|y|" + _OR_WORDS + r")(?![A-Za-z])|或者?|和|与|與|及)|[,，、])\s*",
                     re.IGNORECASE)
"""What joins the values of a list answer: commas, `and`, `or`, and the same words in other languages."""
_JOINED_BY_OR = re.compile(r"(?<![A-Za-z])(?:" + _OR_WORDS + r")(?![A-Za-z])|或", re.IGNORECASE)


def _math_run(contents: list[str], gaps: list[str]) -> str | None:
    """The answer written as math spans joined by commas, `and` or `or` (`gaps[i]` stands between
    `contents[i]` and `contents[i + 1]`): all the values as one list, or the last value when `or`
    joins values that are not alternatives (`_alternatives`: `$3x = 9$, or $x = 3$`)."""
    joined_by_or = comma_before_or = False
    for content, gap in zip(contents, gaps):
        if _JOINED_BY_OR.search(gap):  # the comma may close the math before it (`half of $1,$ or $\\frac12$`)
            joined_by_or = True
            comma_before_or = comma_before_or or "," in gap or "，" in gap or content.rstrip().endswith(",")
    values = [value for value in map(_clean, contents) if value]
    if not values:
        return None
    if joined_by_or and not _alternatives(values, comma_before_or):
        return values[-1]  # one value, restated
    return ", ".join(values)


_CHOICE_IN_TEXT = re.compile(r"\([A-J]\)")
_MATH_CONTAINER = re.compile(r"\\[\[(]|\\(?:boxed|fbox|framebox|begin|end)(?![A-Za-z])")
"""What holds math rather than being a value: delimiters, a box, an environment (`\\begin{align*}`)."""
_WORDS_IN_TEXT_COMMAND = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox|operatorname)\s*\{[^{}]*[A-Za-z]{2}")
_TIMES_TEN = re.compile(r"\\(?:times|cdot)\s*10\s*\^")
_LATEX_BESIDE_THE_VALUE = re.compile(
    r"\\(?:q?quad|[,;:! ])|\\(?:checkmark|square|blacksquare|Box|qed|Rightarrow|implies|Longrightarrow|approx|iff)"
    r"(?![A-Za-z])|;|\\\\\s*$|\((?=[^()]*(?:(?<![\\A-Za-z])[A-Za-z]{2}|%|\\approx|\\text|\\circ))[^()]*\)"
    r"|[\d}]\s+(?:[A-Za-z]{1,3}|\\Omega|\\mu[A-Za-z]*|\\circ)\s*\.?\s*$")
"""Undelimited LaTeX that holds more than the value: spacing before a unit or remark (`300 \\, K`), a proof
mark, an arrow or approximation, a remark in parentheses (`(50%)`), a unit word after it (`\\frac{3}{4} m`)."""
_NAME_EQUALS = re.compile(r"\s*[A-Za-z](?:_\{?\w+\}?)?\s*=")
_COMPUTATION_GOES_ON = re.compile(r"\s*(?:[-+*/×÷·=^]|\\(?:cdot|times|div)(?![A-Za-z]))")
"""What after a leading value says it is the first term of a computation, not the answer."""
_PLAIN_MATH_NAMES = frozenset({"pi", "sqrt", "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp"})
"""Plain-text spellings of constants and functions (`2pi`, `sqrt(3)/2`): math, not prose."""
_NUMBER_THEN_LETTER = re.compile(
    r"[-+]?[\d.,]+(?:[eE][-+]?\d{1,4})?[ \t]+(?!(?:" + "|".join(sorted(_PLAIN_MATH_NAMES)) + r")(?![A-Za-z]))[A-Za-z]",
    re.IGNORECASE)
"""A number, a space and a letter that begins no math name: a unit follows (`5 h`, `5 m^2`), not a factor."""


_BOLD_MARK = re.compile(r"(?<![\w)\]])\*\*|\*\*(?![\w(\[])")
"""Markdown's bold mark, not a program's power (`x**5`, `(x+1)**2`)."""


def _is_plain_math(segment: str) -> bool:
    """Words after a marker that are one value in plain text or undelimited LaTeX and nothing else:
    no word of prose or unit, and no math span, box or bold to read instead (`2x + 1`, `π/4`, `3, -4`,
    `12 × 5 = 60`, `\\frac12 at^2`, `\\{1, 2\\}`, `x \\in [0, 1]`)."""
    if "$" in segment or _BOLD_MARK.search(segment) or _MATH_CONTAINER.search(segment):
        return False  # a math span, a box, an environment or bold holds the value: read that instead
    if "\\" in segment and (_WORDS_IN_TEXT_COMMAND.search(segment) or _TIMES_TEN.search(segment)
                            or _LATEX_BESIDE_THE_VALUE.search(segment) or not brackets_balance(segment)
                            or "=" in segment and not _NAME_EQUALS.match(segment)):
        return False  # a word, unit, remark or computation beside the value: read the value apart (`_leading_value`)
    if _CHOICE_IN_TEXT.search(segment) or _NUMBER_THEN_LETTER.match(segment) or _CHOICE_LABEL.match(segment):
        return False  # `42 (B)`, `5 h`, `5 m^2`: a value and its choice letter or unit (`_leading_value`)
    return not _prose_words(segment) and _is_bare(segment)


def _prose_words(text: str) -> list[str]:
    """The runs of two or more letters in `text` outside LaTeX commands (`\\frac{..}` is not a
    word) that are not plain-text math names (`sqrt(3)/2`, `2pi`)."""
    plain = re.sub(r"\\[a-zA-Z]+(?:\{[^{}]*\})?", " ", text)
    return [match.group(0) for match in _WORDS.finditer(plain)
            if match.group(0).lower() not in _PLAIN_MATH_NAMES and not _is_product(plain, match.start(), match.end())]


def _is_product(text: str, start: int, end: int) -> bool:
    """Whether the letters `text[start:end]` are a product of variables inside math, not a word:
    written right after a digit or a closing group (`2abc`, `\\frac{1}{2}at^2`), against a power, an
    index or a brace (`e^{it}`), or, up to three letters in one case, beside an operator (`ab + ac + bc`,
    `abc+1`, `AB = 4`). A hyphen between letters joins words (`well-known`)."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before and (before.isdigit() or before in "^_{})") or after and after in "^_{}(":
        return True
    word = text[start:end]
    if len(word) > 3 or not (word.islower() or word.isupper()):
        return False  # `apples = 30`, `length*width`, `Tom+Ann`: words, whatever stands beside them
    left, right = text[:start].rstrip(), text[end:].lstrip()
    operators = "+*/=<>^"
    if left and (left[-1] in operators or left[-1] == "-" and (len(left) == start or not left[-2:-1].isalpha())):
        return True
    return bool(right) and (right[0] in operators or right[0] == "-" and right[1:2] in (" ", ""))


def _outside_math_marker(segment: str) -> str:
    """`segment` with every math span replaced by a placeholder of the same length, so that
    splitting at words never cuts inside math."""
    out = list(segment)
    for span in math_spans(segment):
        for index in range(span.start, span.end):
            out[index] = "\x01"
    return "".join(out)


def _restore_math(piece: str, segment: str) -> str:
    """The original text of `piece`, a tail of `_outside_math_marker(segment)`."""
    return segment[len(segment) - len(piece):]


def _without_math(segment: str) -> str:
    return "".join(" " if c == "\x01" else c for c in _outside_math_marker(segment))


_UNIT_AFTER_MATH = re.compile(r"[ \t]{1,3}(?P<unit>[A-Za-zÅµμ°][\wÅµμ°/²³⁻¹·^-]*(?:[ \t]+[A-Za-z][\w/²³⁻¹^-]*){0,2})"
                              r"[ \t]*[.,;!]?[ \t]*(?:\*\*|__)?[ \t]*\Z")
_SUPERSCRIPT_POWERS = (("⁻¹", "^-1"), ("⁻²", "^-2"), ("⁻³", "^-3"), ("²", "^2"), ("³", "^3"), ("·", " "))


_FOR_ALL_AFTER = re.compile(r"(.+?)[,;]?\s+(?:for\s+(?:all|every|each|any)|where|whenever)\b[^=<>]*\Z", re.DOTALL)
"""A value followed by the range it holds on (`f(x) = 2x for all positive reals x`, `x^2 + 1, where x is real`)."""
_MATH_CHOICE = re.compile(r"\\textbf\s*\{\s*\(([A-E])\)\s*\}|\(([A-E])\)")
"""A choice letter set as math: `$\\textbf{(D)}$`, `$(D)$`."""
_WHICH_IS = re.compile(r"\s*,?\s*(?:which\s+is|that\s+is|i\.e\.,?|namely)\s+")
_ONE_NAME_VALUES = re.compile(r"\s*([A-Za-z](?:_\{?\w+\}?)?)\s*=\s*-?\d+(?:\.\d+)?"
                              r"(?:\s*(?:,\s*(?:and|or)?|and|or)\s*\1\s*=\s*-?\d+(?:\.\d+)?)+\s*\.?\s*")
"""`n = 69 and n = 84`, `x = 1, x = 2 or x = 3`: the values of one unknown, joined by commas, `and` or `or`."""


def _unit_after_math(rest: str) -> str | None:
    """The unit written in words after the math span that holds a value, when nothing else follows it
    (`$5.89 \\times 10^{-7}$ nm`, `$8.64$ kg/m³`, `$100$ Mpc.`), in the plain spelling the unit tables read;
    None when the words are not one unit of `measures.measure_of` (or are `a.m.`/`p.m.`)."""
    match = _UNIT_AFTER_MATH.match(rest)
    if match is None or MERIDIEM_PATTERN.match(match.group("unit")):
        return None
    unit = match.group("unit")
    for superscript, power in _SUPERSCRIPT_POWERS:
        unit = unit.replace(superscript, power)
    return unit if measure_of(unit) is not None else None


def _leading_value(segment: str) -> str | None:
    """The value a stretch of words starts with: a math span (several joined by `and`/commas
    form a list), a bold value, a number or short LaTeX value, or a choice letter."""
    if not segment:
        return None
    environment_end = value_environment_at(segment, 0)
    if environment_end is not None:  # `Final answer: \\begin{pmatrix} -2 \\\\ 7 \\end{pmatrix}`: the matrix, not its last row
        return _clean(segment[:environment_end])
    if segment[0] in "$\\" and (span := math_span_at(segment, 0)) is not None:
        contents, gaps = [span.content], []
        rest = segment[span.end:]
        while True:
            joined = _JOINER.match(rest)  # `$1$, $2$, and $3$`, `$x=1$ 或 $x=5$`, `$x = 1$ und $x = 5$`
            if joined is None:
                break
            following = rest[joined.end():]
            if not following or following[0] not in "$\\" or (nxt := math_span_at(following, 0)) is None:
                break
            gaps.append(joined.group(0))
            contents.append(nxt.content)
            rest = following[nxt.end:]
        value = _math_run(contents, gaps)
        if value is None or len(contents) > 1:
            return value
        letter = _MATH_CHOICE.fullmatch(value.strip())
        which = _WHICH_IS.match(rest) if letter is not None else None
        if which is not None and (named := _leading_value(rest[which.end():])) is not None \
                and not _CHOICE_LETTER.match(named):
            return f"({letter.group(1) or letter.group(2)}) {named}"  # `$\textbf{(D)}$, which is $36$`
        unit = _unit_after_math(rest)
        return value if unit is None else f"{value} \\text{{ {unit}}}"
    bold = re.match(r"\*\*([^*\n]{1,80})\*\*", segment)
    if bold:
        inner = bold.group(1).strip()
        if _ONE_NAME_VALUES.fullmatch(inner):
            return _clean(inner)  # `**n = 69 and n = 84**`: every value of one unknown, a list
        return _value_in_words(inner) if len(inner.split()) > 3 else _clean(inner.strip("$"))
    label = _CHOICE_LABEL.match(segment)
    if label is not None:  # `(B) 27`, `(C) $\frac{1}{2}$`, `D) 12`: the letter with the value it labels
        value = _leading_value(segment[label.end():])
        if value and (value[0] in "-+.0123456789\\" or value[0].isalpha()) and not _CHOICE_LETTER.match(value):
            return f"({label.group(1) or label.group(2)}) {value}"
        word = _OPTION_WORDS.fullmatch(segment[label.end():])
        if word is not None:  # `(E) ellipse.`: the letter with the option's words
            return f"({label.group(1) or label.group(2)}) {word.group(1)}"
    choice = _CHOICE_LETTER.match(segment)
    if choice and (len(segment) <= 3 or segment[len(choice.group(0)):].lstrip()[:1] in ("", ".", ",", ")")
                   or segment.startswith("(")):
        return choice.group(1)
    surd = _PLAIN_SURD_VALUE.match(segment)
    if surd is not None:
        return _clean(surd.group(0))
    listed = _NUMBER_LIST.fullmatch(segment) or _NUMBER_ALTERNATIVES.match(segment)
    if listed:  # `5 and 7.`, `2, 3 or 4`: the whole stretch is a list of numbers; `204 or 210, depending ...`
        return ", ".join(number.replace(",", "") for number in _LIST_NUMBER.findall(listed.group(0)))
    plain = _PLAIN_VALUE.match(segment)
    if plain:
        value = plain.group(0)
        rest = segment[plain.end():]
        token = re.match(r"(?:[^\s,;\\，。；、：]|\\(?![,;:! ]))*", rest)  # not the backslash of a spacing command (`12\\, apples`)
        remark = re.match(r"\((?=[^\x00-\x7f])(?![π√∞])", token.group(0)) if token else None
        if token and token.group(0) and not remark and (not token.group(0)[0].isalpha() or token.group(0)[0] == "π"):
            value += token.group(0)  # `20000/π square meters`: π is the value's, not a word
            rest = rest[token.end():]
        if _COMPUTATION_GOES_ON.match(rest) and ("=" in rest or "\\approx" in rest):
            return None  # `\\binom{4}{2} \\cdot 2 = 12`: a computation, whose result comes after its `=` or `\\approx`
        money_scale = _money_scale(value, rest)
        if money_scale is not None:  # `$70k`, `$1.2M`: thousands, millions of dollars
            return _clean(value + " " + money_scale)
        unit = _TRAILING_UNIT.match(rest)
        if unit and (MERIDIEM_PATTERN.match(unit.group(1)) or is_droppable_phrase(unit.group(1))
                     or multiplier_of(unit.group(1))):
            value += " " + unit.group(1)  # `9 p.m.` and `1.5 million` are not `9`, `1.5`; `18 dollars` keeps its unit
        elif unit and multiplier_of(unit.group(1).split()[0]):
            value += " " + unit.group(1).split()[0]  # `70 thousand dollars`: the multiplier, not the unit after it
        return _clean(_TRAILING_PROSE.sub("", value)) or None
    spelled = spelled_number_prefix(segment)
    if spelled is not None:
        # `two hundred ninety six dollars`, `Forty-Eight.`: a number in words, with its unit
        rest = segment[spelled[1]:].strip().rstrip(".!")
        if not rest or is_droppable_phrase(rest):
            return _clean(f"{segment[:spelled[1]]} {rest}")
    return None


# ---------------------------------------------------------------- markers

def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    trailing = deque(pattern.finditer(text), maxlen=1)
    return trailing[0] if trailing else None


def _minerva_answer(text: str) -> str | None:
    marker = _last_match(_MINERVA, text)
    if marker is None:
        return None
    window = text[marker.end():marker.end() + MAX_SENTENCE_CHARS]
    end = _MINERVA_END.search(window)
    if end is None:
        return None
    segment = window[:end.start()].strip()
    boxed = _box_candidate(segment)
    if boxed is not None:
        return boxed.answer
    spans = math_spans(segment)
    with_unit = _SCIENTIFIC_THEN_UNIT.fullmatch(segment) if not spans else None
    if with_unit is not None and not (re.fullmatch(r"[-+]?\d+", with_unit.group(1))
                                      and re.fullmatch(r"[a-z]", with_unit.group(2))):
        # `7.4e-12 m`, `300 K`: the number, its unit kept apart as text (`3 n` is a product)
        return _clean(with_unit.group(1)) + f"\\text{{ {with_unit.group(2)}}}"
    if len(spans) == 1 and spans[0].start == 0 and _UNIT_WORDS_ONLY.fullmatch(segment[spans[0].end:]):
        unit = segment[spans[0].end:].strip().rstrip(".")
        # `$6.6 \times 10^{-34}$ J s`: the value, its unit (as text, which normalisation may drop) kept apart
        return _clean(spans[0].content + (f"\\text{{ {unit}}}" if unit else "")) or None
    return _clean(segment) or None


def _marker_candidates(body: str, asked: AskedQuantity | None = None) -> list[_Candidate]:
    """The last answer of each marker kind, each with the method that names its kind (markers
    are looked for in the last `MAX_MARKER_SCAN_CHARS` of the response, where answers are)."""
    offset = max(0, len(body) - MAX_MARKER_SCAN_CHARS)
    text = body[offset:]
    return [_Candidate(offset + c.position, c.answer, c.method) for c in _markers_in(text, asked)]


_JSON_STRING_BODY = r'(?:[^"\\\n]|\\.){1,300}'
_JSON_NUMBER = r"-?\d[\d.]*(?:[eE][-+]?\d+)?"
_JSON_ITEM = rf'(?:"{_JSON_STRING_BODY}"|{_JSON_NUMBER})'
_JSON_ANSWER = re.compile(rf'"(?:final_?answer|answer)"\s*:\s*(?:"({_JSON_STRING_BODY})"|({_JSON_NUMBER})'
                          rf'|(\[\s*{_JSON_ITEM}(?:\s*,\s*{_JSON_ITEM}){{0,30}}\s*\]))', re.IGNORECASE)
"""The answer field of a JSON object a response ends with (`{"answer": "18"}`, `{"final_answer": 16}`, a list
`{"answer": ["+2", "+1"]}`), as models asked for JSON output write it."""


def _json_list(array: str) -> str:
    """The items of a JSON array of strings and numbers as one list answer (`["+2", "+1"]` is `+2, +1`); the array as
    it is when it is not valid JSON."""
    try:
        items = json.loads(array, parse_float=str, parse_int=str)
    except ValueError:
        return array
    return ", ".join(str(item).strip() for item in items if str(item).strip())


def _json_string(body: str) -> str:
    """The text a JSON string literal's body writes (`\\\\frac` is `\\frac`); the body as it is when it is not valid JSON."""
    try:
        return json.loads(f'"{body}"')
    except ValueError:
        return body


def _markers_in(text: str, asked: AskedQuantity | None = None) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    gsm8k = _last_match(_GSM8K_MARKER, text)
    if gsm8k is not None:
        line_end = text.find("\n", gsm8k.end(), gsm8k.end() + MAX_SENTENCE_CHARS)
        line = text[gsm8k.end():line_end if line_end >= 0 else gsm8k.end() + MAX_SENTENCE_CHARS]
        value = _value_in_words(line, asked=asked) or _clean(line)
        if value:
            candidates.append(_Candidate(gsm8k.start(), value, "gsm8k_marker"))
    spelled = _last_match(_GSM8K_SPELLED, text)
    if spelled is not None and (gsm8k is None or spelled.start() > gsm8k.start()) \
            and number_from_words(spelled.group(1)) is not None:
        candidates.append(_Candidate(spelled.start(), spelled.group(1).strip(), "gsm8k_marker"))
    chosen = _last_match(_CHOICE_STATEMENT, text)
    if chosen is not None:
        candidates.append(_Candidate(chosen.start(), chosen.group(1) or chosen.group(2), "marker"))
    field = _last_match(_JSON_ANSWER, text)
    if field is not None:  # `{"answer": 9, "revenue": 18}`: the answer the object names, not its last number
        if field.group(1) is not None:
            value = _json_string(field.group(1))
        else:
            value = field.group(2) if field.group(2) is not None else _json_list(field.group(3))
        if value.strip():
            candidates.append(_Candidate(field.start(), _clean(value), "answer_line"))
    for pattern, method in ((_ANSWER_LINE, "answer_line"), (_ANSWER_INLINE, "answer_line"), (_ANSWER_HEADING, "answer_line"),
                            (_ANSWER_COLON, "final_answer"), (_ANSWER_IS, "marker"), (_ANSWER_IS_ABROAD, "marker"),
                            (_ANSWER_THEN_MATH, "marker")):
        for match in reversed(deque(pattern.finditer(text), maxlen=3)):
            sentence = _sentence_after(text, match.end())
            if match.group(0).count("**") % 2 or match.group(0).count("__") % 2:
                sentence = _BOLD_CLOSING.sub("", sentence, count=1)  # `**Answer: 2n**`: the bold the label opened
            if pattern is _ANSWER_IS and _SUPPOSED.search(_INLINE_CODE.sub(" ", text[max(0, match.start() - 60):match.start()])):
                continue  # `I initially thought the answer is 5, but ...`, `If the answer is 5, then ...`: not stated
            if pattern is _ANSWER_HEADING and not _is_bare(sentence):
                continue  # `**Answer**` over a worked solution: its first sentence is not the answer
            line_end = text.find("\n", match.end())
            rest_of_line = text[match.end():line_end if line_end >= 0 else len(text)]
            if method == "answer_line" and _SHORT_LABEL.search(match.group(0)) and len(rest_of_line.strip()) > 40:
                continue  # `A: After giving some away...` opens a worked answer; `A: 18` states one
            if method in ("marker", "answer_line", "final_answer") and _derivation_follows(text, match, rest_of_line):
                value = _final_sentence_answer(text[match.end():], asked)  # its result, not its first number
            else:
                value = _value_in_words(sentence, asked=asked) or _closing_word_answer(text, match.end())
            value = _parts_opened_by(text, match.end()) or _boxes_closing(text, match.end()) \
                or _bullets_closing(text, match.end()) or value
            if value and _DECIMAL_COMMA_LABEL.search(match.group(0)):
                value = decimal_comma_of_one_number(value)  # `Respuesta: 1,25`, `Die Antwort lautet: 9,6 Å`
            if value:
                final = method == "final_answer" or re.match(r"[\s>#*_]*final", match.group(0), re.IGNORECASE)
                candidates.append(_Candidate(match.start(), value, "final_answer" if final else method))
                break
    return candidates


_BOLD_CLOSING = re.compile(r"(?:\*\*|__)(?=[^\w\n]{0,8}(?:\n|\Z))")
"""The `**` that closes, at the end of its line, the bold an answer label opened (`**Answer: 2n**`)."""
_DERIVATION_STEP = re.compile(r"\d\s*(?:[-+*/×x·]|\\times|\\cdot)\s*\\?\$?\d")
"""An operation between two numbers (`3 x 68`, `100 * 0.02`, `$192 x $12`): a line that computes, not a result."""
_ENUMERATED = re.compile(r"[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+\S")
"""A line that opens a numbered or bulleted list (`1) $250 on newspaper ads`)."""


def _derivation_follows(text: str, marker: re.Match[str], rest_of_line: str) -> bool:
    """Whether an answer marker that ends its line (`Therefore, the answer is:`) is followed by a computation or a
    list over several lines (`3 x 68 = 204\n2 x 80 = 160\n...\nThe total cost was $694.`, `1) $250 on newspaper
    ads\n2) ...\n3) $1375 on all ads`), whose result comes last."""
    if "\n" not in marker.group(0) and rest_of_line.strip(" \t:*_"):
        return False
    lines = [line for line in text[marker.end():marker.end() + MAX_SENTENCE_CHARS].splitlines() if line.strip()]
    return len(lines) >= 2 and (_DERIVATION_STEP.search(lines[0]) is not None or _ENUMERATED.match(lines[0]) is not None)


def _boxes_closing(text: str, start: int) -> str | None:
    """The list answer of several boxes that are all a marker is followed by, one per line (`**Final Answer**` over
    `\\boxed{69}` and `\\boxed{84}`), else None: the marker's own line holds only the first."""
    rest = text[start:]
    if len(rest) > MAX_SENTENCE_CHARS * 4:
        return None
    boxes = _find_boxes(rest)
    if len(boxes) < 2 or _LIST_GAP_NOISE.sub("", rest[:boxes[0].start]).strip(" \t\n*_:") \
            or _LIST_GAP_NOISE.sub("", rest[boxes[-1].end:]).strip(" \t\n*_.") or _joined_tail(rest, boxes) != boxes:
        return None
    found = _box_candidate(rest)
    return found.answer if found is not None else None


_BULLETED_MATH = re.compile(r"[ \t]*(?:[-*•+]|\d{1,2}[.)])[ \t]+(?:\*\*|__)?(?:\$([^$\n]{1,200})\$|\\\(([^\n]{1,200}?)\\\)|"
                            r"(-?\d[\d,]*(?:\.\d+)?(?:/\d+)?))(?:\*\*|__)?[ \t.,;]*(?:\([^()\n]{1,80}\)[ \t.,;]*)?")
"""A bulleted or numbered line that is one math span or number (`- $x = 1$`, `2. $\\text{helicopters} = 4$`, `* 50`), with
a remark in parentheses after it (`- $254$ (if the ends are distinguishable)`)."""
_ITEM_NAME = re.compile(r"\s*(?:\\text\{[^{}]{1,30}\}|\\angle\s*[A-Z]{1,3}|\\?[A-Za-z]+(?:_\{?[\w,]{1,6}\}?)?"
                        r"(?:\([^()]{1,12}\))?)\s*")
"""What a listed item may name: a variable (`x`, `a_1`), a function's value (`e(18)`), an angle (`\\angle BAC`) or
words in `\\text`."""


def _bullets_closing(text: str, start: int) -> str | None:
    """The list answer of the bulleted lines that are all that follows a marker (`**Answer:**` over `- $x = 1$` and
    `- $x = -3$`), each one value or one name's value, else None: a bulleted derivation (`- $3 \\times 68 = 204$`) is
    worked out, not listed."""
    rest = text[start:]
    if len(rest) > MAX_SENTENCE_CHARS * 4:
        return None
    lines = [line for line in rest.splitlines() if line.strip(" \t*_")]
    if len(lines) < 2:
        return None
    items = []
    for line in lines:
        bullet = _BULLETED_MATH.fullmatch(line)
        if bullet is None:
            return None
        content = (bullet.group(1) or bullet.group(2) or bullet.group(3)).strip()
        sides = content.split("=")
        if len(sides) > 2 or (len(sides) == 2 and _ITEM_NAME.fullmatch(sides[0]) is None) or not sides[-1].strip():
            return None
        items.append(_clean(content))
    return ", ".join(items)


_FIRST_PART_LABEL = re.compile(r"[\s*_#>:\-]{0,16}(?:\((?:a|i)\)|a\)|part[ \t]{1,4}\(?(?:a|i|1)\)?(?![\w(]))",
                               re.IGNORECASE)


def _parts_opened_by(text: str, start: int) -> str | None:
    """The list answer of labelled parts that begin right after a marker (`**Final Answer:**` over
    `(a) \\boxed{3}` and `(b) \\boxed{5}`), else None: the marker's own sentence holds only part (a)."""
    if _FIRST_PART_LABEL.match(text, start) is None:
        return None
    boxed = _box_candidate(text[start:start + MAX_SENTENCE_CHARS])
    return boxed.answer if boxed is not None and boxed.parts >= 2 else None


_TIERS = {
    "auto": (("final_answer",), ("boxed",), ("answer_line", "gsm8k_marker", "marker")),
    "gsm8k": (("gsm8k_marker", "answer_line", "final_answer"), ("boxed",), ("marker",)),
}
"""Which answers win: the first tier that found one, and within a tier the latest in the text."""


def _bold_answer(text: str) -> str | None:
    tail = text.rstrip()
    last_line = tail[tail.rfind("\n") + 1:]
    match = _last_match(_BOLD, last_line)
    if match is None:
        return None
    inner = match.group(1).strip().strip("$").strip()
    if _ANSWER_LABEL.fullmatch(inner):
        return None  # `**Final Answer:**` is a label, not the answer
    if inner.endswith((":", "：")):  # `**Total:** $460`, `**Domain:** $(-\infty, 2)$`: the value the label names
        return _leading_value(last_line[match.end():].strip())
    if not inner or len(_WORDS.findall(inner)) > 2:
        return _value_in_words(inner) if inner else None
    return _clean(inner)


# ---------------------------------------------------------------- fallbacks

_UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u3000-\u303f\uff01-\uff0f]")
"""Scripts written without spaces between words (Chinese, Japanese, Korean) and their punctuation."""


def _is_bare(text: str) -> bool:
    """A short single-line text that is only a value is an answer in itself (`42`, `x = 3`,
    `4:30 PM`, `18 students`, `Monday`); a whole text in one math span is too."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_BARE_LATEX_CHARS or "\n" in stripped:
        return False
    if not braces_balanced(stripped) or _BOX_COMMAND.search(stripped) or not _HAS_CONTENT.search(stripped):
        return False
    if _UNSPACED_SCRIPT.search(stripped):  # `所以答案是8。`: a sentence without spaces, not a value
        return False
    span = math_span_at(stripped, 0)
    if span is not None and span.end == len(stripped.rstrip(".")):
        return True
    if "$" in stripped.replace("\\$", ""):
        return False
    words = _prose_words(stripped)
    if not words:
        return True  # LaTeX without prose, up to MAX_BARE_LATEX_CHARS
    if len(stripped) > MAX_BARE_CHARS:
        return False
    if not re.search(r"\d", stripped):
        if _ANSWER_LABEL.fullmatch(stripped.strip("*_ #")):
            return False  # `**Final Answer:**` alone: a label without its answer
        # a word answer: `Monday`, `odd`, `no solution`; a fraction in words: `one and a half`
        return len(words) <= 2 or fraction_from_words(stripped) is not None
    return all(is_droppable_phrase(word) or MERIDIEM_PATTERN.match(word) or word.lower() in _BARE_WORDS
               or multiplier_of(word)
               or re.fullmatch(r"(?:and|or)[A-Z]|[A-Z]{2,4}", word)
               or len(word) == 2 and word.lower() not in _SHORT_ENGLISH for word in words)


_CHECK_VERB = (r"(?:let'?s|let\s+us|we|to|now)?\s*(?:verify|check|checking|verification|confirm|substituting\s+back|"
               r"plugging\s+(?:it|this|these|that)?\s*(?:back\s+)?in)(?:\s+(?:this|that|it|the\s+answer|our\s+answer))?")
"""Words that open a check of a result already stated (`Let's verify`, `Check`, `Plugging it back in`)."""
_ATTAINED = (r"\b(?:attained|achieved|reached|occurs|happens)\s+(?:at|when|if|for)|"
             r"\bequality\s+(?:(?:holds|occurs)\s+)?(?:when|if|at|for)")
"""Words that say where a bound stated before is attained (`Equality holds when`)."""
_ATTAINMENT_CLAUSE = re.compile(rf"(?<=\S)(?:,\s*(?:which\s+(?:is\s+)?)?|\s+(?:and\s+(?:this|it)|which)\s+(?:is\s+)?)"
                                rf"(?:{_ATTAINED})\s", re.IGNORECASE)
"""A clause after a stated extremum that says where it is attained (`, attained at x = 4`, `, which occurs
when`): a final sentence's value comes before it."""
_JUSTIFIED_BY = re.compile(rf"(?:,\s*as|\b(?:since|because)|(?:^|[.!?:\n])\s*(?:{_CHECK_VERB}|indeed)|{_ATTAINED})\W{{0,4}}\Z",
                           re.IGNORECASE)
"""What opens a display environment as the reason for a result already stated (`The remainder is 3, as`,
a sentence `Let's verify:` or `Check:`) or as where it is attained; `we can rewrite the sum as`, `Note
that` and `Solving and checking:` open the derivation itself."""
_CHECK_SENTENCE = re.compile(rf"^\W*{_CHECK_VERB}\s*[:\-—]", re.IGNORECASE)
"""A sentence that checks a result stated before (`Check: $2(5) + 3 = 13$.`, `Let's verify: ..`), which the
final-sentence reading passes over unless it states a result itself (`_STATES_A_RESULT`); `Checking, we
find that 1, -3 are the roots` states one."""
_STATES_A_RESULT = re.compile(r"\b(?:so|thus|hence|therefore|answer)\b", re.IGNORECASE)
_SIGN_OFF = re.compile(r"^[\W_]*(?:let\s+me\s+know|(?:i\s+)?hope\s+(?:this|that|it)\s+helps|feel\s+free|"
                       r"if\s+you(?:'d|\s+would)\s+like|if\s+you\s+have\s+(?:any\s+)?(?:more\s+|other\s+|further\s+)?"
                       r"questions|happy\s+to\s+help|good\s+luck|thank\s+you|thanks(?:\s+for\b|\W*$)|"
                       r"would\s+you\s+like|do\s+you\s+want\s+me)", re.IGNORECASE)
"""A chat model's closing pleasantry (`Let me know if you'd like the cost of 2 or 3 other orders!`, `Hope this
helps!`): not where its answer is."""
_ASIDE = re.compile(r"^[\s>*_]*(?:tip|note|remark|aside|fun\s+fact|side\s+note)[*_\s]*[:：]", re.IGNORECASE)
"""A tip or note set apart after the result (`> **Tip:** overtime usually starts after 40 hours.`), passed over
like a check unless it states a result itself."""


_PARITY_STATED = re.compile(
    r"\bneither\s+(?:an?\s+)?(?:even|odd)\s+nor\s+(?:an?\s+)?(?:even|odd)\b"
    r"|\b(?:is|are)\s+(?:an?\s+)?(odd|even)\s+functions?\b"
    r"|\bfunctions?\b[^.;:]{0,60}?\b(?:is|are)\s+(odd|even)\b"
    r"|(?:\$\s*(?:[fgh]|[a-zA-Z]\s*\(\s*[a-z]\s*\))\s*\$|\b[a-zA-Z]\(x\))\s+(?:is|are)\s+(odd|even)\b(?!\s+(?:numbers?|integers?))",
    re.IGNORECASE)
"""A final sentence that states a function's parity in words (`Therefore, $f$ is an odd function.`, `So the
function is even.`, `$f(x)$ is neither even nor odd.`): its answer is the word (MATH's `\\text{odd}`, `even`,
`neither`), not the function's name."""


_GIVEN_AS_A_REASON = re.compile(r"\b(?:since|because|as|if|when|given)\b[^,;]*\Z", re.IGNORECASE)
_REASON_AFTER = re.compile(r"\W*(?:as|since|because|by)\b", re.IGNORECASE)


def _parity_stated(sentence: str) -> str | None:
    """The parity a sentence concludes (`_PARITY_STATED`), or None: not when it is the reason for
    something else (`Because $f$ is odd, $c = -d$`) or a value follows it (`the function is even, so
    $f(3) = 5$`), except in a justification (`, as $g(-x) = g(x)$`)."""
    match = _PARITY_STATED.search(sentence)
    if match is None or _GIVEN_AS_A_REASON.search(sentence, 0, match.start()):
        return None
    rest = sentence[match.end():]
    if (math_spans(rest) or re.search(r"\d", rest)) and not _REASON_AFTER.match(rest):
        return None
    return next((word.lower() for word in match.groups() if word), "neither")


def _final_sentence_answer(text: str, asked: AskedQuantity | None = None) -> str | None:
    tail = text[-MAX_FALLBACK_CHARS:]
    start = closing_environment_start(tail)
    if start is not None and _JUSTIFIED_BY.search(tail, max(0, start - 40), start):
        tail = tail[:start]  # `The remainder is 3, as \\begin{align*}..`: the result comes before its reason
    elif start is not None and (row := closing_display_row(tail)) is not None:
        return _clean(row) or None  # a derivation in `align*` ends the text: its last row states the result
    sentences = _sentences(tail)
    for sentence in reversed(sentences[-12:]):
        if re.search(r"I hope it is correct", sentence, re.IGNORECASE) or _SIGN_OFF.match(sentence) or (
                (_CHECK_SENTENCE.match(sentence) or _ASIDE.match(sentence)) and not _STATES_A_RESULT.search(sentence)):
            continue
        if (parity := _parity_stated(sentence)) is not None:
            return parity
        if not (math_spans(sentence) or re.search(r"\d", sentence)):
            continue
        unsupposed = _without_supposed_answers(sentence)  # `I initially thought the answer is $-1$, but ...`
        if unsupposed != sentence:
            sentence = unsupposed
            if not (math_spans(sentence) or re.search(r"\d", sentence)):
                return None  # the value it names is only supposed: no answer stated
        return _value_in_words(sentence[-MAX_SENTENCE_CHARS:], after_marker=False, asked=asked)
    return None


_SUPPOSED_ANSWER = re.compile(
    r"\b(?:" + _SUPPOSING + r")\b[^.!?\n=\d$]{0,40}?\banswer\s+(?:is|was|were|would\s+be|might\s+be|could\s+be)\s*:?\s*"
    r"(?:\$[^$\n]{1,200}\$|\\\([^\n]{1,200}?\\\)|[^\s,;]+)", re.IGNORECASE)
"""An answer a sentence only supposes, with its value (`I initially thought the answer is $-1$`, `if the answer were
6`): the final-sentence reading passes over it (`_SUPPOSED` keeps such a sentence from being an answer marker). No
math between the two (`... = 1,100 if X = 10 The answer is 10.` states its answer)."""


def _without_supposed_answers(text: str) -> str:
    """`text` with each answer it only supposes blanked out (`_SUPPOSED_ANSWER`)."""
    return _SUPPOSED_ANSWER.sub(" ", text) if "answer" in text.lower() else text


_SENTENCE_END = re.compile(r"\n|(?:(?<!\bi\.e)(?<!\be\.g)[.?]|!(?!" + _COMPUTATION_AFTER_A_FACTORIAL + r"))(?=\s|$)")
"""A line break or a full stop, question or exclamation mark before a space; not the `!` of `4! = 24`, nor the
stop of `i.e.` or `e.g.` (`$1,430 (i.e. $1,300 + $130).` is one sentence)."""


def _sentences(text: str) -> list[str]:
    """Split text into sentences at line breaks and full stops outside math spans; a display
    span (`$$..$$`, `\\[..\\]`) followed by a capitalised word ends a sentence too."""
    spans = math_spans(text)
    cuts: list[int] = []
    span_index = 0
    for match in _SENTENCE_END.finditer(text):
        where = match.start()
        while span_index < len(spans) and spans[span_index].end <= where:
            span_index += 1
        if span_index < len(spans) and spans[span_index].start <= where:
            continue  # inside math
        cuts.append(where)
    for span in spans:
        if text.startswith(("$$", "\\["), span.start) and re.match(r"\s+[A-Z]", text[span.end:span.end + 3]):
            cuts.append(span.end)
    sentences: list[str] = []
    start = 0
    for cut in sorted(set(cuts)):
        piece = text[start:cut].strip()
        if piece:
            sentences.append(piece)
        start = cut + (0 if cut < len(text) and text[cut] not in "\n.!?" else 1)
    if text[start:].strip():
        sentences.append(text[start:].strip())
    return sentences


def _last_number(text: str) -> str | None:
    """The last number of a text, unless words right before it deny it (`... is not $\\boxed{21}$.`); not one it only
    supposes (`_SUPPOSED_ANSWER`: `I initially thought the answer is $-1$, but ...`)."""
    tail = _without_supposed_answers(text[-MAX_FALLBACK_CHARS:])
    matches = deque(_NUMBER.finditer(tail), maxlen=1)
    if not matches:
        return None
    start = matches[0].start()
    enclosing = [span for span in math_spans(tail) if span.start < start < span.end and start - span.start <= 40]
    if enclosing:
        start = enclosing[-1].start  # `答案不是 $f(x)=1$。`: the words before the math deny its number
    if _NEGATED_BEFORE.search(re.sub(r"\\boxed\{\s*\Z", "", tail[max(0, start - 50):start])):
        return None
    return _clean(matches[0].group(0))


_TRAILING_SPACING = re.compile(r"(?:(?<!\\)\\[,;:! ]|\\q?quad\b|~|\s)+\Z")
"""LaTeX spacing at the end of an answer (`\\dfrac{14}{3}\\,`), taken off whole: stripping its comma alone
would leave a lone backslash."""


def _clean(answer: str) -> str:
    """Strip whitespace, math delimiters and a trailing full stop from a raw answer."""
    answer = answer.strip()
    for _ in range(4):
        before = answer
        for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if answer.startswith(opener) and answer.endswith(closer) and len(answer) >= len(opener) + len(closer):
                answer = answer[len(opener):len(answer) - len(closer)].strip()
        if not answer.endswith("\\.") and not (answer.endswith("...") and re.fullmatch(r"-?\d*\.\d{1,40}\.\.\.", answer)):  # `0.333...`
            answer = answer.rstrip(".").strip()
        answer = _TRAILING_SPACING.sub("", answer.strip("$").strip()).rstrip(",;:").strip()
        if answer.endswith(("**", "__")) and not answer.startswith(("**", "__")):
            answer = answer[:-2].strip()
        for quote in ('\\"', '"', "'", "“", "”", "`"):
            if len(answer) > 2 * len(quote) and answer.startswith(quote) and answer.endswith(quote):
                answer = answer[len(quote):-len(quote)].strip()
        if answer == before:
            break
    return answer


# ---------------------------------------------------------------- public

def response_body(text: str, *, ended_normally: bool = False) -> tuple[str | None, str | None]:
    """The part of a response that may hold its answer, or `(None, note)` when none does. An
    unterminated `<think>` holds no answer, unless the model ended normally: then its thinking is the
    body, with the note `UNTERMINATED_THINK` (`find_answer` takes only an answer stated outright there)."""
    thinking = None
    if _PROMPT_TURN.match(text):  # a whole chat transcript, its prompt's turns first: the response is the reply
        user_turns = [turn for turn in _USER_TURN.finditer(text) if not _TOOL_RESULT.match(text, turn.end())]
        reply = _ASSISTANT_TURN.search(text, user_turns[-1].end() if user_turns else 0)
        if reply is None:
            return None, "a chat transcript with no reply"
        text = text[reply.end():]
    response_start = _after_first(text, _THINKING_CLOSES)
    if response_start is None and not any(opening in text for opening in _THINKING_OPENS):
        response_start = 0
    turn = _INVENTED_TURN.search(text, response_start) if response_start is not None else None
    if turn is not None:  # a user's turn it invented after its response began, and what it wrote on from there
        text = text[:turn.start()]
    closed = _after_last(text, _THINKING_CLOSES)
    opened = _after_last(text, _THINKING_OPENS) if closed is None else None
    if closed is not None:
        text = text[closed:]
    elif opened is not None:
        if not ended_normally:
            return None, UNTERMINATED_THINK
        text, thinking = text[opened:], UNTERMINATED_THINK
    end_of_turn = next((match for match in _END_OF_TURN.finditer(text) if not _TOOL_EXCHANGE.match(text, match.end())),
                       None)
    if end_of_turn is not None:
        text = text[:end_of_turn.start()]
    given = _ANSWER_GIVEN.search(text)
    example = _NEXT_EXAMPLE.search(text, given.end()) if given is not None else _invented_example(text)
    if example is not None:
        text = text[:example.start()]  # the model's own answer came first; what follows is another problem
    if not text.strip():
        return None, "nothing after the thinking" if closed is not None else "empty response"
    return text, thinking


_INVENTED_ANSWER = re.compile(r"\n[ \t]*(?:Answer|A):")


def _invented_example(text: str) -> re.Match[str] | None:
    """The first next few-shot example a response without an answer phrase runs on into, when it is a whole invented
    example, a question with its own `Answer:` line after the response's working (`...2+1=3 bolts of fabric\n\n
    Question: Tony has ...\nAnswer: ...`); None otherwise (a `Question:` the response restates is not cut)."""
    example = _NEXT_EXAMPLE.search(text)
    if example is None or not text[:example.start()].strip():
        return None
    return example if _INVENTED_ANSWER.search(text, example.end()) else None


def _after_first(text: str, delimiters: tuple[str, ...]) -> int | None:
    """The index just past the first of `delimiters` in `text`, or None when there is none."""
    ends = [text.find(delimiter) + len(delimiter) for delimiter in delimiters if delimiter in text]
    return min(ends) if ends else None


def _after_last(text: str, delimiters: tuple[str, ...]) -> int | None:
    """The index just past the last of `delimiters` in `text`, or None when there is none."""
    ends = [text.rfind(delimiter) + len(delimiter) for delimiter in delimiters if delimiter in text]
    return max(ends) if ends else None


UNTERMINATED_THINK = "unterminated <think>"


def find_answer(text: object, style: str = "auto", *, ended_normally: bool = False, cut_off: bool = False,
                asked: AskedQuantity | None = None) -> Extraction:
    """The final answer of a response and how it was found (module rules); never raises on text.

    Texts that are not `str` or are empty have no answer; NUL bytes and lone surrogates are read as
    U+FFFD (`readable_text`). `ended_normally`: the model stopped on its own (finish reason "stop"),
    so a `<think>` it never closed ends in its answer when one is stated outright (a box, a final
    answer line); without it, or with only a fallback found there, such a response has no answer.
    `cut_off`: the response was cut at `max_tokens` (finish reason "length"). Then only an answer
    stated outright counts; the line being written when the cut came (the sentence, in a text of one
    line) is read only when the lines before it state none, and only for a box it closed (`The answer
    is 9` may be 91); an answer the text goes on to doubt (`\\boxed{60}? Let me verify`, `Wait, no`,
    `Hmm`, `That doesn't seem right`, `let me reconsider`) is not one: the model was still thinking, as
    a reasoning model whose chat template opened `<think>` in the prompt writes no tag of its own. Two
    fallbacks count there: a final box cut off after the value it began was stated (in the lines before
    it, or as the closed thinking's answer), and a sentence repeated until the cut. `asked`: what
    kind of number the question asks for (`question.asked_quantity`), which picks the value of an
    answer sentence that names several (`It takes Carla 160 minutes to download the 200 GB file.`).
    """
    if style not in EXTRACTION_STYLES:
        raise ValueError(f"unknown extraction style {style!r}; choose one of {', '.join(EXTRACTION_STYLES)}")
    if not isinstance(text, str) or not text:
        return Extraction(None, None, "not text")
    readable = readable_text(text[-MAX_SCAN_CHARS:])
    body, note = response_body(readable, ended_normally=ended_normally)
    if body is None:
        return Extraction(None, None, note)
    if cut_off and readable.endswith(body):  # what comes before the body is the thinking it closed, if any
        return _answer_of_cut_off(body, style, asked, readable[:len(readable) - len(body)])
    found, _ = _answer_in_body(body, style, asked)
    if found.answer is None or found.method in STATED_OUTRIGHT:
        return found
    # only a fallback found: it counts where the response ended as a whole response does
    if cut_off:  # cut in what followed a whole response (an invented next example)
        return Extraction(None, None, f"cut at max_tokens; only a {found.method} fallback found")
    if note == UNTERMINATED_THINK:
        return Extraction(None, None, f"{UNTERMINATED_THINK}: only a {found.method} fallback found")
    if _GAVE_UP.search(body[-MAX_FALLBACK_CHARS:]):
        return Extraction(None, None, f"says it found no answer; only a {found.method} fallback found")
    if not ended_normally and _broken_off(body):
        return Extraction(None, None, f"ends inside a sentence that states no result (cut off?); only a {found.method} "
                                      "fallback found before it")
    return found


_GAVE_UP = re.compile(r"\b(?:I|we)\s+(?:still\s+)?(?:could\s+not|couldn'?t|can'?t|cannot|was\s+unable\s+to|am\s+unable\s+to|did\s+not\s+manage\s+to|"
                      r"failed\s+to)\s+(?:(?:determine|find|solve|compute|work\s+out|get|reach)\s+(?:the\s+|a\s+)?"
                      r"(?:final\s+|correct\s+|exact\s+)?(?:answer|solution|problem|result)\b|(?:finish|complete)\b)",
                      re.IGNORECASE)
"""A response that says, in its own voice, that it found no answer (`I could not determine the answer.`, `I could not
finish.`; not `She could not finish the cake`): a number its fallback readings would take from it (`This attempt took
7 minutes.`) is none. An answer stated outright (a box, an answer line) stands."""


def _broken_off(body: str) -> bool:
    """Whether a text stops inside a sentence that names no value, as one cut at a token limit does (`... we find
    $y = 809$. Substituting this into the second rela`): no full stop or closing bracket at its end, and no digit or
    math in its last sentence (or, after its last value, a result just begun: `_GOES_ON_TO_A_RESULT`), and no sign-off
    (`Hope this helps`). `She has 18 apples left` is a finished answer."""
    end = body.rstrip()
    if not end or not (end[-1].isalpha() or end[-1] in ",;:-("):
        return False
    sentences = _sentences(end[-MAX_SENTENCE_CHARS:])
    last = sentences[-1]
    if len(sentences) < 2 or _SIGN_OFF.match(last):
        return False
    values_end = max([span.end for span in math_spans(last)] + [match.end() for match in re.finditer(r"\d", last)],
                     default=None)
    if values_end is None:
        return "\\" not in last
    return bool(_GOES_ON_TO_A_RESULT.search(last[values_end:]))  # `we get $y = 809$, and therefore the requi`


_GOES_ON_TO_A_RESULT = re.compile(r"\b(?:therefore|thus|hence|so|giving|gives|equals)(?:\s+\S+){0,2}\s*\Z",
                                  re.IGNORECASE)
"""A clause that has just begun to state a result when the text stops (`, and therefore the requi`); `, so we are
done` and `, which confirms our earlier calculation` are finished."""


def _answer_of_cut_off(body: str, style: str, asked: AskedQuantity | None, thinking: str) -> Extraction:
    """`find_answer` of a response cut at `max_tokens` (see there); `thinking`: the thinking the model closed
    before `body`, if any."""
    complete = body[:_last_complete_end(body)]
    found, position = _answer_in_body(complete, style, asked) if complete.strip() else (Extraction(None), -1)
    if found.method not in STATED_OUTRIGHT:
        earlier = found
        found, position = _answer_in_body(body, style, asked)
        if found.method != "boxed" and complete:  # the line being written: only a box it closed is read there
            found, position = Extraction(None, None, "cut at max_tokens inside its answer line"), -1
        cut_box = _cut_box_content(body) if found.answer is None else None
        if cut_box is not None:
            for restated in (earlier, _answer_in_body(thinking, style, asked)[0] if thinking else earlier):
                if restated.answer is not None and _same_characters(cut_box, restated.answer):
                    return restated  # `She makes $18 a day.\n\nThe final answer is $\boxed{18` cut: the value stated
        if found.answer is None and earlier.answer is not None and _repeated_to_the_end(complete):
            return earlier  # a loop restating its answer until the cut
    if found.answer is None:
        return found
    if found.method not in STATED_OUTRIGHT:
        return Extraction(None, None, f"cut at max_tokens; only a {found.method} fallback found")
    if _UNFINISHED_ALTERNATIVE.match(body, _statement_end(body, position)):
        return Extraction(None, None, "cut at max_tokens while offering another answer (`.. or` after it)")
    doubt = _DOUBT.search(body, position) or _ASKED_BACK.match(body, _statement_end(body, position))
    if doubt is not None:
        return Extraction(None, None, f"cut at max_tokens while checking its answer ({doubt.group(0).strip()[-40:]!r} after it)")
    return found


def _last_complete_end(body: str) -> int:
    """Where the text before the line (or, in a text of one line, the sentence) being written at a cut ends."""
    line = body.rfind("\n")
    if line > 0:
        return line
    sentence = deque(re.finditer(r"[.!?](?=\s)", body[-4 * MAX_SENTENCE_CHARS:]), maxlen=1)
    return len(body) - min(len(body), 4 * MAX_SENTENCE_CHARS) + sentence[0].end() if sentence else 0


def _cut_box_content(body: str) -> str | None:
    """What the last box of a text holds when the text ends inside it (`... is $\\boxed{70{,}000`), else None."""
    start = _unclosed_last_box(body, MAX_SENTENCE_CHARS)
    rest = body[start:].lstrip(" \t") if start is not None else ""
    return (rest[1:].strip() or None) if rest.startswith("{") else None


def _same_characters(first: str, second: str) -> bool:
    """Whether two answers are written with the same letters and digits (`70{,}000`, `\\$70,000`)."""
    def key(text: str) -> str:
        return re.sub(r"[^0-9A-Za-z]|\\(?:text|mathrm|dfrac|tfrac|left|right)", "", text.replace("\\frac", "frac"))
    return bool(key(first)) and key(first) == key(second)


def _repeated_to_the_end(text: str) -> bool:
    """Whether a text ends in one sentence written over and over (at least three times in a row)."""
    sentences = [sentence.strip() for sentence in re.split(r"(?<=[.!?])\s+|\n+", text[-4 * MAX_SENTENCE_CHARS:])
                 if sentence.strip()]
    return len(sentences) >= 3 and len(sentences[-1]) >= 8 and sentences[-1] == sentences[-2] == sentences[-3]


def _statement_end(body: str, position: int) -> int:
    """Where the answer stated at `position` ends: past its box when one opens there, else `position`."""
    boxes = _find_boxes(body[position:position + MAX_SENTENCE_CHARS])
    return position + boxes[0].end if boxes and boxes[0].start == 0 else position


_UNFINISHED_ALTERNATIVE = re.compile(r"[\s$.)\\\]]*(?:or|and|,|;|/|\+|plus|und|oder|ou|o|或)\s*\Z", re.IGNORECASE)
"""What a text cut at `max_tokens` ends in right after its answer when it was naming another (`The answer is either
$\\boxed{197}$ or`): the answer is not committed."""
_ASKED_BACK = re.compile(r"(?:[^.!?\n]|\.(?=\d)){0,300}?\?(?:\s|\Z)")
"""An answer whose own sentence ends in a question mark (`So the answer is $\\boxed{60}$? Let me verify`)."""


STATED_OUTRIGHT = frozenset({"minerva", "final_answer", "boxed", "answer_line", "marker", "gsm8k_marker"})
"""Extraction methods that state an answer outright; the others (`bold`, `bare`, `final_sentence`,
`last_number`) are fallbacks, trusted only where a response ended as a whole response does (not in an
unterminated `<think>`, nor, in the grading API, in a response cut at `max_tokens`)."""


_RETRACTED = (r"I\s+made\s+an?\s+(?:\w+\s+)?(?:error|mistake|slip)|I\s+was\s+wrong|I\s+(?:forgot|miscounted|miscalculated|"
               r"mis-?copied|misread|dropped|omitted|overlooked|neglected|double[- ]counted|left\s+out)|"
               r"I\s+(?:see|spot|spotted|notice|noticed|found)\s+an?\s+(?:\w+\s+)?(?:error|mistake|slip)|"
               r"correction:|correcting\b|edit:|fixing\s+(?:it|this|that)|(?:hmm+|oh|oops|ah),?\s+no\b|"
               r"on\s+(?:second\s+thought|reflection)|(?:I\s+)?still\s+need\s+to\s+(?:add|subtract|include|multiply|divide|"
               r"remove|take|account)|should\s*n[o']t\s+(?:be\s+there|have\s+been)|"
               r"should\s+(?:actually\s+)?be(?=\s+[^.\n]{1,60}?\s+instead\b)|"
               r"(?:but|however),?\s+(?:wait,?\s+)?the\s+(?:question|problem)\s+(?:actually\s+|really\s+)?(?:asks|wants|is\s+asking)|"
               r"(?:that|this)(?:'s|\s+is|\s+was)\s+(?:wrong|incorrect|not\s+right)|"
               r"me\s+equivoqu[ée]|je\s+me\s+suis\s+tromp[ée]|ich\s+habe\s+mich\s+(?:geirrt|verrechnet)")
_RETRACTED_CJK = r"不对|错了|我算错了?|更正|重新计算"
"""The same words in Chinese, which no word boundary sets apart from the characters around them."""
_RETRACTION = re.compile(rf"\b(?:wait|oops|no,|actually|{_RETRACTED})|{_RETRACTED_CJK}", re.IGNORECASE)
"""Words that take back an answer already given (`\\boxed{5}... no wait, I made an error`, `the count is
actually 218`), before an answer line."""
_RETRACTED_OUTRIGHT = re.compile(rf"\b(?:{_RETRACTED})|{_RETRACTED_CJK}", re.IGNORECASE)
"""Words that say outright that an answer already given is wrong (`Wait, that's wrong: ...`, `I made an
arithmetic slip`), after which a final sentence states the corrected value; a bare `Wait` opens a check as often."""

_DOUBT = re.compile(r"\b(?:wait(?:,?\s+(?:no|but|that|this|actually|hold|maybe|perhaps|is|was|I|did)|\s+a\s+(?:second|minute|moment))|"
                    r"hold\s+on|hmm+|on\s+second\s+thoughts?|having\s+second\s+thoughts|confused|start\s+over|"
                    r"jump\s+to\s+conclusions|let\s+me\s+(?:re-?(?:examine|consider|think|compute|calculate|derive|do|"
                    r"try)|think\s+again)|not\s+(?:(?:fully|entirely|completely|quite|totally|so)\s+)?(?:sure|certain|confident)|"
                    r"but\s+(?:maybe|perhaps|hold|wait|actually)|alternatively,?\s+(?:maybe|perhaps)|maybe\s+the\s+(?:intended|problem|"
                    r"question)|is\s+(?:that|this|it)\s+(?:right|correct)|(?:seems|looks)\s+(?:wrong|off|too)|"
                    r"(?:does\s*n[o']t|do\s*n[o']t|can\s*n?[o']t|cannot)\s+(?:seem\s+)?(?:be\s+)?(?:right|correct|match|add\s+up)|"
                    r"(?:might|may|could)\s+(?:be\s+an?\s+(?:error|mistake)|have\s+(?:made|the|it|this|that|gotten|got))|"
                    r"I'?m\s+worried|" + _RETRACTED + r")\b", re.IGNORECASE)
"""Words after an answer in a response cut at `max_tokens` that say the model was still working on it, not that
it checks what it is sure of (`Let me verify again.`, `Wait, let me double check this by another method.` keep
the answer)."""


_ALTERNATIVE_AFTER = re.compile(r"\b(?:it|the\s+answer|that|this)\s+(?:could|might|may)\s+(?:also|instead|equally|just\s+as\s+well)"
                                r"\s+be\b|\bor\s+(?:possibly|perhaps|maybe)\b", re.IGNORECASE)
"""Words after an answer that offer another value beside it (`it could also be 25`, `or possibly 48`)."""


_REQUESTED_IS = re.compile(r"\bthe\s+(?:requested|desired|required|sought|asked(?:[- ]for)?)\s+(?:final\s+)?(?:answer|sum|"
                           r"quantity|result|total|number|remainder|difference|product)\s+(?:is|equals|=)\s*:?", re.IGNORECASE)
"""Words that name the quantity the question asks for (`the requested sum is $371$`, `the desired answer is 23`);
not a named intermediate (`(The desired probability is $\\frac{115}{256}$.)` after the box that answers)."""


def _is_a_number(answer: str) -> bool:
    return not re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", answer))


def _differs(value: str, best: _Candidate) -> bool:
    """Whether a value stated after the best candidate is another than its answer (spaces aside)."""
    return re.sub(r"\s+", "", value) != re.sub(r"\s+", "", best.answer or "")


def _asked_value_after(best: _Candidate, body: str, asked: AskedQuantity | None) -> _Candidate | None:
    """The number stated after the boxed answer for the quantity the question asks for, when the box holds
    something else: an equation for the asked expression (`Therefore $AP = \\boxed{\\frac{100}{13}}$. So $m+n =
    100 + 13 = 113$.` for "Find $m+n$": 113), or words that name it (`..., and the requested sum is $371$.`); None
    when there is none (a restatement in other names, `t^2 = OP \\cdot OQ = pq`, is not one)."""
    if best.method not in ("boxed", "final_answer"):
        return None
    requested = _last_match(_REQUESTED_IS, body[best.position:])
    if requested is not None:
        start = best.position + requested.end()
        value = _value_in_words(_sentence_after(body, start), asked=asked)
        if value and _is_a_number(value) and _differs(value, best):
            return _Candidate(start, _clean(value), "marker")
    if asked is None or not asked.expressions:
        return None
    for span in reversed(math_spans(body)):
        if span.start <= best.position:
            break
        sides = [side.strip() for side in span.content.split("=")]
        if len(sides) >= 2 and re.sub(r"\s+", "", sides[0]) in asked.expressions and sides[-1] \
                and _is_a_number(sides[-1]) and _differs(sides[-1], best):
            return _Candidate(span.start, _clean(sides[-1]), "marker")
    return None


_VALUE_THEN_CHOICE = re.compile(r"(\$[^$\n]{1,80}\$|-?\d[\d,]*(?:\.\d+)?)\s*,?\s*(?:which\s+is|i\.e\.,?|that\s+is)\s+"
                                r"(?:answer\s+|choice\s+|option\s+)?\$?\s*(?:" + _MATH_CHOICE.pattern + ")")
"""A value the response names as one of the choices before it states the letter alone (`This gives $27$, which is
choice $\\textbf{(C)}$. ... $\\boxed{\\textbf{(C)}}$`)."""
_LETTER_ALONE = re.compile(r"\\textbf\s*\{\s*\(([A-E])\)\s*\}|\(?([A-E])\)?")


def _choice_with_its_value(best: _Candidate, body: str) -> _Candidate:
    """A choice letter stated alone, with the value the response named it by just before (`(C) 27`), so that it
    can be graded against a reference that is the value, where the question does not list the choices."""
    letter = _LETTER_ALONE.fullmatch((best.answer or "").strip())
    if letter is None:
        return best
    named = _last_match(_VALUE_THEN_CHOICE, body[max(0, best.position - 400):best.position])
    if named is None or (named.group(2) or named.group(3)) != (letter.group(1) or letter.group(2)):
        return best
    value = named.group(1).strip("$").strip()
    return _Candidate(best.position, f"({letter.group(1) or letter.group(2)}) {_clean(value)}", best.method)


def _stated_after_a_retraction(best: _Candidate, candidates: list[_Candidate], body: str,
                               asked: AskedQuantity | None = None) -> _Candidate | None:
    """An answer line stated after the last box (or `Final answer:` line), when words between them take
    it back (`The answer is $\\boxed{5}$... no wait, I made an error. The correct answer is 6.`), or the
    value of the final sentence after words that say it is wrong (`Wait, that's wrong: ... the area is
    $\\frac{3}{4}$.`)."""
    if best.method not in STATED_OUTRIGHT:
        return None
    later = [c for c in candidates if c.position > best.position and c.method in ("answer_line", "marker", "gsm8k_marker")]
    if later and best.method in ("boxed", "final_answer"):
        last = max(later, key=lambda c: c.position)
        return last if _RETRACTION.search(body, best.position, last.position) else None
    retracted = _last_match(_RETRACTED_OUTRIGHT, body[best.position:])
    if retracted is None:
        alternative = _last_match(_ALTERNATIVE_AFTER, body[best.position:])
        other = _final_sentence_answer(body[best.position + alternative.end():], asked) if alternative else None
        # `\boxed{15}? I'm not sure; it could also be 25.`: two values, a list no single reference equals
        return _Candidate(best.position, f"{best.answer}, {other}", best.method) if other else None
    corrected = _final_sentence_answer(body[best.position + retracted.end():], asked)
    return _Candidate(best.position + retracted.end(), corrected, "final_sentence") if corrected else None


_PLAIN_STATEMENT_OPENING = re.compile(
    r"(?:(?:so|thus|therefore|hence|then|now|finally|overall|altogether|in\s+total|in\s+all|adding\b[^,:]{0,30}|"
    r"combining\b[^,:]{0,30}|summing\b[^,:]{0,30}|now\s+the\s+final\s+step)\s*[,:]?\s*){0,2}"
    r"(?:(?:the|our|my)(?:\s+(?:final|correct))?)?\s*\Z", re.IGNORECASE)
"""What may stand in a sentence before an answer statement that commits to a value after the last box: a connective
(`So`, `Adding the two cases,`, `Now the final step:`) and `the`; not a hedge (`Or maybe the`, `Perhaps the`,
`Alternatively, the`, `Under the other reading of the problem, the`), another problem (`For the companion problem,
... the`) or a phrase that names something else (`The number of cases we had to check to get the`)."""
_HEDGE_OPENING = re.compile(r"\W{0,4}(?:or\s+(?:else\s+)?(?:maybe|perhaps|possibly)|maybe|perhaps|possibly|alternatively|also|"
                            r"or|otherwise)\b", re.IGNORECASE)
"""The opening of an answer statement that offers its value beside the one boxed (`Or maybe the`, `Perhaps the`,
`Alternatively, the`, `Also, the`)."""
_BOUNDED_STATEMENT = re.compile(r"\s*:?\s*(?:not|never|no|less|more|greater|smaller|fewer|larger|at\s+(?:least|most)|about|"
                                r"around|roughly|approximately|between|under|over|below|above|close|probably|likely|"
                                r"maybe|perhaps|either|would|could|might|may|will|should|also)\b|\s*n't\b",
                                re.IGNORECASE)
"""Words after `the answer is` that bound, doubt or deny the value rather than state it (`less than 435`, `not 6`)."""
_ANSWER_LABEL_WORD = re.compile(r"[\s>#*_]{0,8}(?:final\s+)?answer\b", re.IGNORECASE)


def _stated_after_the_box(best: _Candidate, candidates: list[_Candidate], body: str) -> _Candidate | None:
    """An answer stated outright after the last box, another value than the box's, that closes the response: the box
    was a step on the way (`So far we have $\\boxed{9}$. Now the final step: the answer is 18.`; each case's count
    boxed, then `Adding the two cases, the answer is $68 + 136 = 204$.`). Only a plain commitment counts: one
    `Answer:` line or one "the answer is" sentence after the box, opened by no more than a connective
    (`_PLAIN_STATEMENT_OPENING`), whose value is not bounded, doubted or denied (`_BOUNDED_STATEMENT`), with at most
    a short remark after it. A hedge (`Or maybe the answer is 204.`), a remark about something else, or two statements
    (`The answer is 40. The answer is 27.`) leave the box the answer."""
    if best.method != "boxed":
        return None
    after = max(best.position, best.end)
    later = [c for c in candidates if c.position > after and c.method in ("answer_line", "marker", "gsm8k_marker")]
    if len(later) != 1 or len(list(_ANSWER_IS.finditer(body, after))) > 1:
        return None
    last = later[0]
    if not last.answer or not _differs(last.answer, best):
        return None
    if last.method == "answer_line":
        if not _ANSWER_LABEL_WORD.match(body, last.position) and "\n" in body[last.position:].strip():
            return None  # `A: (320, 0)` over `B: (0, 328)` names points; `Answer: 18`, or `A: 70` last, states an answer
    else:
        statement = _ANSWER_IS.match(body, last.position) or _ANSWER_IS_ABROAD.match(body, last.position)
        if statement is None or _BOUNDED_STATEMENT.match(body, statement.end()):
            return None  # `a calculator gives the answer $33.98$`, `the answer is less than 435`
        sentence_start = max(body.rfind(mark, after, last.position) for mark in (". ", "! ", "? ", "\n", "$."))
        opening = body[max(sentence_start, after) + 1:last.position].strip(" \t*_$.")
        if _HEDGE_OPENING.match(opening):
            # `\boxed{468}. Or maybe the answer is 474.`: a second value offered beside the box, a list no single
            # reference equals
            return _Candidate(last.position, f"{best.answer}, {last.answer}", "boxed")
        if len(opening) > 60 or not _PLAIN_STATEMENT_OPENING.fullmatch(opening):
            return None
    closing = _sentence_after(body, last.position)
    if len(body[last.position + len(closing):].strip()) > 60:
        return None  # the response goes on after it
    return last


_HEDGED_CONCLUSION = re.compile(r"\b(?:depend(?:s|ing)?|either|maybe|perhaps|possibly|whichever|if)\b", re.IGNORECASE)
"""Words that make a concluding paragraph no conclusion (`Hence, depending on the case, the answer is 7.`)."""


def _concluded_after_parts(best: _Candidate, body: str, asked: AskedQuantity | None) -> _Candidate | None:
    """The value of a last paragraph that concludes from the boxes of labelled parts or cases without a box of its own
    (`Case 1: $\\boxed{98}$ ways. Case 2: $\\boxed{196}$ ways.` then `Total: $98 + 196 = 294$.`, `Hence $m + n = 55$.`):
    the parts were steps, and the conclusion answers; None otherwise (the list of the parts stands)."""
    if best.method != "boxed" or best.parts < 2 or best.end < 0:
        return None
    rest = body[best.end:]
    if len(rest) > MAX_SENTENCE_CHARS * 2:
        return None
    paragraphs = re.split(r"\n[ \t]*\n", rest)
    last = paragraphs[-1].strip()
    if len(paragraphs) < 2 or not last or "\n" in last or _CONCLUSION.match(last) is None \
            or _BOX_COMMAND.search(last) or _RETRACTION.search(last) or _HEDGED_CONCLUSION.search(last):
        return None
    value = _final_sentence_answer(last, asked)
    return _Candidate(len(body) - len(rest) + rest.rfind(last), value, "final_sentence") if value else None


def _answer_in_body(body: str, style: str, asked: AskedQuantity | None = None) -> tuple[Extraction, int]:
    """The answer of a response body and where its statement ends (-1 when none is stated outright)."""
    body = _UNICODE_MINUS.sub("-", body)  # one character for one: positions do not move
    if style == "boxed":
        boxed = _box_candidate(body)
        return (Extraction(boxed.answer, "boxed"), boxed.position) if boxed else (Extraction(None, None, "no box"), -1)
    minerva = _minerva_answer(body)
    if minerva:
        return Extraction(minerva, "minerva"), len(body)
    candidates = _marker_candidates(body, asked)
    boxed = _box_candidate(body)
    if boxed is not None:
        candidates.append(boxed)
    for tier in _TIERS[style]:
        found = [c for c in candidates if c.method in tier]
        if found:
            best = max(found, key=lambda c: c.position)
            if boxed is not None and boxed.offers_two and boxed.position > best.position:
                best = boxed  # `Answer: $\boxed{62}$ Alternatively, if ...: $\boxed{63}$`: the answer line is hedged
            best = _stated_after_a_retraction(best, candidates, body, asked) or _asked_value_after(best, body, asked) \
                or _stated_after_the_box(best, candidates, body) or _concluded_after_parts(best, body, asked) \
                or _choice_with_its_value(best, body)
            return Extraction(best.answer, best.method), best.position
    if _box_cut_off(body):
        return Extraction(None, None, "its last box is cut off"), -1
    if len(body) > MAX_BOX_SCAN_CHARS and not braces_balanced(body[-MAX_BOX_SCAN_CHARS:]):
        return Extraction(None, None, f"ends inside a group longer than {MAX_BOX_SCAN_CHARS} characters"), -1
    if is_unfenced_program(body):
        return Extraction(None, None, "only a program, never run"), -1
    code_blocks = 0
    while code_blocks < 8 and (block := closing_code_block(body)) is not None:
        if block.kind == "output":
            if program_failed(block.content):
                return Extraction(None, None, "ends in a program's error output"), -1
            printed = _printed_value(block.content, asked)
            if printed:
                return Extraction(printed, "program_output"), -1
        # a program never run, or a check that printed no value (`True`): what comes before it may state the answer
        body, code_blocks = body[:block.start], code_blocks + 1
    if code_blocks and not body.strip():
        return Extraction(None, None, "only a program, and no value it printed"), -1
    bold = _bold_answer(body)
    if bold:
        return Extraction(bold, "bold"), -1
    if not code_blocks and _is_bare(body):  # not the words left before a program (`Compute.`)
        if _NON_ANSWER.fullmatch(_clean(body)):
            return Extraction(None, None, "says it has no answer"), -1
        return Extraction(_clean(body), "bare"), -1
    sentence = _final_sentence_answer(body, asked)
    if sentence:
        return Extraction(sentence, "final_sentence"), -1
    number = _last_number(body)
    if number:
        return Extraction(number, "last_number"), -1
    return Extraction(None, None, "no answer found"), -1


def _printed_value(output: str, asked: AskedQuantity | None) -> str | None:
    """The value a run's output ends with (`programs.printed_line`), read whole as a final sentence is: a number
    (`7.500e+07`), plain arithmetic (`130/231`), a SymPy printout or set (`(3, pi/2)`, `FiniteSet(-2, 1)`), a labelled
    value (`Probability: 130/231`)."""
    line = printed_line(output)
    if line is None:
        return None
    if line.named:
        return line.text  # `x=3, y=4`, already the list a dict printed
    return _value_in_words(line.text, after_marker=False, asked=asked)


def extract_answer(text: object, style: str = "auto") -> str | None:
    """The final answer of a response as a raw LaTeX string, or None (see `find_answer`)."""
    return find_answer(text, style).answer
