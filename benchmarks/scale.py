"""Benchmark: a synthetic run at scale through every stage after sampling, in time and memory.

    python benchmarks/scale.py --problems P --samples N [--workers W] [--keep DIR]

A replay file of P problems x N samples is generated (solutions a few sentences long, with final
answers as models write them: integers, fractions, decimals, roots, intervals, some equivalent
forms of the reference, some wrong, some with no final answer, some scores), then:

1. `evalkit import` (samples.jsonl and the stored scores, scores.jsonl);
2. grading (`grade_stage`, W worker processes);
3. reranking: `score_run` with an evaluator that needs no model (each verdict's log-probability is
   a hash of the evaluator prompt), which adds a second scorer to scores.jsonl;
4. the report on the stored scores (pass@k, maj@k, bon@k, scr@k with bootstrap intervals);
5. the run cut into 4 shard directories (streamed) and joined again with `merge_runs`.

The same stages run first on 2 problems (untimed: imports and caches) and on a baseline of P/4
problems (same N, same kind of data), in the same process. The last line printed is one JSON object: `{"problems", "samples", "wall_s", "peak_rss_mb",
...}` with each stage's seconds, the peak resident memory of this process (and the peak so far
after each stage, to see which stage raised it; the baseline ran first, so it is in these peaks too)
and, separately, of its reaped child processes, and `time_per_sample_vs_baseline`: seconds per
sample at P against those at P/4 (1.0 when wall time is linear in P*N; fixed costs such as starting
the grading processes push it below 1). Goals (issue 9): wall time linear in P*N; peak memory under
2 GB at 100,000 x 64, which needs a machine with room for 100k x 64.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import math
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from rich.console import Console  # noqa: E402

from evalkit.jsonl import dumps_line, iter_keys, record_keys, write_lines_atomic  # noqa: E402
from evalkit.store import RunDir, Shard  # noqa: E402

SEED = 0
SHARDS = 4
OPENERS = (
    "We begin by writing down what the problem gives us.",
    "Let us set up an equation for the unknown quantity.",
    "First, simplify the expression step by step.",
    "Consider the two cases separately and combine them.",
)
STEPS = (
    "Multiplying both sides by $2$ gives $2x + 6 = 14$, so $x = 4$.",
    "Substituting back, we find that $\\frac{12}{3} = 4$ holds.",
    "The discriminant is $b^2 - 4ac = 25 - 24 = 1 > 0$, so there are two real roots.",
    "Using the identity $\\sin^2\\theta + \\cos^2\\theta = 1$, the expression reduces nicely.",
    "Summing the arithmetic series gives $\\frac{n(n+1)}{2}$ terms in total.",
    "Checking the endpoints, only the right one satisfies the strict inequality.",
)


def reference_and_forms(rng: random.Random) -> tuple[str, list[str], list[str]]:
    """A reference answer, answers equal to it written differently, and wrong answers."""
    kind = rng.randrange(5)
    if kind == 0:
        value = rng.randint(2, 999)
        return str(value), [str(value), f"{value}.0", f"\\text{{{value}}}"], [str(value + 1), str(value * 2)]
    if kind == 1:
        a, b = rng.randint(1, 9), rng.choice((2, 4, 5, 8))
        if math.gcd(a, b) != 1:
            a = 1
        return f"\\frac{{{a}}}{{{b}}}", [f"\\frac{{{a}}}{{{b}}}", f"{a / b:g}", f"\\dfrac{{{a}}}{{{b}}}"], \
            [f"\\frac{{{b}}}{{{a}}}", f"{a / b + 1:g}"]
    if kind == 2:
        n = rng.choice((2, 3, 5, 6, 7))
        return f"2\\sqrt{{{n}}}", [f"2\\sqrt{{{n}}}", f"\\sqrt{{{4 * n}}}"], [f"\\sqrt{{{n}}}", f"4\\sqrt{{{n}}}"]
    if kind == 3:
        a, b = sorted(rng.sample(range(-9, 10), 2))
        return f"({a}, {b}]", [f"({a},{b}]", f"\\left({a}, {b}\\right]"], [f"[{a}, {b}]", f"({a}, {b + 1}]"]
    c = rng.randint(1, 9)
    return f"x^2+{c}", [f"x^2+{c}", f"{c}+x^2"], [f"x^2-{c}", f"x^2+{c + 1}"]


def solution_text(rng: random.Random, answer: str | None) -> str:
    steps = " ".join(rng.choice(STEPS) for _ in range(rng.randint(2, 5)))
    ending = (f" Therefore, the final answer is $\\boxed{{{answer}}}$." if answer is not None
              else " So we are left with the expression above.")
    return f"{rng.choice(OPENERS)} {steps}{ending}"


def write_replay_file(path: Path, problems: int, samples: int) -> None:
    """The import file: one line per problem, streamed to disk."""
    rng = random.Random(SEED)

    def lines() -> Iterator[str]:
        for index in range(problems):
            reference, equal, wrong = reference_and_forms(rng)
            items = []
            for _ in range(samples):
                draw = rng.random()
                answer = (rng.choice(equal) if draw < 0.55 else rng.choice(wrong) if draw < 0.9 else None)
                items.append({"text": solution_text(rng, answer), "score": round(rng.random(), 4)})
            yield dumps_line({"id": f"synthetic/{index}", "question": f"Synthetic problem {index}: find the value.",
                              "reference": reference, "samples": items})

    write_lines_atomic(path, lines())


class HashVerdicts:
    """An evaluator backend that needs no model: each verdict's log-probability comes from a
    hash of the prompt (what reranking costs around the model, at any scale)."""

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> list[dict[str, float]]:
        rows = []
        for prompt in prompts:
            digest = hashlib.blake2b(prompt.encode("utf-8", "surrogatepass"), digest_size=8).digest()
            p = (int.from_bytes(digest, "big") % 9973 + 1) / 9975
            rows.append({candidates[0]: math.log(p), candidates[1]: math.log(1 - p)})
        return rows


def split_into_shards(run: RunDir, root: Path, count: int) -> list[Path]:
    """Cut a finished run into `count` contiguous shard directories, as `evalkit run --shard i/N`
    would have written them (streaming: lines are copied, not parsed)."""
    import yaml

    ids = [problem_id for _, (problem_id,) in iter_keys(run.samples_path, ("problem_id",))]
    config = run.read_config()
    parts = []
    for index in range(count):
        shard = Shard(index, count)
        chosen = set(shard.select(ids))
        part = RunDir(root / f"shard{index}")
        part_config = {**config, "num_problems": len(chosen)}
        part.claim(yaml.safe_dump(part_config, sort_keys=False), config["config_hash"], shard)
        for source in (run.samples_path, run.graded_path, run.scores_path):
            def lines(source: Path = source) -> Iterator[str]:
                with source.open("rb") as handle:
                    for number, raw in enumerate(handle, start=1):
                        if record_keys(raw, ("problem_id",), path=source, line=number)[0] in chosen:
                            yield raw.decode("utf-8")

            write_lines_atomic(part.path / source.name, lines())
        parts.append(part.path)
    return parts


def peak_rss_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # KiB on Linux


def run_stages(root: Path, problems: int, samples: int, workers: int | None, *,
               peaks: dict[str, float]) -> tuple[float, dict[str, float]]:
    """Every stage on a fresh input of `problems` x `samples` under `root`: the wall time (without
    the input's generation and the shard split) and each stage's seconds; `peaks` gets the peak
    memory so far after each stage."""
    from evalkit.importer import import_samples
    from evalkit.pipeline.grade import grade_stage
    from evalkit.pipeline.merge import merge_runs
    from evalkit.report.cli import report_run
    from reranker.evaluator import SolutionEvaluator
    from reranker.scoring import score_run

    root.mkdir(parents=True, exist_ok=True)
    quiet = Console(quiet=True)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    write_replay_file(root / "replay.jsonl", problems, samples)
    seconds["generate_input_s"] = time.perf_counter() - started

    wall_start = time.perf_counter()
    stage = time.perf_counter()
    import_samples(root / "replay.jsonl", task="math500", out=root / "run", model="synthetic", show_progress=False)
    seconds["import_s"] = time.perf_counter() - stage
    peaks["import"] = peak_rss_mb(resource.RUSAGE_SELF)
    run = RunDir(root / "run")

    stage = time.perf_counter()
    grade_stage(run, workers=workers, show_progress=False)
    seconds["grade_s"] = time.perf_counter() - stage
    peaks["grade"] = peak_rss_mb(resource.RUSAGE_SELF)

    stage = time.perf_counter()
    evaluator = SolutionEvaluator(HashVerdicts(), name="hash-evaluator")
    score_run(run.path, evaluator, method="scr", show_progress=False)
    seconds["rerank_s"] = time.perf_counter() - stage
    peaks["rerank"] = peak_rss_mb(resource.RUSAGE_SELF)

    stage = time.perf_counter()
    report_run(run.path, resamples=200, scorer="imported", console=quiet)
    seconds["report_s"] = time.perf_counter() - stage
    peaks["report"] = peak_rss_mb(resource.RUSAGE_SELF)

    stage = time.perf_counter()
    parts = split_into_shards(run, root / "shards", SHARDS)
    seconds["split_s"] = time.perf_counter() - stage
    stage = time.perf_counter()
    merged = merge_runs(parts, root / "merged")
    seconds["merge_s"] = time.perf_counter() - stage
    peaks["merge"] = peak_rss_mb(resource.RUSAGE_SELF)
    wall = time.perf_counter() - wall_start - seconds["split_s"]
    if not filecmp.cmp(merged.samples_path, run.samples_path, shallow=False):
        raise SystemExit("the merged samples differ from the run's")
    return wall, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, required=True)
    parser.add_argument("--samples", type=int, required=True)
    parser.add_argument("--workers", type=int, default=None, help="grading processes (default: CPU count)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the run directories here")
    args = parser.parse_args()
    if args.problems < 1 or args.samples < 1:
        parser.error("--problems and --samples must be 1 or more")
    baseline_problems = max(1, args.problems // 4)

    root = args.keep or Path(tempfile.mkdtemp(prefix="evalkit-bench-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    peaks: dict[str, float] = {}  # the peak so far after each stage: which stage raised it
    try:
        # untimed: the first pass pays for imports and caches that later passes reuse
        run_stages(root / "warmup", 2, args.samples, args.workers, peaks={})
        baseline_wall, _ = run_stages(root / "baseline", baseline_problems, args.samples, args.workers, peaks={})
        wall, seconds = run_stages(root, args.problems, args.samples, args.workers, peaks=peaks)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    per_sample = wall / (args.problems * args.samples)
    baseline_per_sample = baseline_wall / (baseline_problems * args.samples)
    print(json.dumps({
        "problems": args.problems, "samples": args.samples, "wall_s": round(wall, 2),
        "baseline_problems": baseline_problems, "baseline_wall_s": round(baseline_wall, 2),
        "time_per_sample_vs_baseline": round(per_sample / baseline_per_sample, 3),
        "peak_rss_mb": peak_rss_mb(resource.RUSAGE_SELF),
        "peak_rss_reaped_children_mb": peak_rss_mb(resource.RUSAGE_CHILDREN),
        "seconds_per_million_samples": round(per_sample * 1e6, 1),
        "peak_rss_mb_after": peaks,
        **{key: round(value, 2) for key, value in seconds.items()},
    }))


if __name__ == "__main__":
    main()
