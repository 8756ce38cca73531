"""The demo's miniature world: JiuZhang3.0's claim, small enough for a laptop CPU.

Everything `configs/synth-demo.yaml` needs is built here from seeds, offline, under one folder:

- `data/arith/{train,test}.jsonl`: the synthetic arithmetic task (`tasks.arith`) at
  `demo_difficulty`. The test split is the held-out yardstick; the student's own labelled data
  is the first few problems of the train split.
- the corpus (`world_corpus`): "math texts" of two kinds. Arithmetic narratives are worked
  examples as a textbook tells them ("Pia has 4 beads. Pia finds 5 more, so 4 + 5 = 9. ...",
  no question), drawn apart from both splits. Texts on other mathematics (fractions, derivatives,
  remainders, ...) are generated from topic templates and carry the stage they are written for.
  Influence selection should prefer the narratives for an arithmetic target; random selection
  takes both kinds alike.
- `demo:base`: a tokenizer and a tiny LLaMA trained from scratch on the corpus (and the prompt
  wordings, so that prompts cost few tokens). It is the student's starting point, the
  synthesizer's base model and the model of the influence features.
- `demo:teacher`: `demo:base` trained much longer (`teacher_steps` fine-tuning steps through
  `evalkit.training`) on teacher prompts answered with exercises for fresh narratives and
  texts, and on solving fresh arithmetic problems: the stand-in for the strong model (GPT-4 in
  the paper). It has seen far more of the world than the student will; the demo measures how
  much stronger it is on the test split.

Nothing here reads the test split except to keep other draws apart from it.
"""

from __future__ import annotations

import random
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tasks.arith import ArithDifficulty, ArithProblem, generate_problems, write_arith_data

def demo_difficulty(min_steps: int = 1, max_steps: int = 1) -> ArithDifficulty:
    """Small numbers (totals up to 20, factors of 2): hard enough that a tiny student trained on a
    handful of examples gets most problems wrong, easy enough that a model trained for a few
    minutes gets many right. One operation per problem by default (the config's `demo` section)."""
    return ArithDifficulty(min_steps=min_steps, max_steps=max_steps, max_start=9, max_operand=5, max_factor=2,
                           max_total=20)

MODEL_SHAPE = {"vocab_size": 768, "hidden_size": 128, "layers": 2, "heads": 4}
DEMO_MODELS = ("base", "teacher")
DATA_SPEC = "demo:data"
"""How configs name the demo world's data directory."""

# seeds of the independent draws, offsets from the world's seed (test = seed, train = seed + 1)
_CORPUS_NARRATIVES, _TEACHER_PROBLEMS, _OTHER_TEXTS, _SHUFFLE = 2, 3, 4, 5


@dataclass(frozen=True)
class WorldText:
    """One corpus text: its words, the stage its source wrote it for, and its kind."""

    text: str
    stage: str
    kind: str  # "arithmetic" or "other"


def narrative(problem: ArithProblem) -> str:
    """A worked example without its question: the first sentence, then every computation."""
    first = problem.question.split(". ", 1)[0].rstrip(".") + "."
    lines = [line for line in problem.solution.splitlines() if "\\boxed" not in line]
    return " ".join([first, *lines])


def narrative_exercise(problem: ArithProblem) -> tuple[str, str]:
    """The exercise a good teacher writes for a narrative: its question and worked solution."""
    return problem.question, problem.solution


def _other_text(rng: random.Random) -> WorldText:
    """One short passage on mathematics other than arithmetic, with the stage it suits."""
    kind = rng.randrange(8)
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    if kind == 0:
        return WorldText(f"To add 1/{a} and 1/{b}, rewrite both fractions over the common denominator {a * b}: "
                         f"{b}/{a * b} plus {a}/{a * b} is {a + b}/{a * b}.", "middle_school", "other")
    if kind == 1:
        price = 10 * rng.randint(2, 9)
        return WorldText(f"A percent is a ratio out of 100. A discount of {a * 5} percent on a price of {price} "
                         f"saves {a * 5 * price / 100:g}.", "middle_school", "other")
    if kind == 2:
        return WorldText(f"A quadratic polynomial x^2 - {a + b}x + {a * b} factors as (x - {a})(x - {b}), "
                         f"so its roots are {a} and {b}.", "high_school", "other")
    if kind == 3:
        return WorldText(f"The logarithm answers which power gives a number: since {a}^3 = {a ** 3}, the "
                         f"logarithm of {a ** 3} in base {a} is 3.", "high_school", "other")
    if kind == 4:
        return WorldText(f"The derivative of {a}x^{b} is {a * b}x^{b - 1} by the power rule, and its integral "
                         f"from 0 to 1 is {a}/{b + 1}.", "college", "other")
    if kind == 5:
        return WorldText(f"The determinant of the matrix with rows ({a}, 1) and ({b}, 2) is {2 * a} - {b} = "
                         f"{2 * a - b}.", "college", "other")
    if kind == 6:
        n, m = rng.randint(20, 99), rng.choice((3, 7, 9, 11))
        return WorldText(f"Working modulo {m}, the number {n} leaves the remainder {n % m}, and so does every "
                         f"number congruent to it.", "amc8", "other")
    n = 2 ** a * 3 ** (b % 4)
    return WorldText(f"By the pigeonhole principle and counting, a number of the form 2^{a} times 3^{b % 4} "
                     f"such as {n} has ({a} + 1)({b % 4} + 1) positive divisors.", "amc10", "other")


@dataclass(frozen=True)
class WorldSizes:
    """How big the world is (from the config's `demo` section)."""

    min_steps: int
    max_steps: int
    narratives: int
    other_texts: int
    train_problems: int
    test_problems: int
    base_steps: int
    teacher_steps: int
    teacher_examples: int
    seed: int = 0

    @classmethod
    def from_settings(cls, settings) -> WorldSizes:
        return cls(**settings.model_dump())

    @property
    def difficulty(self) -> ArithDifficulty:
        return demo_difficulty(self.min_steps, self.max_steps)


def default_sizes() -> WorldSizes:
    """The sizes of the config's `demo` section when it is left out."""
    from evalkit.synthesis.config import DemoWorldSettings

    return WorldSizes.from_settings(DemoWorldSettings())


def _split_questions(sizes: WorldSizes) -> frozenset[str]:
    """The questions of both splits, as `write_arith_data` draws them (so other draws avoid them)."""
    test = generate_problems(sizes.test_problems, seed=sizes.seed, difficulty=sizes.difficulty)
    train = generate_problems(sizes.train_problems, seed=sizes.seed + 1, difficulty=sizes.difficulty,
                              exclude=frozenset(p.question for p in test))
    return frozenset(p.question for p in (*test, *train))


def world_corpus(sizes: WorldSizes) -> list[WorldText]:
    """The corpus texts: narratives and other mathematics, shuffled (deterministic for the sizes)."""
    drawn = generate_problems(sizes.narratives, seed=sizes.seed + _CORPUS_NARRATIVES, difficulty=sizes.difficulty,
                              exclude=_split_questions(sizes))
    texts = [WorldText(narrative(problem), "grade_school", "arithmetic") for problem in drawn]
    rng = random.Random(sizes.seed + _OTHER_TEXTS)
    others: dict[str, WorldText] = {}
    attempts = 0
    while len(others) < sizes.other_texts and attempts < 100 * (sizes.other_texts + 1):
        attempts += 1
        text = _other_text(rng)
        others.setdefault(text.text, text)
    texts.extend(others.values())
    random.Random(sizes.seed + _SHUFFLE).shuffle(texts)
    return texts


def write_world_data(root: Path, sizes: WorldSizes) -> Path:
    """Write the arith splits under `root/data` (atomically, once) and return that data directory."""
    data_dir = Path(root) / "data"

    def build(staging: Path) -> None:
        write_arith_data(staging, train=sizes.train_problems, test=sizes.test_problems, seed=sizes.seed,
                         difficulty=sizes.difficulty)

    return _build_atomically(data_dir, build, marker=Path("arith") / "test.jsonl")


def _prompt_wordings() -> list[str]:
    """Every fixed wording of the prompts, so the tokenizer learns them as few tokens."""
    from evalkit.synthesis.prompts import STAGES, solve_prompt, synthesizer_prompt, teacher_prompt
    from tasks.prompts import BOXED_INSTRUCTION

    texts = [str(teacher_prompt("Text.", stage, chat=False)) for stage in STAGES]
    texts += [synthesizer_prompt("Text.", stage) for stage in STAGES]
    texts += [str(solve_prompt("Question?", chat=False)),
              f"Solve the following math problem. {BOXED_INSTRUCTION}\n\nProblem:\n\n\nSolution:"]
    return texts


def teacher_examples(sizes: WorldSizes) -> list[tuple[str, str]]:
    """(prompt, completion) pairs that make the teacher: 60% teacher prompts on fresh narratives,
    15% on fresh texts of other mathematics, the rest solving fresh arithmetic problems with
    the task's prompt. Stages are the heuristic's, as the demo config asks the teacher."""
    from evalkit.records import Problem
    from evalkit.synthesis.prompts import RESPONSE_PREFIX, format_exercise, stage_by_heuristic, teacher_prompt
    from evalkit.synthesis.demo_corpus import templated_exercise
    from evalkit.training import ssft_examples

    total = sizes.teacher_examples
    writing, other = 3 * total // 5, 3 * total // 20
    solving = total - writing - other
    corpus_texts = {text.text for text in world_corpus(sizes)}
    problems = generate_problems(writing + solving, seed=sizes.seed + _TEACHER_PROBLEMS, difficulty=sizes.difficulty,
                                 exclude=_split_questions(sizes))
    pairs: list[tuple[str, str]] = []
    for problem in problems[:writing]:
        text = narrative(problem)
        prompt = str(teacher_prompt(text, stage_by_heuristic(text), chat=False))
        pairs.append((prompt, format_exercise(*narrative_exercise(problem))[len(RESPONSE_PREFIX):]))
    rng = random.Random(sizes.seed + _TEACHER_PROBLEMS)
    made = 0
    while made < other:
        text = _other_text(rng).text
        if text in corpus_texts:
            continue
        stage = stage_by_heuristic(text)
        prompt = str(teacher_prompt(text, stage, chat=False))
        pairs.append((prompt, format_exercise(*templated_exercise(text, stage))[len(RESPONSE_PREFIX):]))
        made += 1
    solved = [Problem(id=f"teacher/{i}", task="arith", question=p.question, reference=str(p.answer),
                      solution=p.solution) for i, p in enumerate(problems[writing:])]
    pairs.extend((example.prompt, example.completion) for example in ssft_examples(solved))
    random.Random(sizes.seed + _SHUFFLE).shuffle(pairs)
    return pairs


def _build_atomically(target: Path, build: Callable[[Path], None], marker: Path = Path("config.json")) -> Path:
    """Build `target` in a staging folder beside it and rename it into place; skip when built."""
    if (target / marker).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build(staging)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def build_world_model(name: str, root: Path, sizes: WorldSizes, *, show_progress: bool = False,
                      announce: Callable[[str], None] | None = None) -> Path:
    """The directory of demo model `name` (`base` or `teacher`) under `root`, built on first use (with
    progress bars for its pre-training and the teacher's fine-tuning when `show_progress`);
    `announce(model)` is called before a model is built."""
    from evalkit.testing.tiny_model import build_tiny_model

    root = Path(root)
    if name not in DEMO_MODELS:
        raise ValueError(f"unknown demo model {name!r}; known: {list(DEMO_MODELS)}")
    corpus = [f"{text.text}\n\n" for text in world_corpus(sizes)] + [f"{text}\n\n" for text in _prompt_wordings()]

    def pretrain_base(out: Path) -> None:
        if announce is not None:
            announce("base")
        build_tiny_model(out, corpus=corpus, train_steps=sizes.base_steps, seed=sizes.seed,
                         show_progress=show_progress, **MODEL_SHAPE)

    base = _build_atomically(root / "base", pretrain_base)
    if name == "base":
        return base

    def finetune_teacher(out: Path) -> None:
        from evalkit.training import TrainExample, TrainSettings, finetune

        if announce is not None:
            announce("teacher")
        examples = [TrainExample(prompt=prompt, completion=completion) for prompt, completion in teacher_examples(sizes)]
        settings = TrainSettings(learning_rate=3e-3, max_steps=sizes.teacher_steps, batch_size=16, max_length=384,
                                 logging_steps=20, seed=sizes.seed)
        result = finetune(base, examples, root / "teacher-training", settings, show_progress=show_progress)
        shutil.copytree(result.checkpoint, out, dirs_exist_ok=True)

    return _build_atomically(root / "teacher", finetune_teacher)


def narrative_share(texts: Sequence[str], sizes: WorldSizes) -> float:
    """The fraction of `texts` that are arithmetic narratives of the world's corpus."""
    narratives = {text.text for text in world_corpus(sizes) if text.kind == "arithmetic"}
    return sum(1 for text in texts if text in narratives) / len(texts) if texts else 0.0


_START = re.compile(r"(\w+) has (\d+) (\w+)$")
_QUESTION = re.compile(r"How many (\w+) does (\w+) have now$")
_STEPS: tuple[tuple[re.Pattern[str], Callable[[int, re.Match[str]], int | None]], ...] = (
    (re.compile(r"(\w+) (?:finds|gets|is given) (\d+) more$"), lambda total, m: total + int(m[2])),
    (re.compile(r"(\w+) (?:gives away|loses|uses) (\d+)$"), lambda total, m: total - int(m[2])),
    (re.compile(r"(\w+) buys (\d+) bags of (\d+) (\w+)$"), lambda total, m: total + int(m[2]) * int(m[3])),
    (re.compile(r"Then the number of (\w+) (doubles|triples)$"),
     lambda total, m: total * (2 if m[2] == "doubles" else 3)),
    (re.compile(r"(\w+) splits the (\w+) into (\d+) equal groups and keeps one group$"),
     lambda total, m: total // int(m[3]) if total % int(m[3]) == 0 else None),
)


def true_answer(problem: str, *, strict: bool = False) -> int | None:
    """The answer of an arith-style word problem as written (the demo world's oracle): the result
    of its stated numbers and operations, or None when the text is not a problem of that grammar.
    With `strict`, a question about another person or item than the first sentence's (a slip the
    tiny models make) also gives None."""
    sentences = [part.strip() for part in re.split(r"[.?]\s*", problem.strip()) if part.strip()]
    if len(sentences) < 3:
        return None
    start, question = _START.fullmatch(sentences[0]), _QUESTION.fullmatch(sentences[-1])
    if start is None or question is None:
        return None
    if strict and (question[2] != start[1] or question[1] != start[3]):
        return None
    total: int | None = int(start[2])
    for sentence in sentences[1:-1]:
        for pattern, apply in _STEPS:
            match = pattern.fullmatch(sentence)
            if match is not None:
                total = apply(total, match)
                break
        else:
            return None
        if total is None:
            return None
    return total


def exercise_quality(records: Sequence[dict]) -> dict[str, int]:
    """An oracle check the demo world allows. `arithmetic`: exercises whose solution writes
    `a op b = c` lines (`tasks.arith.solution_equations`); `arithmetic_all_right`: those with every
    computation right and a boxed answer equal to the last result; `well_posed`: problems the
    arith grammar reads (`true_answer`, names and items not compared); `answer_right`: those
    whose written answer is the result of the problem's stated numbers and operations."""
    from tasks.arith import check_equation, solution_equations

    arithmetic = right = well_posed = answer_right = 0
    for record in records:
        truth = true_answer(str(record.get("problem", "")))
        if truth is not None:
            well_posed += 1
            answer_right += str(record.get("answer", "")).strip() == str(truth)
        equations = solution_equations(str(record.get("solution", "")))
        if not equations:
            continue
        arithmetic += 1
        if all(check_equation(*equation) for equation in equations) and \
                str(record.get("answer", "")).strip() == str(equations[-1][3]):
            right += 1
    return {"exercises": len(records), "arithmetic": arithmetic, "arithmetic_all_right": right,
            "well_posed": well_posed, "answer_right": answer_right}
