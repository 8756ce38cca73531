"""The three data builders of the training engine: SSFT, solution evaluator, evaluator pairs.

- `ssft_examples`: supervised step-by-step solution fine-tuning (SSFT). The prompt is the
  task's prompt format rendered for the problem, the completion the reference solution, which
  always ends in `\\boxed{answer}` so that the fine-tuned model writes answers the grader reads.
  MATH solutions already do. GSM8K solutions (calculator annotations already removed by
  `tasks/gsm8k.py`) end in a `#### N` line: that line is replaced by `The answer is \\boxed{N}.`.
- `evaluator_examples`: the solution evaluator's training set, from a graded run of the
  current model on training problems. Prompt = `EvaluatorTemplate.prompt(question, sample)`,
  completion = `EvaluatorTemplate.verdict(correct)` (" correct" / " incorrect").
- `evaluator_pair_examples`: the same samples as (correct, incorrect) pairs of one problem,
  for the engine's `"pairwise"` and `"margin"` objectives.
- `evaluator_joint_examples`: both, for the engine's `"joint"` objective: every graded sample
  with its verdict (and the other verdict), then the pairs.

Samples whose answer could not be judged (grading reason other than "ok": no answer, parse
error, timeout) are left out by default and counted; `keep_unjudged=True` keeps them as
incorrect solutions instead (a solution without a readable answer is not a correct one).

Identical solution texts of one problem count once by default (`deduplicate=True`). With
`deduplicate=False` every sample is kept, so a solution the model writes often weighs as often
in training as it appears among the samples to be scored. Pairs are drawn round-robin by default
(every solution in at least one pair); `pairing="all"` takes every (correct, incorrect)
combination of the problem instead. `max_pairs_per_problem` caps either (a seeded subset).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import iter_jsonl
from evalkit.records import Problem
from evalkit.store import RunDir
from evalkit.training.engine import TrainExample
from reranker.templates import EvaluatorTemplate

_FINAL_GSM8K_LINE = re.compile(r"\n?[ \t]*####[^\n]*\s*$")
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")

# What separates a rendered prompt from the first token of a solution: the prompt formats end in
# "Solution:" or "A:" (a space follows), the Minerva format puts the solution on the next line.
PROMPT_SEPARATORS = {"minerva": "\n"}
DEFAULT_SEPARATOR = " "
DEFAULT_EVALUATOR_TEMPLATE = EvaluatorTemplate()
PAIRINGS = ("round_robin", "all")
"""How `evaluator_pair_examples` pairs the correct and incorrect solutions of one problem."""


# --- SSFT ------------------------------------------------------------------------------------

def boxed_solution(solution: str, reference: str) -> str:
    """A reference solution that ends in `\\boxed{reference}`.

    A solution that already contains a box is kept as it is (MATH); otherwise a trailing GSM8K
    `#### N` line is removed and `The answer is \\boxed{reference}.` appended.
    """
    text = solution.strip()
    if _BOXED.search(text):
        return text
    text = _FINAL_GSM8K_LINE.sub("", text).rstrip()
    ending = f"The answer is \\boxed{{{reference}}}."
    return f"{text}\n{ending}" if text else ending


def render_prompt(problem: Problem, prompt_format: str, tokenizer=None) -> tuple[str, str]:
    """The prompt as text, and the separator that goes between it and the solution.

    Text formats give their own rendering (separator: a newline for `minerva`, a space for the
    others, whose prompts end in "Solution:" or "A:"). Chat formats give messages, which are
    rendered with the tokenizer's chat template and its generation prompt (separator: none).
    """
    import tasks

    rendered = tasks.get_prompt_format(prompt_format).render(problem)
    if isinstance(rendered, str):
        return rendered, PROMPT_SEPARATORS.get(prompt_format, DEFAULT_SEPARATOR)
    if tokenizer is None:
        raise ConfigError(f"prompt format {prompt_format!r} gives chat messages; pass the model's tokenizer "
                          "so they can be rendered with its chat template")
    return tokenizer.apply_chat_template(list(rendered), add_generation_prompt=True, tokenize=False), ""


def ssft_examples(problems: Sequence[Problem], *, prompt_format: str = "zero_shot_cot",
                  tokenizer=None) -> list[TrainExample]:
    """One SSFT example per problem: the rendered prompt -> the reference solution ending in a box.

    `tokenizer` is needed only for chat prompt formats. Problems without a reference solution
    are an `InputError` that names them.
    """
    missing = [problem.id for problem in problems if not (problem.solution or "").strip()]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise InputError(f"{len(missing)} problem(s) have no reference solution to train on: {shown}",
                         field="solution")
    examples = []
    for problem in problems:
        prompt, separator = render_prompt(problem, prompt_format, tokenizer)
        examples.append(TrainExample(prompt, separator + boxed_solution(problem.solution or "", problem.reference)))
    return examples


def synthetic_problems(path: str | Path) -> list[Problem]:
    """Problems from a synthesis JSONL file of `{problem, solution, answer}` records (ids `synthetic/<line>`).

    A solution that ends in a box must box the record's `answer`: the two are compared with the
    grader's `evalkit.grading.equivalent` (so `0.5` and `\\frac12` agree), and a record where they
    differ is refused by file, line and field. A solution without a box gets the answer appended
    (`boxed_solution`).
    """
    from evalkit.grading import equivalent, last_boxed

    problems = []
    for line, record in iter_jsonl(path):
        values = {}
        for name in ("problem", "solution", "answer"):
            value = record.get(name)
            if not isinstance(value, str) or not value.strip():
                raise InputError("missing or not a non-empty string", path=path, line=line, field=name)
            values[name] = value
        boxed = last_boxed(values["solution"])
        if boxed is not None and not equivalent(values["answer"], boxed, question=values["problem"]):
            raise InputError(f"answer {values['answer'].strip()!r} is not the solution's final \\boxed{{{boxed}}}",
                             path=path, line=line, field="answer")
        problems.append(Problem(id=str(record.get("id") or f"synthetic/{line}"), task="synthetic",
                                question=values["problem"], reference=values["answer"].strip(),
                                solution=values["solution"]))
    if not problems:
        raise InputError("no records", path=path)
    return problems


def ssft_examples_from_jsonl(path: str | Path, *, prompt_format: str = "zero_shot_cot",
                             tokenizer=None) -> list[TrainExample]:
    """SSFT examples from synthetic `{problem, solution, answer}` JSONL records."""
    return ssft_examples(synthetic_problems(path), prompt_format=prompt_format, tokenizer=tokenizer)


# --- the solution evaluator ------------------------------------------------------------------

@dataclass(frozen=True)
class JudgedSolution:
    """One sampled solution of one problem and its grade."""

    problem_id: str
    question: str
    text: str
    correct: bool


@dataclass(frozen=True)
class EvaluatorCounts:
    """What became of a run's samples on the way to evaluator examples."""

    problems: int = 0
    samples: int = 0
    unjudged_skipped: int = 0
    unjudged_kept_as_incorrect: int = 0
    duplicates: int = 0
    over_per_problem_cap: int = 0
    balanced_away: int = 0
    correct: int = 0
    incorrect: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class EvaluatorData:
    """Evaluator examples and the counts that explain them."""

    examples: list[TrainExample]
    counts: EvaluatorCounts
    solutions: list[JudgedSolution] = field(default_factory=list)


def solutions_per_problem(run_dir: str | Path, *, keep_unjudged: bool = False, deduplicate: bool = True,
                          ) -> tuple[list[list[JudgedSolution]], dict[str, int]]:
    """The graded solutions of a run, one list per problem in run order, and how many were set aside.

    Identical texts (after stripping) of one problem count once unless `deduplicate` is false."""
    run = RunDir(Path(run_dir))
    grades = {item.problem_id: item for item in run.read_grades()}
    counts = {"problems": 0, "samples": 0, "unjudged_skipped": 0, "unjudged_kept_as_incorrect": 0,
              "duplicates": 0, "over_per_problem_cap": 0}
    groups: list[list[JudgedSolution]] = []
    for item in run.read_samples():
        problem_grades = grades.get(item.problem.id)
        if problem_grades is None:
            raise InputError(f"problem '{item.problem.id}' has samples but no grades; grade the run first",
                             path=run.graded_path)
        if len(problem_grades.correct) != len(item.samples):
            raise InputError(f"problem '{item.problem.id}': {len(item.samples)} samples but "
                             f"{len(problem_grades.correct)} grades", path=run.graded_path)
        counts["problems"] += 1
        seen: set[str] = set()
        kept: list[JudgedSolution] = []
        for sample, correct, reason in zip(item.samples, problem_grades.correct, problem_grades.reasons):
            counts["samples"] += 1
            if reason != "ok":
                if not keep_unjudged:
                    counts["unjudged_skipped"] += 1
                    continue
                counts["unjudged_kept_as_incorrect"] += 1
                correct = False
            if deduplicate:
                key = sample.text.strip()
                if key in seen:
                    counts["duplicates"] += 1
                    continue
                seen.add(key)
            kept.append(JudgedSolution(item.problem.id, item.problem.question, sample.text, bool(correct)))
        groups.append(kept)
    return groups, counts


def _check_cap(max_per_problem: int | None) -> None:
    if max_per_problem is not None and max_per_problem < 1:
        raise ConfigError(f"max_per_problem must be >= 1 or None, got {max_per_problem}")


def cap_per_problem(groups: Sequence[Sequence[JudgedSolution]], counts: dict[str, int],
                    max_per_problem: int | None, seed: int = 0) -> tuple[list[JudgedSolution], dict[str, int]]:
    """The solutions of every problem in order, at most `max_per_problem` of each (a seeded random subset
    in its original order), and `counts` with `over_per_problem_cap` added."""
    _check_cap(max_per_problem)
    rng = random.Random(seed)
    capped = dict(counts)
    solutions: list[JudgedSolution] = []
    for kept in groups:
        if max_per_problem is not None and len(kept) > max_per_problem:
            chosen = sorted(rng.sample(range(len(kept)), max_per_problem))
            capped["over_per_problem_cap"] += len(kept) - max_per_problem
            kept = [kept[index] for index in chosen]
        solutions.extend(kept)
    return solutions, capped


def judged_solutions(run_dir: str | Path, *, keep_unjudged: bool = False, max_per_problem: int | None = None,
                     seed: int = 0, deduplicate: bool = True) -> tuple[list[JudgedSolution], dict[str, int]]:
    """The graded solutions of a run, per problem in run order, and how many were set aside.

    Identical texts (after stripping) of one problem count once unless `deduplicate` is false;
    `max_per_problem` keeps a seeded random subset of each problem's solutions, in their original order.
    """
    _check_cap(max_per_problem)
    groups, counts = solutions_per_problem(run_dir, keep_unjudged=keep_unjudged, deduplicate=deduplicate)
    return cap_per_problem(groups, counts, max_per_problem, seed)


def check_both_classes(solutions: Sequence[JudgedSolution], counts: dict[str, int], run_dir: str | Path) -> None:
    """Refuse evaluator data that holds one class only (or fewer than 2 solutions), with the counts:
    an evaluator trained on one verdict learns to say it always."""
    correct = sum(item.correct for item in solutions)
    incorrect = len(solutions) - correct
    if correct and incorrect:
        return
    set_aside = [f"{counts[name]} {label}" for name, label in (
        ("unjudged_skipped", "without a gradable answer left out"),
        ("unjudged_kept_as_incorrect", "without a gradable answer counted as incorrect"),
        ("duplicates", "duplicates"), ("over_per_problem_cap", "over max_per_problem")) if counts.get(name)]
    hint = ("; or keep_unjudged: true to count samples without a gradable answer as incorrect"
            if not incorrect and counts.get("unjudged_skipped") else "")
    raise InputError(
        f"the evaluator needs both correct and incorrect solutions, but the samples of {counts['problems']} "
        f"problems give {correct} correct and {incorrect} incorrect solutions (of {counts['samples']} "
        f"samples{': ' + ', '.join(set_aside) if set_aside else ''}): sample more solutions per problem, at a higher "
        f"temperature or on more problems{hint}", path=run_dir)


def balance_classes(solutions: Sequence[JudgedSolution], seed: int = 0) -> list[JudgedSolution]:
    """Downsample the larger class (correct or incorrect) to the size of the smaller, seeded, order kept."""
    correct = [index for index, item in enumerate(solutions) if item.correct]
    incorrect = [index for index, item in enumerate(solutions) if not item.correct]
    if not correct or not incorrect:
        raise InputError(
            f"cannot balance classes: {len(correct)} correct and {len(incorrect)} incorrect solutions; "
            "sample more solutions per problem or turn balancing off (balance: false)")
    larger, smaller = (correct, incorrect) if len(correct) > len(incorrect) else (incorrect, correct)
    keep = set(smaller) | set(random.Random(seed).sample(larger, len(smaller)))
    return [item for index, item in enumerate(solutions) if index in keep]


def build_evaluator_data(run_dir: str | Path, *, balance: bool = True, max_per_problem: int | None = None,
                         seed: int = 0, template: EvaluatorTemplate = DEFAULT_EVALUATOR_TEMPLATE,
                         keep_unjudged: bool = False, deduplicate: bool = True) -> EvaluatorData:
    """Evaluator examples from a graded run directory, with counts of what was set aside and why."""
    solutions, counts = judged_solutions(run_dir, keep_unjudged=keep_unjudged, max_per_problem=max_per_problem,
                                         seed=seed, deduplicate=deduplicate)
    return _verdict_data(solutions, counts, run_dir, balance=balance, seed=seed, template=template)


def _verdict_data(solutions: list[JudgedSolution], counts: dict[str, int], run_dir: str | Path, *, balance: bool,
                  seed: int, template: EvaluatorTemplate) -> EvaluatorData:
    """One example per solution (completion = its verdict), both classes checked, balanced if asked."""
    check_both_classes(solutions, counts, run_dir)
    before = len(solutions)
    if balance:
        solutions = balance_classes(solutions, seed=seed)
    examples = [TrainExample(template.prompt(item.question, item.text), template.verdict(item.correct))
                for item in solutions]
    correct = sum(item.correct for item in solutions)
    summary = EvaluatorCounts(**counts, balanced_away=before - len(solutions), correct=correct,
                              incorrect=len(solutions) - correct)
    return EvaluatorData(examples, summary, solutions)


def evaluator_examples(run_dir: str | Path, *, balance: bool = True, max_per_problem: int | None = None,
                       seed: int = 0, template: EvaluatorTemplate = DEFAULT_EVALUATOR_TEMPLATE,
                       keep_unjudged: bool = False, deduplicate: bool = True) -> list[TrainExample]:
    """Evaluator examples (prompt = template.prompt(question, sample), completion = verdict); see
    `build_evaluator_data` for the counts."""
    return build_evaluator_data(run_dir, balance=balance, max_per_problem=max_per_problem, seed=seed,
                                template=template, keep_unjudged=keep_unjudged, deduplicate=deduplicate).examples


def evaluator_pair_examples(run_dir: str | Path, *, max_pairs_per_problem: int | None = None, seed: int = 0,
                            template: EvaluatorTemplate = DEFAULT_EVALUATOR_TEMPLATE,
                            keep_unjudged: bool = False, pairing: str = "round_robin",
                            deduplicate: bool = True) -> list[TrainExample]:
    """(correct, incorrect) solution pairs of the same problem for the `"pairwise"` objective.

    Each example has `prompt` = a correct solution's evaluator prompt, `rejected_prompt` = an
    incorrect solution's, and `completion` = the " correct" verdict. Per problem, with `pairing`
    `"round_robin"` both lists are shuffled (seeded) and paired round-robin, so every solution
    appears in at least one pair (max(correct, incorrect) pairs); with `"all"` every combination is
    a pair (correct x incorrect). `max_pairs_per_problem` caps the pairs (a seeded subset for `"all"`).
    Problems with only one class give none.
    """
    _check_pair_options(max_pairs_per_problem, pairing)
    groups, _ = solutions_per_problem(run_dir, keep_unjudged=keep_unjudged, deduplicate=deduplicate)
    return _pair_examples(groups, run_dir, max_pairs_per_problem=max_pairs_per_problem, seed=seed,
                          template=template, pairing=pairing)


def _check_pair_options(max_pairs_per_problem: int | None, pairing: str) -> None:
    if max_pairs_per_problem is not None and max_pairs_per_problem < 1:
        raise ConfigError(f"max_pairs_per_problem must be >= 1 or None, got {max_pairs_per_problem}")
    if pairing not in PAIRINGS:
        raise ConfigError(f"pairing must be one of {', '.join(PAIRINGS)}, got {pairing!r}")


def _pair_examples(groups: Sequence[Sequence[JudgedSolution]], run_dir: str | Path, *,
                   max_pairs_per_problem: int | None, seed: int, template: EvaluatorTemplate,
                   pairing: str) -> list[TrainExample]:
    """The pairs of `evaluator_pair_examples` from each problem's solutions."""
    rng = random.Random(seed)
    pairs: list[TrainExample] = []
    for items in groups:
        correct = [item for item in items if item.correct]
        incorrect = [item for item in items if not item.correct]
        if not correct or not incorrect:
            continue
        if pairing == "all":
            combos = [(good, bad) for good in correct for bad in incorrect]
            if max_pairs_per_problem is not None and len(combos) > max_pairs_per_problem:
                combos = [combos[index] for index in sorted(rng.sample(range(len(combos)), max_pairs_per_problem))]
        else:
            rng.shuffle(correct)
            rng.shuffle(incorrect)
            count = max(len(correct), len(incorrect))
            if max_pairs_per_problem is not None:
                count = min(count, max_pairs_per_problem)
            combos = [(correct[k % len(correct)], incorrect[k % len(incorrect)]) for k in range(count)]
        pairs += [TrainExample(prompt=template.prompt(good.question, good.text), completion=template.verdict(True),
                               rejected_prompt=template.prompt(bad.question, bad.text),
                               alternative=template.verdict(False)) for good, bad in combos]
    if not pairs:
        raise InputError("no problem has both a correct and an incorrect solution: no pairs to train on",
                         path=run_dir)
    return pairs


def evaluator_joint_examples(run_dir: str | Path, *, balance: bool = False, max_per_problem: int | None = None,
                             max_pairs_per_problem: int | None = None, seed: int = 0,
                             template: EvaluatorTemplate = DEFAULT_EVALUATOR_TEMPLATE,
                             keep_unjudged: bool = False, pairing: str = "round_robin",
                             deduplicate: bool = True) -> EvaluatorData:
    """Examples for the `"joint"` objective: the single solutions of `build_evaluator_data` (completion =
    their verdict, `alternative` = the other verdict), followed by the pairs of `evaluator_pair_examples`
    (each with `alternative`), both from one read of the run. `max_per_problem` caps the singles only,
    `max_pairs_per_problem` the pairs. The counts are the singles'; `pairs` is
    `len(examples) - len(solutions)`."""
    _check_pair_options(max_pairs_per_problem, pairing)
    _check_cap(max_per_problem)
    groups, counts = solutions_per_problem(run_dir, keep_unjudged=keep_unjudged, deduplicate=deduplicate)
    solutions, counts = cap_per_problem(groups, counts, max_per_problem, seed)
    singles = _verdict_data(solutions, counts, run_dir, balance=balance, seed=seed, template=template)
    pairs = _pair_examples(groups, run_dir, max_pairs_per_problem=max_pairs_per_problem, seed=seed,
                           template=template, pairing=pairing)
    examples = [TrainExample(example.prompt, example.completion, alternative=template.verdict(not item.correct))
                for example, item in zip(singles.examples, singles.solutions)]
    return EvaluatorData(examples + pairs, singles.counts, singles.solutions)
