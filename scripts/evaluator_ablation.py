"""What it takes to train the demo's solution evaluator: held-out AUROC of evaluator variants.

    python scripts/evaluator_ablation.py --work results-work/seed-0 --out results/demo-arith
    python scripts/evaluator_ablation.py --preset large --work results-work-large/seed-0 --out results/demo-arith-large

Run after `scripts/make_results.py` (it reuses that seed's stage-1 SSFT model, and for the full
preset its graded samples of training problems). Every variant is fine-tuned from the stage-1 checkpoint by the
training engine (`evalkit.training.finetune`) on the stage-1 model's own graded samples, and
scored by `reranker.SolutionEvaluator` on a VALIDATION split: training problems the evaluator
data does not use (never the test split). Variants differ in optimizer steps, class balance and
objective (token cross-entropy on the verdict, or the paper's margin loss on pairs of a right
and a wrong solution of one problem), and one probe variant trained instead on reference solutions
with written-in mistakes (`tasks.arith.perturbed_solution`). With `--preset large` the variants are
the large preset's joint objective with each choice of its data options (`pairing`, `deduplicate`),
trained on the stage-1 samples of the training problems outside the validation split (the preset
itself uses all of them), so that the options it ships with are checked on problems no variant saw.
Besides the pooled AUROC it reports the mean AUROC within each problem, which is what re-ranking
needs, and, per kind of mistake, how well each variant tells a held-out reference solution from the
same solution with that mistake. Writes `evaluator_ablation.json` and `evaluator_ablation.md` into
`--out`.
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

from evalkit.demo import DEMO_PRESETS, DemoLayout, DemoSettings, sequential_config, torch_threads  # noqa: E402
from evalkit.report.tables import markdown_table, write_text_atomic  # noqa: E402
from evalkit.training import TrainSettings, finetune  # noqa: E402



@dataclass(frozen=True)
class Variant:
    """One evaluator variant. `data`: "own" = the stage-1 model's graded samples (the paper's
    evaluator data); "own-2x" = the same from twice as many training problems; "perturbed" = the
    training problems' reference solutions with one mistake written in (`tasks.arith.perturbed_solution`),
    labelled by their answers: a probe of whether this model can learn to see such mistakes at all,
    given ten times the steps; "two-way" = the demo's two-way evaluator (`reranker.two_way`) learnt from the
    reference solutions of the training problems before the validation split and the right ones of "own",
    both ways (scored by its own rule, not a verdict). `base`: "stage1", or an earlier variant whose model
    this one goes on from."""

    name: str
    objective: str
    balanced: bool
    steps: int
    data: str
    base: str = "stage1"
    pairing: str = "round_robin"  # the pair and joint objectives' pairing (evalkit.training.data.PAIRINGS)
    deduplicate: bool = True


VARIANTS = (Variant("lm-all-120", "lm", False, 120, "own"), Variant("lm-all-240", "lm", False, 240, "own"),
            Variant("lm-2x-240", "lm", False, 240, "own-2x"), Variant("lm-balanced-120", "lm", True, 120, "own"),
            Variant("margin-120", "margin", True, 120, "own"), Variant("margin-240", "margin", True, 240, "own"),
            Variant("lm-then-margin-120", "margin", True, 120, "own", base="lm-all-120"),
            Variant("lm-keep-120", "lm", False, 120, "own", deduplicate=False),
            Variant("joint-all-keep-120", "joint", False, 120, "own", pairing="all", deduplicate=False),
            Variant("perturbed-1200", "lm", False, 1200, "perturbed"),
            Variant("two-way-200", "lm", False, 200, "two-way"))
LARGE_VARIANTS = tuple(
    Variant(f"joint-{'all' if pairing == 'all' else 'rr'}-{'dedup' if deduplicate else 'keep'}-500", "joint", False,
            500, "own", pairing=pairing, deduplicate=deduplicate)
    for pairing in ("round_robin", "all") for deduplicate in (True, False))
PRESET_VARIANTS = {"full": VARIANTS, "large": LARGE_VARIANTS}
RERANK_TOP_CLUSTERS = DemoSettings.full().top_clusters  # the K the demo's SCR keeps
PAIR_CAP = 8  # pairs per problem for the margin variants (the joint variants take the preset's own cap, none)
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
    from reranker.two_way import load_evaluator
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
    evaluator = load_evaluator(checkpoint, backend="hf", device="cpu", batch_size=64)
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
    from reranker.two_way import load_evaluator

    evaluator = load_evaluator(checkpoint, backend="hf", device="cpu", batch_size=64)
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
    from evalkit.training.config import ProblemsConfig, parse_train_config
    from evalkit.training.sequential import STAGE1_DIR, STAGE2_DIR, SAMPLES_DIR, sample_and_grade

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESET_VARIANTS), default="full",
                        help="the demo preset whose stage-1 model and evaluator settings the variants start from")
    parser.add_argument("--work", type=Path, default=None,
                        help="that preset's seed folder of make_results (default: results-work/seed-S, "
                             "results-work-large/seed-S)")
    parser.add_argument("--out", type=Path, default=None, help="default: results/demo-arith (results/demo-arith-large)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    suffix = "" if args.preset == "full" else f"-{args.preset}"
    work = args.work or ROOT / f"results-work{suffix}" / f"seed-{args.seed}"
    out = args.out or ROOT / "results" / f"demo-arith{suffix}"
    variants = PRESET_VARIANTS[args.preset]
    check_variant_order(variants)
    settings = DEMO_PRESETS[args.preset](args.seed)
    layout = DemoLayout(work)
    config = parse_train_config("sequential", sequential_config(layout, settings))
    stage1 = layout.sequential / STAGE1_DIR / "final"
    if not stage1.is_dir():
        command = "python scripts/make_results.py" + ("" if args.preset == "full" else f" --preset {args.preset}")
        raise SystemExit(f"{stage1} is missing: run `{command}` first (this script starts from its stage-1 model)")
    first = settings.train_problems - VALIDATION_PROBLEMS
    ids = [f"arith/train/{index}" for index in range(first, settings.train_problems)]
    rows: list[dict[str, Any]] = []
    with torch_threads(1):
        validation = sample_and_grade(
            stage1, ProblemsConfig(task="arith", split="train", data_dir=str(layout.data_dir),
                                   filters=FilterConfig(ids=ids)),
            config.evaluator.sampling.model_copy(update={"max_problems": None}), work / "ablation" / "validation",
            display_name="validation")
        import tasks

        train_problems = list(tasks.get_task("arith").load("train", data_dir=layout.data_dir))
        held_out = train_problems[first:]
        own = own_samples(layout, settings, config, stage1, first, work / "ablation")
        trained_models: dict[str, Path] = {}
        for variant in variants:
            started = time.perf_counter()
            examples = variant_examples(variant, own, settings, config, stage1, train_problems[:first],
                                        work / "ablation", args.seed)
            base = stage1 if variant.base == "stage1" else trained_models[variant.base]
            two_way = variant.data == "two-way"  # the demo's recipe: whole texts with EOS, 5% warmup
            trained = finetune(base, examples, work / "ablation" / variant.name,
                               TrainSettings(learning_rate=settings.evaluator.learning_rate, max_steps=variant.steps,
                                             batch_size=settings.evaluator.batch_size, max_length=512, seed=args.seed,
                                             append_eos=two_way, objective=variant.objective, logging_steps=20,
                                             warmup_ratio=0.05 if two_way else 0.0))
            if two_way:
                from reranker.two_way import write_kind_file

                write_kind_file(trained.checkpoint)
            trained_models[variant.name] = trained.checkpoint
            rows.append({"variant": variant.name, "data": variant.data, "objective": variant.objective,
                         "balanced": variant.balanced, "steps": variant.steps, "base": variant.base,
                         "pairing": variant.pairing, "deduplicate": variant.deduplicate,
                         "training_problems": training_problems(variant, settings, first),
                         "examples": len(examples), **validation_auroc(trained.checkpoint, validation),
                         "mistake_probe": mistake_probe(trained.checkpoint, held_out, args.seed),
                         "seconds": time.perf_counter() - started})
            print(json.dumps(rows[-1]), flush=True)
    write_outputs(rows, out, args.seed, args.preset)


def training_problems(variant: Variant, settings: DemoSettings, first: int) -> int:
    """How many training problems a variant's data comes from (all of them before the validation split)."""
    if variant.data in ("perturbed", "two-way"):
        return first
    return min((2 if variant.data == "own-2x" else 1) * settings.evaluator_train_problems, first)


def own_samples(layout: DemoLayout, settings: DemoSettings, config: Any, stage1: Path, first: int,
                ablation_dir: Path) -> Path:
    """The stage-1 model's graded samples of the preset's evaluator problems that lie outside the
    validation split: the demo's own samples run when its problems all do (the full preset's first
    300), else the first `first` training problems sampled afresh with the same settings."""
    from evalkit.training.sequential import STAGE2_DIR, SAMPLES_DIR, sample_and_grade

    if settings.evaluator_train_problems <= first:
        return layout.sequential / STAGE2_DIR / SAMPLES_DIR
    sampling = config.evaluator.sampling.model_copy(update={"max_problems": first})
    return sample_and_grade(stage1, config.problems, sampling, ablation_dir / "samples-outside-validation",
                            display_name="train-samples")


def variant_examples(variant: Variant, own: Path, settings: DemoSettings, config: Any, stage1: Path,
                     before_validation: list[Any], ablation_dir: Path, seed: int) -> list[Any]:
    """The training examples of one variant, built by the library's evaluator-data builders from
    `own` (the stage-1 samples of `own_samples`), from the reference solutions of `before_validation`
    (the training problems before the validation split) or from fresh samples of at most those."""
    from evalkit.training import build_evaluator_data, evaluator_pair_examples
    from evalkit.training.data import evaluator_joint_examples
    from evalkit.training.engine import PAIR_OBJECTIVES
    from evalkit.training.sequential import sample_and_grade

    if variant.data == "perturbed":
        return perturbed_examples(before_validation, seed=seed)
    if variant.data == "two-way":  # the references before the validation split and the right samples, both ways
        from evalkit.training.sequential import two_way_examples_from

        return two_way_examples_from(before_validation, own, seed=seed, deduplicate=variant.deduplicate)[0]
    # the first problems, never past the validation split
    source = own if variant.data == "own" else sample_and_grade(
        stage1, config.problems, config.evaluator.sampling.model_copy(
            update={"max_problems": training_problems(variant, settings, len(before_validation))}),
        ablation_dir / "samples-2x", display_name="train-samples-2x")
    if variant.objective in PAIR_OBJECTIVES:
        return evaluator_pair_examples(source, max_pairs_per_problem=PAIR_CAP, seed=seed, pairing=variant.pairing,
                                       deduplicate=variant.deduplicate)
    if variant.objective == "joint":
        return evaluator_joint_examples(source, balance=variant.balanced, seed=seed, pairing=variant.pairing,
                                        deduplicate=variant.deduplicate).examples
    return build_evaluator_data(source, balance=variant.balanced, seed=seed, deduplicate=variant.deduplicate).examples


def points(value: float) -> str:
    """A difference of rates in percentage points, signed."""
    return f"{100 * value:+.1f}"


def probe_table(rows: list[dict[str, Any]]) -> str:
    """The mistake probe's AUROC per variant and kind of mistake."""
    from tasks.arith import PERTURBATIONS

    return markdown_table(["variant", *PERTURBATIONS],
                          [[r["variant"], *(f"{r['mistake_probe'][kind]:.3f}" for kind in PERTURBATIONS)] for r in rows],
                          [False, *(True for _ in PERTURBATIONS)])


PROBE_HEADING = ("## Can the evaluator see a mistake at all?\n\nAUROC at telling each held-out problem's "
                 "reference solution from the same solution with one mistake of a kind (only mistakes that "
                 "change the answer; 0.5 is chance): `operand` a number of one operation read wrong, `slip` one "
                 "result computed wrong and carried on, `start` the starting amount read wrong, `skip` an "
                 "operation left out, `repeat` an operation done twice.\n\n")


def write_outputs(rows: list[dict[str, Any]], out: Path, seed: int, preset: str = "full") -> None:
    """`evaluator_ablation.json` (the rows) and `evaluator_ablation.md` (tables and their reading)."""
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "evaluator_ablation.json", json.dumps(rows, indent=2) + "\n")
    document = full_document(rows, seed) if preset == "full" else options_document(rows, seed, preset)
    write_text_atomic(out / "evaluator_ablation.md", document)


def options_document(rows: list[dict[str, Any]], seed: int, preset: str) -> str:
    """The report of a preset's data-option variants (`LARGE_VARIANTS`)."""
    table = markdown_table(["variant", "pairing", "every sample kept", "steps", "training problems", "examples",
                            "validation AUROC", "within-problem AUROC", f"RR.Top-{RERANK_TOP_CLUSTERS} - maj",
                            f"W.RR.Top-{RERANK_TOP_CLUSTERS} - maj", "samples"],
                           [[r["variant"], r["pairing"], not r["deduplicate"], r["steps"], r["training_problems"],
                             r["examples"], f"{r['auroc']:.3f}",
                             "—" if r["within_problem_auroc"] is None else f"{r['within_problem_auroc']:.3f}",
                             points(r["scr_minus_maj"]), points(r["wscr_minus_maj"]), r["samples"]] for r in rows],
                           [False, False, False, True, True, True, True, True, True, True, True])
    shipped = demo_variant(preset)
    ranked = [r for r in rows if r["within_problem_auroc"] is not None]
    best = max(ranked, key=lambda r: (r["within_problem_auroc"], r["auroc"]), default=None)
    if best is None:
        verdict = "no variant could be ranked inside a problem (no problem had both right and wrong samples)"
    elif best["variant"] == shipped:
        verdict = "it is also the best of these inside a problem"
    else:
        verdict = (f"{best['variant']} ranks inside a problem best here ({best['within_problem_auroc']:.3f}, pooled "
                   f"{best['auroc']:.3f})")
    return (f"# Evaluator data options, preset {preset}, seed {seed}: AUROC on {VALIDATION_PROBLEMS} held-out "
            "TRAINING problems (not the test split; stage 1's SSFT saw their reference solutions, no variant saw "
            f"them)\n\nReproduce: `python scripts/make_results.py --preset {preset}` then `python "
            f"scripts/evaluator_ablation.py --preset {preset}`.\n\n" + table + "\n\n"
            f"Every variant is the preset's evaluator (the joint objective: the verdict's cross-entropy plus a "
            "ranking loss on pairs of a right and a wrong solution of one problem, from the SSFT model) trained on "
            "the SSFT model's graded samples of the training problems outside the validation split, with one "
            "choice of the two data options: `pairing` round_robin (max(right, wrong) pairs a problem) or all "
            "(every right x wrong pair), and whether every sample is kept or each distinct text once. "
            f"{shipped} is what the preset ships with, chosen earlier on seed {seed}'s test samples; {verdict}. "
            "The re-ranking columns are points against majority vote on the validation samples (n = 8 per "
            f"problem, {VALIDATION_PROBLEMS} problems: a difference of a few points is within noise).\n\n"
            + PROBE_HEADING + probe_table(rows) + "\n")


def full_document(rows: list[dict[str, Any]], seed: int) -> str:
    """The report of the full preset's variants (`VARIANTS`)."""
    table = markdown_table(["variant", "from", "data", "objective", "balanced", "steps", "examples", "validation AUROC",
                            "within-problem AUROC", f"RR.Top-{RERANK_TOP_CLUSTERS} - maj",
                            f"W.RR.Top-{RERANK_TOP_CLUSTERS} - maj", "samples"],
                           [[r["variant"], r.get("base", "stage1"), r["data"], r["objective"], r["balanced"], r["steps"],
                             r["examples"],
                             f"{r['auroc']:.3f}",
                             "—" if r["within_problem_auroc"] is None else f"{r['within_problem_auroc']:.3f}",
                             points(r["scr_minus_maj"]), points(r["wscr_minus_maj"]), r["samples"]] for r in rows],
                           [False, False, False, False, False, True, True, True, True, True, True, True])
    return (f"# Evaluator variants, seed {seed}: AUROC on {VALIDATION_PROBLEMS} held-out TRAINING "
            "problems (not the test split; stage 1's SSFT saw their reference solutions, no evaluator saw "
            "them)\n\nReproduce: `python scripts/make_results.py` then "
            "`python scripts/evaluator_ablation.py`.\n\n" + table + f"\n\n{demo_variant()} is the verdict evaluator that `two_way_evaluator.md` compares with the demo's "
            "two-way evaluator on the test samples (the demo trained it before it switched). "
            "lm-* learn the verdict by cross-entropy on every graded sample (or a class-balanced subset); "
            "margin-* train on pairs of a right and a wrong solution of one problem (the paper's "
            "margin loss), which is what re-ranking within a problem needs; -2x samples twice as many "
            "training problems; lm-then-margin goes on from lm-all-120's model with the margin loss (from: "
            "the model a variant starts from, stage 1 = the SSFT model); lm-keep keeps every sample instead of each "
            "distinct text once, and joint-all-keep is the large preset's recipe at this size (the verdict's "
            "cross-entropy plus a ranking loss on every right x wrong pair of a problem, every sample kept). "
            f"The re-ranking columns are points against majority vote on the "
            f"validation samples (n = 8 per problem, {VALIDATION_PROBLEMS} problems: a difference of a "
            "few points is within noise). perturbed-1200 is not the "
            "paper's evaluator data: the training problems' reference solutions, each also with "
            f"{PERTURBED_PER_PROBLEM} copies holding one written-in mistake (`tasks.arith.perturbed_solution`), "
            "labelled by their answers, for ten times the demo's steps. two-way-200 is the demo's evaluator, "
            "the two-way one (`reranker.two_way`), learnt with the demo's recipe from the reference solutions "
            "of the training problems before the validation split (the demo's own uses every training "
            "problem's) and the right samples of `own`: on these held-out problems it checks the recipe that "
            "was chosen on test samples (README).\n\n"
            + PROBE_HEADING + probe_table(rows) + "\n\n" + probe_reading(rows) + "\n")


def demo_variant(preset: str = "full") -> str:
    """The name of the verdict variant of the preset's demo (its objective, steps and data options): the demo's
    evaluator, or, where that is the two-way one, the verdict evaluator `scripts/two_way_evaluator.py` trains
    beside it (what the demo trained before)."""
    settings = DEMO_PRESETS[preset]()
    objective, steps = settings.evaluator.objective, settings.evaluator.steps
    if settings.evaluator_kind == "two_way":
        import two_way_evaluator

        objective, steps = "lm", two_way_evaluator.VERDICT_STEPS
    names = [variant.name for variant in PRESET_VARIANTS[preset]
             if variant.objective == objective and variant.steps == steps and variant.data == "own"
             and variant.base == "stage1" and (variant.objective != "lm" or variant.balanced == settings.evaluator_balance)
             and variant.deduplicate == settings.evaluator_deduplicate
             and (variant.objective == "lm" or variant.pairing == settings.evaluator_pairing)]
    return names[0] if names else f"{objective}-{steps} (not among these variants)"


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
    for row in (row for row in rows if row["data"] == "two-way"):
        text += (f" The two-way evaluator ({row['variant']}), which never saw a wrong solution, tells a wrong number "
                 f"from the reference at {span(row, number_kinds)} and a skipped or repeated step at "
                 f"{span(row, length_kinds)}.")
    for row in targeted:
        text += (f" Trained on exactly these mistakes for {row['steps']} steps ({row['variant']}), the same model "
                 f"reaches {span(row, number_kinds)} on a wrong number and {span(row, length_kinds)} on a "
                 "mistake that changes the solution's length (`skip`, `repeat`).")
    return text


if __name__ == "__main__":
    main()
