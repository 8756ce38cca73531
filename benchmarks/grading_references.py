"""Benchmark: false positives and lost matches of the grader on real references.

    python benchmarks/grading_references.py [--data-dir ../shared/data] [--workers 2]

Every reference of MATH test (5000, as the task reads them: the last box of each solution, or all
its boxes where the question asks for all solutions), MATH-500 (its `answer`),
Minerva (272, the last box, graded with the task's 1% relative tolerance) and OlympiadBench (675,
`final_answer` without `$`, entries joined by ", ") is graded, with the policy of its task:

- against itself, written the ways models write it (`self_*`, all should be right): in a box
  after "The final answer is" (`boxed`), bare (`bare`), in Minerva's closing line (`minerva`),
  the reference solution itself (`solution`; OlympiadBench's first solution has no box and
  ends in prose, so many of those find no answer), and the solution with each box replaced by
  its content (`unboxed`, where it has a box: how a model that does not box ends, read by the
  answer-line, final-sentence and last-number rules; some such endings state two values);
- against the references of two other problems of the same set (shifts 1 and 37, skipped where
  the two references are the same string), written the same ways (`cross_*`, should be wrong;
  a few are right because two problems share one answer written two ways);
- against itself with a minus sign before its box, `$-\\boxed{ref}$` (`neg_boxed`: right only
  where the negation is the same answer, such as 0, a symmetric set or text).

A change to the grader should never lower a `self_*` figure nor raise a `cross_*` one. The last
line printed is one JSON object of named figures: `<set>_<kind>` is how many of its pairs were
graded right, with `pairs_<set>_<kind>` the number of pairs and `seconds` the time taken. Each
pair's verdict goes to `benchmarks/out/grading_references.jsonl`, to diff two commits.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from evalkit.grading import GradingPolicy, grade  # noqa: E402
from evalkit.grading.extract import last_boxed  # noqa: E402
from evalkit.jsonl import write_jsonl  # noqa: E402
from tasks import get_task  # noqa: E402
from tasks.olympiadbench import clean_final_answer  # noqa: E402

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
OUT_FILE = REPO_ROOT / "benchmarks" / "out" / "grading_references.jsonl"
SHIFTS = (1, 37)


@dataclass(frozen=True)
class ReferenceSet:
    name: str
    references: list[str]
    solutions: list[str]
    questions: list[str]
    policy: GradingPolicy


@dataclass(frozen=True)
class Pair:
    kind: str
    index: int
    response: str
    reference: str


def _records(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_sets(data_dir: Path) -> list[ReferenceSet]:
    """The four sets of references with their solutions and grading policies."""
    math = _records(data_dir / "math" / "test.jsonl")
    math500 = _records(data_dir / "math" / "math500.jsonl")
    minerva = _records(data_dir / "minerva_math" / "test.jsonl")
    olympiad = _records(data_dir / "olympiadbench" / "test.jsonl")
    return [
        ReferenceSet("math", [problem.reference for problem in get_task("math").load("test", data_dir=data_dir)],
                     [r["solution"] for r in math], [r["problem"] for r in math], get_task("math").grading),
        ReferenceSet("math500", [r["answer"] for r in math500], [r["solution"] for r in math500],
                     [r["problem"] for r in math500], get_task("math500").grading),
        ReferenceSet("minerva", [last_boxed(r["solution"]) or "" for r in minerva], [r["solution"] for r in minerva],
                     [r["problem"] for r in minerva], get_task("minerva_math").grading),
        ReferenceSet("olympiad", [", ".join(clean_final_answer(a) for a in r["final_answer"]) for r in olympiad],
                     [r["solution"][0] if r["solution"] else "" for r in olympiad],
                     [r["question"] for r in olympiad], get_task("olympiadbench").grading),
    ]


def without_boxes(text: str) -> str:
    """`text` with each `\\boxed{X}` replaced by `X` (an unclosed box is left as written)."""
    out, position = [], 0
    while (start := text.find("\\boxed{", position)) >= 0:
        depth, end = 1, start + len("\\boxed{")
        while end < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        if depth:
            break
        out += [text[position:start], text[start + len("\\boxed{"):end - 1]]
        position = end
    return "".join(out) + text[position:]


def _written_ways(reference: str, solution: str) -> Iterator[tuple[str, str]]:
    yield "boxed", f"The final answer is $\\boxed{{{reference}}}$."
    yield "bare", reference
    yield "minerva", f"Final Answer: The final answer is {reference}. I hope it is correct."
    yield "solution", solution
    if "\\boxed{" in solution:
        yield "unboxed", without_boxes(solution)


def pairs_of(references: ReferenceSet) -> list[Pair]:
    """The self, cross and negated pairs of one set (module notes); each is graded in the problem
    of its reference (its question)."""
    refs, sols = references.references, references.solutions
    pairs: list[Pair] = []
    for index, reference in enumerate(refs):
        pairs += [Pair("self_" + way, index, text, reference) for way, text in _written_ways(reference, sols[index])]
        pairs.append(Pair("neg_boxed", index, f"The answer is $-\\boxed{{{reference}}}$.", reference))
        for shift in SHIFTS:
            other = (index + shift) % len(refs)
            if refs[other] != reference:
                pairs += [Pair("cross_" + way, index, text, reference)
                          for way, text in _written_ways(refs[other], sols[other])]
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures: dict[str, int] = {}
    rows: list[dict] = []
    for references in load_sets(args.data_dir):
        pairs = pairs_of(references)
        verdicts = grade([p.response for p in pairs], [p.reference for p in pairs], workers=args.workers,
                         policy=references.policy, questions=[references.questions[p.index] for p in pairs])
        for pair, verdict in zip(pairs, verdicts):
            name = f"{references.name}_{pair.kind}"
            figures[name] = figures.get(name, 0) + int(verdict.correct)
            figures["pairs_" + name] = figures.get("pairs_" + name, 0) + 1
            rows.append({"set": references.name, "kind": pair.kind, "index": pair.index, "reference": pair.reference,
                         "answer": verdict.answer, "correct": verdict.correct, "reason": verdict.reason})
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(OUT_FILE, rows)
    for name in sorted(k for k in figures if not k.startswith("pairs_")):
        print(f"{name:28s} {figures[name]:6d} / {figures['pairs_' + name]}")
    print(json.dumps({"seconds": round(time.perf_counter() - started, 1), **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
