"""Benchmark: evalkit's grader against Math-Verify on realistic full responses, same run, same data.

    python benchmarks/grading.py [--data-dir ../shared/data] [--limit N] [--gsm8k N] [--reasoning N]
                                 [--groups G] [--workers 2]

The mix of responses:
- MATH reference solutions (worked text ending in a box);
- GSM8K reference solutions written the way GPT-style fine-tuned models answer, calculator
  annotations removed and the final line `A: <number>` (as in openai/grade-school-math's model
  solutions);
- reasoning-model outputs: a `<think>` block of 10k-100k characters of worked text, then the
  MATH solution after `</think>`.
Each is graded against (a) its own answer (expected correct), (b) another problem's answer
(expected wrong) and (c) its answer with one number changed (expected wrong). Clustering is
timed on 64-sample groups made from each solution with its final box replaced by one of a few
distinct answers, and its cost per distinct answer is measured at 4, 16 and 64 distinct answers
per group (linear cost keeps that figure flat).

The last line printed is one JSON object of named figures (ratios of evalkit against
Math-Verify measured in the same run), for comparing commits.

Both graders get the same number of worker processes. Math-Verify is called as its README shows,
`verify(parse(gold), parse(response))` with the gold first; the bare reference is given to it as
`$reference$`, its documented form for a LaTeX gold answer (without the dollars it parses
nothing for answers such as `x^2+1`). Both sides are warmed up (worker processes started) before
the clock starts. Pairs on which the two disagree go to `benchmarks/out/grading_disagreements.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from evalkit.grading.api import cluster_many, grade  # noqa: E402
from evalkit.grading.extract import last_boxed  # noqa: E402
from evalkit.jsonl import write_jsonl  # noqa: E402
from evalkit.progress import make_progress  # noqa: E402

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
OUT_DIR = REPO_ROOT / "benchmarks" / "out"
GROUP_SIZE = 64
SEED = 0
_LAST_INTEGER = re.compile(r"\d{1,12}(?!.*\d)", re.DOTALL)


@dataclass(frozen=True)
class MathProblem:
    id: str
    solution: str
    reference: str


@dataclass(frozen=True)
class Pair:
    """One response to grade against one reference, with the verdict it should get."""

    kind: str
    problem_id: str
    response: str
    reference: str
    expected: bool


def load_problems(data_dir: Path) -> list[MathProblem]:
    """MATH test problems (MATH-500's extracted answers where it has them), in file order."""
    answers = {}
    math500 = data_dir / "math" / "math500.jsonl"
    for line in math500.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        answers[row["unique_id"]] = row["answer"]
    problems = []
    for line in (data_dir / "math" / "test.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        reference = answers.get(row["unique_id"]) or last_boxed(row["solution"])
        if reference:
            problems.append(MathProblem(row["unique_id"], row["solution"], reference))
    return problems


def perturb(reference: str) -> str | None:
    """The reference with its last integer increased by one (`\\frac{3}{4}` -> `\\frac{3}{5}`)."""
    match = _LAST_INTEGER.search(reference)
    if match is None:
        return None
    return reference[:match.start()] + str(int(match.group()) + 1) + reference[match.end():]


def load_gsm8k(data_dir: Path) -> list[MathProblem]:
    """GSM8K test solutions as a fine-tuned model writes them: no `<<...>>`, last line `A: N`."""
    problems = []
    for index, line in enumerate((data_dir / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        body, _, final = row["answer"].rpartition("####")
        reference = final.strip().replace(",", "")
        solution = re.sub(r"<<[^<>]*>>", "", body).rstrip() + f"\nA: {final.strip()}"
        problems.append(MathProblem(f"gsm8k/test/{index}", solution, reference))
    return problems


def as_reasoning_output(problem: MathProblem, others: Sequence[MathProblem], rng: random.Random) -> MathProblem:
    """The solution after a `<think>` block of 10k-100k characters of other worked solutions."""
    target = rng.randint(10_000, 100_000)
    thinking: list[str] = []
    size = 0
    while size < target:
        piece = rng.choice(others).solution
        thinking.append(piece)
        size += len(piece) + 2
    text = "<think>\n" + "\n\n".join(thinking)[:target] + "\n</think>\n\n" + problem.solution
    return MathProblem(problem.id, text, problem.reference)


def build_pairs(problems: Sequence[MathProblem], rng: random.Random, source: str) -> list[Pair]:
    """Three pairs per problem: own answer, another problem's answer, own answer perturbed."""
    pairs = []
    for index, problem in enumerate(problems):
        pairs.append(Pair(f"{source}:own", problem.id, problem.solution, problem.reference, True))
        other = problems[(index + rng.randrange(1, len(problems))) % len(problems)]
        if other.reference.replace(" ", "") != problem.reference.replace(" ", ""):
            pairs.append(Pair(f"{source}:other", problem.id, problem.solution, other.reference, False))
        perturbed = perturb(problem.reference)
        if perturbed is not None:
            pairs.append(Pair(f"{source}:perturbed", problem.id, problem.solution, perturbed, False))
    return pairs


def with_final_answer(solution: str, reference: str, answer: str) -> str:
    """The solution with its final answer (the last occurrence of the reference) replaced."""
    head, _, tail = solution.rpartition(reference)
    return head + answer + tail if head or tail else solution


def build_groups(problems: Sequence[MathProblem], rng: random.Random) -> list[list[str]]:
    """64 responses per problem: its solution ending in one of three distinct answers."""
    groups = []
    for index, problem in enumerate(problems):
        other = problems[(index + 1) % len(problems)].reference
        candidates = [problem.reference, perturb(problem.reference) or problem.reference + "+1", other]
        chosen = rng.choices(candidates, weights=[0.6, 0.25, 0.15], k=GROUP_SIZE)
        groups.append([with_final_answer(problem.solution, problem.reference, answer) for answer in chosen])
    return groups


def groups_with_distinct_answers(problems: Sequence[MathProblem], distinct: int, count: int) -> list[list[str]]:
    """`count` groups of 64 responses whose final boxes hold `distinct` different answers (exact
    multiples and radicals of each problem's reference, so that clustering must use SymPy)."""
    groups = []
    for problem in problems[:count]:
        answers = [f"{k}\\sqrt{{{k + 1}}}+\\frac{{{problem.reference.count('1') + 1}}}{{{k + 2}}}" for k in range(distinct)]
        groups.append([f"Working... so the answer is $\\boxed{{{answers[i % distinct]}}}$." for i in range(GROUP_SIZE)])
    return groups


# ------------------------------------------------------------------ Math-Verify side (worker functions)

def math_verify_pair(pair: tuple[str, str]) -> tuple[bool, str]:
    """Math-Verify's verdict on (reference, response), and the answer it parsed."""
    from math_verify import parse, verify

    reference, response = pair
    try:
        gold, predicted = parse(f"${reference}$"), parse(response)
        return bool(verify(gold, predicted)), str(predicted[-1]) if predicted else ""
    except Exception as error:  # noqa: BLE001 - counted as a wrong verdict, as Math-Verify itself does
        return False, f"error: {type(error).__name__}"


def math_verify_cluster(responses: list[str]) -> list[int]:
    """Greedy clustering with Math-Verify: parse each response once, join the first equal cluster."""
    from math_verify import parse, verify

    representatives: list[Any] = []
    labels = []
    for response in responses:
        parsed = parse(response)
        for label, representative in enumerate(representatives):
            if parsed and representative and verify(representative, parsed):
                labels.append(label)
                break
        else:
            representatives.append(parsed)
            labels.append(len(representatives) - 1)
    return labels


def _warm_math_verify(_: int) -> bool:
    return math_verify_pair(("1", r"$\boxed{1}$"))[0]


def run_in_pool(pool: Any, fn: Callable[[Any], Any], items: Sequence[Any], description: str) -> list[Any]:
    """`pool.imap` with a rich progress bar, results in order."""
    results = []
    with make_progress() as progress:
        task = progress.add_task(description, total=len(items))
        for result in pool.imap(fn, items, chunksize=8):
            results.append(result)
            progress.advance(task)
    return results


# ------------------------------------------------------------------ comparison

def same_partition(first: Sequence[int], second: Sequence[int]) -> bool:
    """Whether two labelings group the same items together (label values may differ)."""
    mapping: dict[int, int] = {}
    reverse: dict[int, int] = {}
    for a, b in zip(first, second):
        if mapping.setdefault(a, b) != b or reverse.setdefault(b, a) != a:
            return False
    return True


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def disagreements(pairs: Sequence[Pair], ours: Sequence[Any], theirs: Sequence[tuple[bool, str]]) -> Iterator[dict[str, Any]]:
    for pair, verdict, (mv_correct, mv_answer) in zip(pairs, ours, theirs):
        if bool(verdict.correct) != mv_correct:
            yield {"problem_id": pair.problem_id, "kind": pair.kind, "reference": pair.reference,
                   "expected": pair.expected, "evalkit_answer": verdict.answer, "evalkit_correct": verdict.correct,
                   "evalkit_reason": verdict.reason, "math_verify_answer": mv_answer,
                   "math_verify_correct": mv_correct}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--limit", type=int, default=1500, help="MATH problems to use (3 pairs each)")
    parser.add_argument("--gsm8k", type=int, default=500, help="GSM8K answer-line solutions (3 pairs each)")
    parser.add_argument("--reasoning", type=int, default=40,
                        help="MATH solutions behind a 10k-100k character <think> block (3 pairs each)")
    parser.add_argument("--groups", type=int, default=40, help="64-sample groups to cluster")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0, help="evalkit's time limit per item")
    args = parser.parse_args(argv)
    console = Console()
    if not (args.data_dir / "math" / "test.jsonl").exists():
        console.print(f"[red]no MATH data under {args.data_dir}[/]")
        raise SystemExit(2)

    rng = random.Random(SEED)
    problems = load_problems(args.data_dir)
    rng.shuffle(problems)
    gsm8k = load_gsm8k(args.data_dir)
    rng.shuffle(gsm8k)
    reasoning = [as_reasoning_output(p, problems, rng) for p in problems[args.limit:args.limit + args.reasoning]]
    pairs = (build_pairs(problems[:args.limit], rng, "math") + build_pairs(gsm8k[:args.gsm8k], rng, "gsm8k")
             + build_pairs(reasoning, rng, "reasoning"))
    groups = build_groups(problems[:args.groups], rng)
    responses = [pair.response for pair in pairs]
    references = [pair.reference for pair in pairs]
    console.print(f"{len(pairs)} pairs ({min(args.limit, len(problems))} MATH, {min(args.gsm8k, len(gsm8k))} "
                  f"GSM8K, {len(reasoning)} reasoning problems), {len(groups)} groups of {GROUP_SIZE}; "
                  f"{args.workers} workers each side")

    grade([r"\boxed{x^2}"], [r"x \cdot x"], workers=args.workers, timeout=args.timeout)  # start the fork server
    ours, ours_s = timed(lambda: grade(responses, references, workers=args.workers, timeout=args.timeout,
                                       progress=True))
    our_clusters, our_cluster_s = timed(lambda: cluster_many(groups, workers=args.workers, timeout=args.timeout,
                                                             progress=True))
    cost_per_distinct = {}
    for distinct in (4, 16, 64):
        made = groups_with_distinct_answers(problems, distinct, 8)
        _, seconds = timed(lambda: cluster_many(made, workers=args.workers, timeout=args.timeout))
        cost_per_distinct[distinct] = seconds / (len(made) * distinct)

    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        pool.map(_warm_math_verify, range(args.workers))
        theirs, theirs_s = timed(lambda: run_in_pool(pool, math_verify_pair, list(zip(references, responses)),
                                                     "math-verify"))
        their_clusters, their_cluster_s = timed(lambda: run_in_pool(pool, math_verify_cluster, groups,
                                                                    "math-verify clusters"))

    found = list(disagreements(pairs, ours, theirs))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    write_jsonl(OUT_DIR / "grading_disagreements.jsonl", found)

    table = Table(title="grading throughput (full responses)")
    for column in ("", "evalkit", "Math-Verify", "evalkit / Math-Verify"):
        table.add_column(column, justify="right")
    table.add_row("pairs graded per second", f"{len(pairs) / ours_s:.1f}", f"{len(pairs) / theirs_s:.1f}",
                  f"{theirs_s / ours_s:.1f}x")
    samples = len(groups) * GROUP_SIZE
    table.add_row("samples clustered per second", f"{samples / our_cluster_s:.1f}",
                  f"{samples / their_cluster_s:.1f}", f"{their_cluster_s / our_cluster_s:.1f}x")
    for kind in sorted({pair.kind for pair in pairs}):
        chosen = [i for i, pair in enumerate(pairs) if pair.kind == kind]
        ours_right = sum(bool(ours[i].correct) == pairs[i].expected for i in chosen)
        theirs_right = sum(theirs[i][0] == pairs[i].expected for i in chosen)
        table.add_row(f"as expected: {kind} ({len(chosen)})", f"{ours_right / len(chosen):.1%}",
                      f"{theirs_right / len(chosen):.1%}", "")
    agree = sum(same_partition(a, b) for a, b in zip(our_clusters, their_clusters))
    table.add_row("groups clustered identically", f"{agree}/{len(groups)}", "", "")
    for distinct, seconds in cost_per_distinct.items():
        table.add_row(f"clustering ms per distinct answer ({distinct} per group)", f"{seconds * 1000:.2f}", "", "")
    console.print(table)
    console.print(f"{len(found)} pairs on which evalkit and Math-Verify disagree -> "
                  f"{OUT_DIR / 'grading_disagreements.jsonl'}", highlight=False)
    expected = sum(bool(v.correct) == p.expected for v, p in zip(ours, pairs)) / len(pairs)
    their_expected = sum(t[0] == p.expected for t, p in zip(theirs, pairs)) / len(pairs)
    print(json.dumps({
        "pairs": len(pairs), "evalkit_pairs_per_s": round(len(pairs) / ours_s, 1),
        "math_verify_pairs_per_s": round(len(pairs) / theirs_s, 1),
        "speedup_pairs": round(theirs_s / ours_s, 2), "speedup_clustering": round(their_cluster_s / our_cluster_s, 2),
        "evalkit_as_expected": round(expected, 4), "math_verify_as_expected": round(their_expected, 4),
        "agreement_with_math_verify": round(1 - len(found) / len(pairs), 4),
        "groups_clustered_identically": round(agree / len(groups), 4),
        "cluster_cost_per_distinct_64_vs_4": round(cost_per_distinct[64] / cost_per_distinct[4], 2),
    }))


if __name__ == "__main__":
    main()
