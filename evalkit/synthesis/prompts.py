"""Education-stage prompts for the teacher and the synthesizer, and the parser of their output.

The teacher (a strong model) and the distilled synthesizer both answer in one fixed format,

    Problem: <one self-contained problem>
    Solution: <step-by-step reasoning ending in \\boxed{answer}>

so that one parser serves both. Five stages (grade school to competition) set the difficulty
and the kind of problem asked for; which stage a text gets is decided by `choose_stage`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evalkit.backends.base import Prompt

STAGES: tuple[str, ...] = ("grade_school", "middle_school", "high_school", "college", "competition")

STAGE_INSTRUCTIONS: dict[str, str] = {
    "grade_school": (
        "Write one word problem for a grade-school student (ages 7-11). Use whole numbers, "
        "everyday objects and at most three arithmetic steps."
    ),
    "middle_school": (
        "Write one problem for a middle-school student. It may use fractions, percentages, ratios, "
        "negative numbers or a one-variable linear equation, and should need two to four steps."
    ),
    "high_school": (
        "Write one problem for a high-school student. It may use algebra, functions, quadratics, "
        "exponents and logarithms, trigonometry, sequences or coordinate geometry."
    ),
    "college": (
        "Write one problem for a first- or second-year university student. It may use calculus, "
        "linear algebra, probability or discrete mathematics, and must have one exact answer."
    ),
    "competition": (
        "Write one problem in the style of a mathematics olympiad or AMC/AIME contest. It should "
        "reward insight (number theory, combinatorics, inequalities, clever algebra) and have one "
        "exact answer."
    ),
}

FORMAT_INSTRUCTIONS = (
    "Base the problem on the ideas in the text below, but make it self-contained: a reader must not "
    "need the text to solve it. Then solve it step by step and put the final answer in \\boxed{}.\n"
    "Answer in exactly this format and write nothing else:\n"
    "Problem: <the problem>\n"
    "Solution: <the step-by-step solution, ending with \\boxed{<final answer>}>"
)

_HEURISTIC_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("competition", ("olympiad", "prove that", "pigeonhole", "congruen", "modulo", "mod ", "aime",
                     "amc", "diophantine", "inequality", "invariant")),
    ("college", ("integral", "derivative", "matrix", "matrices", "eigen", "limit", "series converge",
                 "vector space", "differential", "random variable", "expected value")),
    ("high_school", ("quadratic", "logarithm", "sine", "cosine", "tangent", "polynomial", "exponential",
                     "parabola", "function", "sequence", "probability")),
    ("middle_school", ("fraction", "percent", "ratio", "negative", "equation", "variable", "area",
                       "perimeter", "proportion", "decimal", "integer")),
)


def stage_by_heuristic(text: str) -> str:
    """A stage guessed from keywords in the text: the most advanced stage whose keywords occur.

    Deterministic and cheap; texts with none of the keywords are taken as grade-school material.
    """
    lowered = text.lower()
    for stage, keywords in _HEURISTIC_KEYWORDS:
        if any(keyword in lowered for keyword in keywords):
            return stage
    return "grade_school"


def choose_stage(text: str, index: int, mode: str, stages: tuple[str, ...] = STAGES) -> str:
    """The stage for the `index`-th text under a selection `mode`.

    `mode` is a stage name (always that stage), `"round_robin"` (cycle through `stages` by index)
    or `"heuristic"` (`stage_by_heuristic`, kept only if it is among `stages`, else round robin).
    """
    if mode in STAGES:
        return mode
    if not stages:
        raise ValueError("no stages to choose from")
    if mode == "round_robin":
        return stages[index % len(stages)]
    if mode == "heuristic":
        guess = stage_by_heuristic(text)
        return guess if guess in stages else stages[index % len(stages)]
    raise ValueError(f"unknown stage mode {mode!r}; use a stage name, 'round_robin' or 'heuristic'")


RESPONSE_PREFIX = "Problem:"
"""Plain-text (completion-style) prompts end with this label, so that a base model continues the
format; it is put back in front of the completion before parsing (`response_prefix`)."""


def teacher_prompt(text: str, stage: str, *, chat: bool) -> Prompt:
    """The teacher's prompt for one text: chat messages (instruct and hosted models), or one plain
    string ending in `RESPONSE_PREFIX` for completion-style models."""
    instruction = f"{STAGE_INSTRUCTIONS[stage]}\n{FORMAT_INSTRUCTIONS}"
    if chat:
        return [
            {"role": "system", "content": "You are an experienced mathematics teacher who writes exercises."},
            {"role": "user", "content": f"{instruction}\n\nText:\n{text.strip()}"},
        ]
    return f"{instruction}\n\nText:\n{text.strip()}\n\n{RESPONSE_PREFIX}"


def response_prefix(prompt: Prompt) -> str:
    """What a completion of `prompt` must be prefixed with to read as a whole answer."""
    return RESPONSE_PREFIX if isinstance(prompt, str) and prompt.endswith(RESPONSE_PREFIX) else ""


def synthesizer_prompt(text: str, stage: str) -> str:
    """The distilled synthesizer's prompt: short, since the model learned the task from the teacher."""
    return f"Stage: {stage.replace('_', ' ')}\nText:\n{text.strip()}\n\n"


@dataclass(frozen=True)
class ParsedExercise:
    """A problem and its solution as parsed from a model's answer; `answer` is the last box's content."""

    problem: str
    solution: str
    answer: str | None


_PROBLEM_LABEL = re.compile(r"(?:^|\n)[ \t*#]{0,8}Problem[ \t]{0,4}:", re.IGNORECASE)
_SOLUTION_LABEL = re.compile(r"\n[ \t*#]{0,8}Solution[ \t]{0,4}:", re.IGNORECASE)


def parse_exercise(text: str) -> ParsedExercise | None:
    """Split a `Problem: ...\\nSolution: ...` answer into its parts; None when the labels are missing.

    The first `Problem:` label starts the problem and the first `Solution:` line after it starts
    the solution; a second `Problem:` after the solution (a model that goes on writing) ends it.
    The answer is extracted from the solution's `\\boxed{}` only (the format asks for one), so a
    missing box gives `answer=None`: parsed, but not well-formed.
    """
    from evalkit.grading.extract import extract_answer

    if not isinstance(text, str):
        return None
    problem_match = _PROBLEM_LABEL.search(text)
    if problem_match is None:
        return None
    solution_match = _SOLUTION_LABEL.search(text, problem_match.end())
    if solution_match is None:
        return None
    problem = text[problem_match.end():solution_match.start()].strip()
    solution = text[solution_match.end():]
    next_problem = _PROBLEM_LABEL.search(solution)
    if next_problem is not None:
        solution = solution[:next_problem.start()]
    solution = solution.strip()
    if not problem or not solution:
        return None
    return ParsedExercise(problem=problem, solution=solution, answer=extract_answer(solution, style="boxed"))


def format_exercise(problem: str, solution: str) -> str:
    """The canonical `Problem: ...\\nSolution: ...` text (the synthesizer's training target)."""
    return f"Problem: {problem.strip()}\nSolution: {solution.strip()}"
