"""What it takes to train the demo's solution evaluator: held-out AUROC of evaluator variants.

    python scripts/evaluator_ablation.py --work results-work/seed-0 --out results/demo-arith

Run after `scripts/make_results.py` (it reuses that seed's stage-1 SSFT model and its graded
samples of training problems). Every variant is fine-tuned from the stage-1 checkpoint by the
training engine (`evalkit.training.finetune`) on the stage-1 model's own graded samples, and
scored by `reranker.SolutionEvaluator` on a VALIDATION split: training problems the evaluator
data does not use (never the test split). Variants differ in optimizer steps, class balance and
objective (token cross-entropy on the verdict, or the paper's margin loss on pairs of a right
and a wrong solution of one problem), and one probe variant trained instead on reference solutions
with written-in mistakes (`tasks.arith.perturbed_solution`). Besides the pooled AUROC it reports the
mean AUROC within each problem, which is what re-ranking needs, and, per kind of mistake, how well
each variant tells a held-out reference solution from the same solution with that mistake. Writes
`evaluator_ablation.json` and `evaluator_ablation.md` into `--out`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalkit.demo import DemoLayout, DemoSettings, sequential_config, torch_threads  # noqa: E402
from evalkit.report.tables import markdown_table, write_text_atomic  # noqa: E402



@dataclass(frozen=True)
class Variant:
    """One evaluator variant. `data`: "own" = the stage-1 model's graded samples (the paper's
    evaluator data); "own-2x" = the same from twice as many training problems; "perturbed" = the
    training problems' reference solutions with one mistake written in (`tasks.arith.perturbed_solution`),
    labelled by their answers: a probe of whether this model can learn to see such mistakes at all,
    given ten times the steps. `base`: "stage1", or an earlier variant whose model this one goes on from."""

    name: str
    objective: str
    balanced: bool
    steps: int
    data: str
    base: str = "stage1"


VARIANTS = (Variant("lm-all-120", "lm", False, 120, "own"), Variant("lm-all-240", "lm", False, 240, "own"),
            Variant("lm-2x-240", "lm", False, 240, "own-2x"), Variant("lm-balanced-120", "lm", True, 120, "own"),
            Variant("margin-120", "margin", True, 120, "own"), Variant("margin-240", "margin", True, 240, "own"),
            Variant("lm-then-margin-120", "margin", True, 120, "own", base="lm-all-120"),
            Variant("perturbed-1200", "lm", False, 1200, "perturbed"))
RERANK_TOP_CLUSTERS = DemoSettings.full().top_clusters  # the K the demo's SCR keeps
VALIDATION_PROBLEMS = 500  # 100 proved too few: a within-problem AUROC of 0.67 there was 0.57 on 500
PERTURBED_PER_PROBLEM = 3


def check_variant_order(variants: tuple[Variant, ...]) -> None:
    """Each variant that goes on from another must come after it (refused before anything is trained)."""
    earlier: set[str] = set()
    for variant in variants:
        if variant.base != "stage1" and variant.base not in earlier:
            raise SystemExit(f"variant {variant.name}: its base {variant.base} must come earlier in VARIANTS")
        earlier.add(variant.name)


def perturbed_examples(problems: list[Any], seed: int) -> list[Any]:
    """Evaluator examples from reference solutions: each reference (correct) and
    `PERTURBED_PER_PROBLEM` copies with one mistake of a random kind, labelled by their answer."""
    import random

    from evalkit.training import TrainExample
    from reranker.templates import EvaluatorTemplate
    from tasks.arith import parse_question, perturbations_for, perturbed_solution

    template, rng, examples = EvaluatorTemplate(), random.Random(seed), []
    for problem in problems:
        script = parse_question(problem.question)
        examples.append(TrainExample(template.prompt(problem.question, problem.solution), template.verdict(True)))
        kinds = perturbations_for(script)
        for _ in range(PERTURBED_PER_PROBLEM):
            solution, answer = perturbed_solution(script, rng.choice(kinds), rng)
            examples.append(TrainExample(template.prompt(problem.question, solution),
                                         template.verdict(str(answer) == problem.reference)))
    rng.shuffle(examples)
    return examples


def mistake_probe(checkpoint: Path, problems: list[Any], seed: int) -> dict[str, float]:
    """AUROC of an evaluator at telling each validation problem's reference solution from the same
    solution with one mistake of each kind (only mistakes that change the answer), per kind."""
    import random

    import numpy as np

    from evalkit.metrics import roc_auc
    from reranker.evaluator import SolutionEvaluator
    from tasks.arith import PERTURBATIONS, parse_question, perturbations_for, perturbed_solution

    rng = random.Random(seed + 1000)
    questions, texts, kinds = [], [], []
    for problem in problems:
        script = parse_question(problem.question)
        questions.append(problem.question)
        texts.append(problem.solution)
        kinds.append("reference")
        for kind in perturbations_for(script):
            solution, answer = perturbed_solution(script, kind, rng)
            if str(answer) != problem.reference:
                questions.append(problem.question)
                texts.append(solution)
                kinds.append(kind)
    evaluator = SolutionEvaluator.from_pretrained(checkpoint, backend="hf", device="cpu", batch_size=64)
    scores, kinds = np.asarray(evaluator.score(questions, texts)), np.asarray(kinds)
    references = kinds == "reference"
    return {kind: roc_auc(references[references | (kinds == kind)], scores[references | (kinds == kind)])
            for kind in PERTURBATIONS}


def validation_auroc(checkpoint: Path, run_dir: Path) -> dict[str, Any]:
    """AUROC of an evaluator on the answered samples of a graded run: pooled, and the mean inside
    problems with both right and wrong samples (`evalkit.metrics.within_problem_auroc`)."""
    import numpy as np

    from evalkit.metrics import roc_auc, within_problem_auroc
    from evalkit.report import load_run_matrices
    from evalkit.selection import select
    from evalkit.store import RunDir
    from reranker.evaluator import SolutionEvaluator

    evaluator = SolutionEvaluator.from_pretrained(checkpoint, backend="hf", device="cpu", batch_size=64)
    matrices = load_run_matrices(run_dir)
    answered = matrices.clusters >= 0
    row_of = {problem_id: row for row, problem_id in enumerate(matrices.problem_ids)}
    cells, questions, texts = [], [], []
    for sampled in RunDir(run_dir).read_samples():
        row = row_of.get(sampled.problem.id)
        if row is None:
            continue
        for column, sample in enumerate(sampled.samples):
            if answered[row, column]:
                cells.append((row, column))
                questions.append(sampled.problem.question)
                texts.append(sample.text)
    scores = np.full(matrices.correct.shape, np.nan)
    for (row, column), score in zip(cells, evaluator.score(questions, texts)):
        scores[row, column] = score
    scored = answered & ~np.isnan(scores)
    within, _ = within_problem_auroc(matrices.correct, scores, answered)
    majority = select("maj", matrices.clusters).credit(matrices.correct).mean()
    reranked = {f"{rule}_minus_maj": float(select(rule, matrices.clusters, scores, top_clusters=RERANK_TOP_CLUSTERS)
                                           .credit(matrices.correct).mean() - majority) for rule in ("scr", "wscr")}
    return {"auroc": roc_auc(matrices.correct[scored], scores[scored]),
            "within_problem_auroc": None if np.isnan(within) else within,
            "samples": int(scored.sum()), "positives": int(matrices.correct[scored].sum()),
            "maj": float(majority), **reranked}


def main(argv: list[str] | None = None) -> None:
    from evalkit.config import FilterConfig
    from evalkit.training import TrainSettings, build_evaluator_data, evaluator_pair_examples, finetune
    from evalkit.training.engine import PAIR_OBJECTIVES
    from evalkit.training.config import ProblemsConfig, parse_train_config
    from evalkit.training.sequential import STAGE1_DIR, STAGE2_DIR, SAMPLES_DIR, sample_and_grade

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / "results-work" / "seed-0")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "demo-arith")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    check_variant_order(VARIANTS)
    settings = DemoSettings.full(args.seed)
    layout = DemoLayout(args.work)
    config = parse_train_config("sequential", sequential_config(layout, settings))
    stage1 = layout.sequential / STAGE1_DIR / "final"
    samples_run = layout.sequential / STAGE2_DIR / SAMPLES_DIR
    first = settings.train_problems - VALIDATION_PROBLEMS
    ids = [f"arith/train/{index}" for index in range(first, settings.train_problems)]
    rows: list[dict[str, Any]] = []
    with torch_threads(1):
        validation = sample_and_grade(
            stage1, ProblemsConfig(task="arith", split="train", data_dir=str(layout.data_dir),
                                   filters=FilterConfig(ids=ids)),
            config.evaluator.sampling.model_copy(update={"max_problems": None}), args.work / "ablation" / "validation",
            display_name="validation")
        import tasks

        train_problems = list(tasks.get_task("arith").load("train", data_dir=layout.data_dir))
        held_out = train_problems[first:]
        trained_models: dict[str, Path] = {}
        for variant in VARIANTS:
            started = time.perf_counter()
            if variant.data == "perturbed":
                examples = perturbed_examples(train_problems[:first], seed=args.seed)
            else:
                source = samples_run if variant.data == "own" else sample_and_grade(
                    stage1, config.problems, config.evaluator.sampling.model_copy(
                        update={"max_problems": 2 * settings.evaluator_train_problems}),
                    args.work / "ablation" / "samples-2x", display_name="train-samples-2x")
                if variant.objective in PAIR_OBJECTIVES:
                    examples = evaluator_pair_examples(source, max_pairs_per_problem=8, seed=args.seed)
                else:
                    examples = build_evaluator_data(source, balance=variant.balanced, seed=args.seed).examples
            base = stage1 if variant.base == "stage1" else trained_models[variant.base]
            trained = finetune(base, examples, args.work / "ablation" / variant.name,
                               TrainSettings(learning_rate=settings.evaluator.learning_rate, max_steps=variant.steps,
                                             batch_size=settings.evaluator.batch_size, max_length=512, seed=args.seed,
                                             append_eos=False, objective=variant.objective, logging_steps=20))
            trained_models[variant.name] = trained.checkpoint
            rows.append({"variant": variant.name, "data": variant.data, "objective": variant.objective,
                         "balanced": variant.balanced, "steps": variant.steps, "base": variant.base,
                         "examples": len(examples), **validation_auroc(trained.checkpoint, validation),
                         "mistake_probe": mistake_probe(trained.checkpoint, held_out, args.seed),
                         "seconds": time.perf_counter() - started})
            print(json.dumps(rows[-1]), flush=True)
    write_outputs(rows, args.out, args.seed)


def write_outputs(rows: list[dict[str, Any]], out: Path, seed: int) -> None:
    """`evaluator_ablation.json` (the rows) and `evaluator_ablation.md` (tables and their reading)."""
    from tasks.arith import PERTURBATIONS

    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "evaluator_ablation.json", json.dumps(rows, indent=2) + "\n")

    def points(value: float) -> str:
        return f"{100 * value:+.1f}"

    table = markdown_table(["variant", "from", "data", "objective", "balanced", "steps", "examples", "validation AUROC",
                            "within-problem AUROC", f"RR.Top-{RERANK_TOP_CLUSTERS} - maj",
                            f"W.RR.Top-{RERANK_TOP_CLUSTERS} - maj", "samples"],
                           [[r["variant"], r.get("base", "stage1"), r["data"], r["objective"], r["balanced"], r["steps"],
                             r["examples"],
                             f"{r['auroc']:.3f}",
                             "—" if r["within_problem_auroc"] is None else f"{r['within_problem_auroc']:.3f}",
                             points(r["scr_minus_maj"]), points(r["wscr_minus_maj"]), r["samples"]] for r in rows],
                           [False, False, False, False, False, True, True, True, True, True, True, True])
    probe = markdown_table(["variant", *PERTURBATIONS],
                           [[r["variant"], *(f"{r['mistake_probe'][kind]:.3f}" for kind in PERTURBATIONS)] for r in rows],
                           [False, *(True for _ in PERTURBATIONS)])
    write_text_atomic(out / "evaluator_ablation.md",
                      f"# Evaluator variants, seed {seed}: AUROC on {VALIDATION_PROBLEMS} held-out TRAINING "
                      "problems (not the test split; stage 1's SSFT saw their reference solutions, no evaluator saw "
                      "them)\n\nReproduce: `python scripts/make_results.py` then "
                      "`python scripts/evaluator_ablation.py`.\n\n" + table + f"\n\n{demo_variant()} is the demo's evaluator. "
                      "lm-* learn the verdict by cross-entropy on every graded sample (or a class-balanced subset); "
                      "margin-* train on pairs of a right and a wrong solution of one problem (the paper's "
                      "margin loss), which is what re-ranking within a problem needs; -2x samples twice as many "
                      "training problems; lm-then-margin goes on from lm-all-120's model with the margin loss (from: "
                      "the model a variant starts from, stage 1 = the SSFT model). "
                      f"The re-ranking columns are points against majority vote on the "
                      f"validation samples (n = 8 per problem, {VALIDATION_PROBLEMS} problems: a difference of a "
                      "few points is within noise). perturbed-1200 is not the "
                      "paper's evaluator data: the training problems' reference solutions, each also with "
                      f"{PERTURBED_PER_PROBLEM} copies holding one written-in mistake (`tasks.arith.perturbed_solution`), "
                      "labelled by their answers, for ten times the demo's steps.\n\n"
                      "## Can the evaluator see a mistake at all?\n\nAUROC at telling each held-out problem's "
                      "reference solution from the same solution with one mistake of a kind (only mistakes that "
                      "change the answer; 0.5 is chance): `operand` a number of one operation read wrong, `slip` one "
                      "result computed wrong and carried on, `start` the starting amount read wrong, `skip` an "
                      "operation left out, `repeat` an operation done twice.\n\n" + probe + "\n\n"
                      + probe_reading(rows) + "\n")


def demo_variant() -> str:
    """The name of the variant the full demo trains (its objective and steps)."""
    settings = DemoSettings.full()
    evaluator = settings.evaluator
    names = [variant.name for variant in VARIANTS
             if variant.objective == evaluator.objective and variant.steps == evaluator.steps and variant.data == "own"
             and variant.base == "stage1" and (variant.objective != "lm" or variant.balanced == settings.evaluator_balance)]
    return names[0] if names else f"{evaluator.objective}-{evaluator.steps} (not among these variants)"


def probe_reading(rows: list[dict[str, Any]]) -> str:
    """What the mistake probe shows, in words computed from its figures."""
    number_kinds, length_kinds = ("operand", "slip", "start"), ("skip", "repeat")

    def span(row: dict[str, Any], kinds: tuple[str, ...]) -> str:
        values = [row["mistake_probe"][kind] for kind in kinds]
        return f"{min(values):.2f}-{max(values):.2f}"

    own = [row for row in rows if row["data"].startswith("own")]
    targeted = [row for row in rows if row["data"] == "perturbed"]
    text = (f"The evaluators trained on the generator's own graded samples tell a wrong number (`operand`, `slip`, "
            f"`start`) from the reference at {', '.join(span(row, number_kinds) for row in own)} "
            f"({', '.join(row['variant'] for row in own)}).")
    for row in targeted:
        text += (f" Trained on exactly these mistakes for {row['steps']} steps ({row['variant']}), the same model "
                 f"reaches {span(row, number_kinds)} on a wrong number and {span(row, length_kinds)} on a "
                 "mistake that changes the solution's length (`skip`, `repeat`).")
    return text


if __name__ == "__main__":
    main()
