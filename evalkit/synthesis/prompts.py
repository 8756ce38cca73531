"""Education-stage prompts for the teacher and the synthesizer, and the parser of their output.

The teacher (a strong model) and the distilled synthesizer both answer in one fixed format,

    Problem: <one self-contained problem>
    Solution: <step-by-step reasoning ending in \\boxed{answer}>

so that one parser serves both. The stages are JiuZhang3.0's (Zhou et al. 2024): four levels of
schooling (grade school, middle school, high school, college) and four contest levels (AMC 8,
AMC 10, AMC 12, AIME). Each sets the difficulty and the kind of problem asked for; which stage a
text gets is decided per text by `choose_stage`: at random (the paper's choice, here seeded by
the text's content), by a keyword heuristic, in turn, or one fixed stage.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.backends.base import Prompt

STAGES: tuple[str, ...] = ("grade_school", "middle_school", "high_school", "college",
                           "amc8", "amc10", "amc12", "aime")
"""JiuZhang3.0's education stages, easiest first."""

SCHOOL_STAGES: tuple[str, ...] = STAGES[:4]
CONTEST_STAGES: tuple[str, ...] = STAGES[4:]

STAGE_LABELS: dict[str, str] = {
    "grade_school": "grade school", "middle_school": "middle school", "high_school": "high school",
    "college": "college", "amc8": "AMC 8", "amc10": "AMC 10", "amc12": "AMC 12", "aime": "AIME",
}

STAGE_INSTRUCTIONS: dict[str, str] = {
    "grade_school": (
        "Write one word problem for a grade-school student (ages 7-11): whole numbers, everyday "
        "objects, at most three arithmetic steps."
    ),
    "middle_school": (
        "Write one problem for a middle-school student: fractions, percentages, ratios, negative numbers "
        "or a one-variable linear equation, in two to four steps."
    ),
    "high_school": (
        "Write one problem for a high-school student: algebra, functions, quadratics, exponents and "
        "logarithms, trigonometry, sequences or coordinate geometry."
    ),
    "college": (
        "Write one problem for a first- or second-year university student: calculus, linear algebra, "
        "probability or discrete mathematics, with one exact answer."
    ),
    "amc8": (
        "Write one contest problem at the level of the AMC 8 (strong students up to grade 8): arithmetic, "
        "counting, basic geometry, logic or number sense, solvable by clever reasoning without algebra-heavy work."
    ),
    "amc10": (
        "Write one contest problem at the level of the AMC 10 (students up to grade 10): algebra, counting "
        "and probability, number theory or geometry, with a short insightful solution."
    ),
    "amc12": (
        "Write one contest problem at the level of the AMC 12: the AMC 10's topics plus logarithms, "
        "trigonometry, complex numbers and sequences, needing several well-chosen steps."
    ),
    "aime": (
        "Write one problem at the level of the AIME: a hard multi-step contest problem whose answer is an "
        "integer from 0 to 999."
    ),
}

FORMAT_INSTRUCTIONS = (
    "Base the problem on the ideas in the text below, but make it self-contained: a reader must not "
    "need the text to solve it. Then solve it step by step and put the final answer in \\boxed{}.\n"
    "Answer in exactly this format and write nothing else:\n"
    "Problem: <the problem>\n"
    "Solution: <the step-by-step solution, ending with \\boxed{<final answer>}>"
)

_CONTEST_NAMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aime", re.compile(r"\baime\b|american invitational")),
    ("amc12", re.compile(r"\bamc[ -]?12\b")),
    ("amc10", re.compile(r"\bamc[ -]?10\b")),
    ("amc8", re.compile(r"\bamc[ -]?8\b")),
)
_CONTEST_KEYWORDS: tuple[str, ...] = ("olympiad", "prove that", "pigeonhole", "congruen", "modulo", "mod ",
                                      "diophantine", "inequality", "invariant", "competition", "contest")
_HARDEST_CONTEST_KEYWORDS: tuple[str, ...] = ("olympiad", "prove that", "invariant")
_SCHOOL_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("college", ("integral", "derivative", "matrix", "matrices", "eigen", "limit", "series converge",
                 "vector space", "differential", "random variable", "expected value")),
    ("high_school", ("quadratic", "logarithm", "sine", "cosine", "tangent", "polynomial", "exponential",
                     "parabola", "function", "sequence", "probability")),
    ("middle_school", ("fraction", "percent", "ratio", "negative", "equation", "variable", "area",
                       "perimeter", "proportion", "decimal", "integer")),
)
_CONTEST_FOR_SCHOOL_LEVEL = {"grade_school": "amc8", "middle_school": "amc8", "high_school": "amc10",
                             "college": "amc12"}


def school_level(text: str) -> str:
    """The most advanced school stage whose keywords occur in the text; grade school when none do."""
    lowered = text.lower()
    for stage, keywords in _SCHOOL_KEYWORDS:
        if any(keyword in lowered for keyword in keywords):
            return stage
    return "grade_school"


def stage_by_heuristic(text: str) -> str:
    """A stage guessed from the words of the text (deterministic and cheap).

    A contest the text names (AIME, AMC 12/10/8) wins. Otherwise, contest material (olympiad,
    pigeonhole, congruences, Diophantine equations, inequalities, ...) gets the contest level that
    matches its mathematics: AIME for olympiad-style proofs and invariants, else AMC 8 for
    grade- and middle-school content, AMC 10 for high-school content and AMC 12 for college
    content. Everything else gets its school level (`school_level`).
    """
    lowered = text.lower()
    for stage, pattern in _CONTEST_NAMES:
        if pattern.search(lowered):
            return stage
    level = school_level(text)
    if any(keyword in lowered for keyword in _CONTEST_KEYWORDS):
        if any(keyword in lowered for keyword in _HARDEST_CONTEST_KEYWORDS):
            return "aime"
        return _CONTEST_FOR_SCHOOL_LEVEL[level]
    return level


def stage_at_random(text: str, stages: Sequence[str], seed: int = 0) -> str:
    """A stage drawn uniformly for this text, as JiuZhang3.0 samples one prompt per text.

    The draw is a hash of the seed and the text's content, so it does not depend on the order
    of the texts, on batching or on resuming: the same text always gets the same stage.
    """
    if not stages:
        raise ValueError("no stages to choose from")
    digest = hashlib.sha256(f"{seed}:{' '.join(text.split())}".encode("utf-8")).digest()
    return stages[int.from_bytes(digest[:8], "big") % len(stages)]


STAGE_CHOICES: tuple[str, ...] = ("random", "heuristic", "round_robin")
"""Per-text ways of choosing a stage (besides naming one stage for every text)."""


def choose_stage(text: str, index: int, mode: str, stages: Sequence[str] = STAGES, seed: int = 0) -> str:
    """The stage for the `index`-th text under a selection `mode`.

    `mode` is a stage name (always that stage), `"random"` (`stage_at_random` over `stages`),
    `"round_robin"` (cycle through `stages` by index) or `"heuristic"` (`stage_by_heuristic`,
    kept only if it is among `stages`, else the random draw).
    """
    if mode in STAGES:
        return mode
    stages = tuple(stages)
    if not stages:
        raise ValueError("no stages to choose from")
    if mode == "random":
        return stage_at_random(text, stages, seed)
    if mode == "round_robin":
        return stages[index % len(stages)]
    if mode == "heuristic":
        guess = stage_by_heuristic(text)
        return guess if guess in stages else stage_at_random(text, stages, seed)
    raise ValueError(f"unknown stage mode {mode!r}; use a stage name, {', '.join(map(repr, STAGE_CHOICES))}")


RESPONSE_PREFIX = "Problem:"
"""Plain-text (completion-style) prompts end with this label, so that a base model continues the
format; it is put back in front of the completion before parsing (`response_prefix`)."""


BRIEF_FORMAT = "Base it on the text, make it self-contained, and solve it step by step ending in \\boxed{}."
"""The format in one sentence, for completion-style prompts: their trailing `Problem:` label
already shows the shape of the answer, and every prompt token is paid for on every call."""


def teacher_prompt(text: str, stage: str, *, chat: bool) -> Prompt:
    """The teacher's prompt for one text: chat messages with the full format instructions
    (instruct and hosted models), or one plain string with the stage's instruction and
    `BRIEF_FORMAT`, ending in `RESPONSE_PREFIX` (completion-style models)."""
    if chat:
        return [
            {"role": "system", "content": "You are an experienced mathematics teacher who writes exercises."},
            {"role": "user", "content": f"{STAGE_INSTRUCTIONS[stage]}\n{FORMAT_INSTRUCTIONS}\n\nText:\n{text.strip()}"},
        ]
    return f"{STAGE_INSTRUCTIONS[stage]} {BRIEF_FORMAT}\n\nText:\n{text.strip()}\n\n{RESPONSE_PREFIX}"


def response_prefix(prompt: Prompt) -> str:
    """What a completion of `prompt` must be prefixed with to read as a whole answer."""
    return RESPONSE_PREFIX if isinstance(prompt, str) and prompt.endswith(RESPONSE_PREFIX) else ""


def synthesizer_prompt(text: str, stage: str) -> str:
    """The distilled synthesizer's prompt: short, since the model learned the task from the teacher."""
    return f"Stage: {STAGE_LABELS[stage]}\nText:\n{text.strip()}\n\n"


SOLVE_INSTRUCTION = "Solve the following problem step by step, and put the final answer in \\boxed{}."


def solve_prompt(problem: str, *, chat: bool) -> Prompt:
    """The prompt with which a model solves a synthetic problem (the answer-consistency filter):
    a chat message for instruct models, or the exercise format cut after `Solution:`, which the
    teacher and the synthesizer continue with a worked solution."""
    if chat:
        return [{"role": "user", "content": f"{SOLVE_INSTRUCTION}\n\n{problem.strip()}"}]
    return f"{RESPONSE_PREFIX} {problem.strip()}\nSolution:"


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
