"""`scripts/evaluator_ablation.py`: its variants, their data and its reports (nothing is trained here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import evaluator_ablation as ablation

# Two problems of four samples: p0 has two right samples with the same text, one wrong sample twice;
# p1 one right and three distinct wrong ones.
SAMPLES = {"p0": [("7 + 0 = 7", True), ("7 + 0 = 7", True), ("7 + 1 = 8", False), ("7 + 1 = 8", False)],
           "p1": [("3 * 2 = 6", True), ("3 * 2 = 5", False), ("3 * 2 = 4", False), ("3 + 2 = 5", False)]}


def write_run(root: Path) -> Path:
    run_dir = root / "run"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text(yaml.safe_dump({"model": "m", "task": "arith", "n": 4, "config_hash": "h"}))
    samples, graded = [], []
    for problem_id, rows in SAMPLES.items():
        answers = [text.split("= ")[1] for text, _ in rows]
        samples.append({"problem_id": problem_id, "task": "arith", "question": f"question {problem_id}",
                        "reference": "x", "meta": {},
                        "samples": [{"index": j, "text": f"{text}\nThe answer is \\boxed{{{answer}}}.",
                                     "finish_reason": "stop", "num_tokens": 10}
                                    for j, ((text, _), answer) in enumerate(zip(rows, answers))]})
        graded.append({"problem_id": problem_id, "answers": answers,
                       "clusters": [sorted(set(answers), key=answers.index).index(a) for a in answers],
                       "correct": [right for _, right in rows], "reasons": ["ok"] * len(rows)})
    for name, records in (("samples.jsonl", samples), ("graded.jsonl", graded)):
        (run_dir / name).write_text("".join(json.dumps(record) + "\n" for record in records))
    return run_dir


@pytest.mark.parametrize("preset", sorted(ablation.PRESET_VARIANTS))
def test_each_preset_ablates_the_evaluator_it_ships(preset):
    ablation.check_variant_order(ablation.PRESET_VARIANTS[preset])
    shipped = ablation.demo_variant(preset)
    assert shipped in {variant.name for variant in ablation.PRESET_VARIANTS[preset]}
    if preset == "large":
        options = {(variant.pairing, variant.deduplicate) for variant in ablation.LARGE_VARIANTS}
        assert options == {(pairing, keep) for pairing in ("round_robin", "all") for keep in (True, False)}


def test_a_variant_before_its_base_is_refused():
    later = ablation.Variant("later", "margin", True, 10, "own", base="first")
    with pytest.raises(SystemExit, match="later: its base first must come earlier"):
        ablation.check_variant_order((later, ablation.Variant("first", "lm", False, 10, "own")))


def test_the_large_variants_take_their_data_options(tmp_path):
    run_dir = write_run(tmp_path)
    counts = {}
    for variant in ablation.LARGE_VARIANTS:
        examples = ablation.variant_examples(variant, run_dir, None, None, None, [], tmp_path, seed=0)
        singles = [example for example in examples if example.rejected_prompt is None]
        counts[variant.pairing, variant.deduplicate] = (len(singles), len(examples) - len(singles))
    # singles: each distinct text once (p0: 2, p1: 4) or every sample (4 + 4); pairs: round robin
    # makes max(right, wrong) a problem, all makes right x wrong
    assert counts == {("round_robin", True): (6, 1 + 3), ("all", True): (6, 1 + 3),
                      ("round_robin", False): (8, 2 + 3), ("all", False): (8, 4 + 3)}


def test_the_options_report_names_the_shipped_variant_and_the_best(tmp_path):
    rows = [{"variant": variant.name, "pairing": variant.pairing, "deduplicate": variant.deduplicate,
             "steps": variant.steps, "training_problems": 1500, "examples": 100 + index, "auroc": 0.8,
             "within_problem_auroc": 0.5 + 0.01 * index, "scr_minus_maj": -0.01, "wscr_minus_maj": 0.02,
             "samples": 4000, "mistake_probe": {kind: 0.5 for kind in ("operand", "slip", "start", "skip", "repeat")}}
            for index, variant in enumerate(ablation.LARGE_VARIANTS)]
    rows[0]["within_problem_auroc"] = 0.9
    ablation.write_outputs(rows, tmp_path, 0, "large")
    text = (tmp_path / "evaluator_ablation.md").read_text()
    assert json.loads((tmp_path / "evaluator_ablation.json").read_text()) == rows
    assert f"{ablation.demo_variant('large')} is what the preset ships with" in text
    assert f"{rows[0]['variant']} ranks inside a problem best here (0.900, pooled 0.800)" in text
    assert "--preset large" in text
    shipped = next(row for row in rows if row["variant"] == ablation.demo_variant("large"))
    shipped["within_problem_auroc"] = 0.95
    ablation.write_outputs(rows, tmp_path, 0, "large")
    assert "it is also the best of these inside a problem" in (tmp_path / "evaluator_ablation.md").read_text()
    for row in rows:
        row["within_problem_auroc"] = None
    ablation.write_outputs(rows, tmp_path, 0, "large")
    assert "no variant could be ranked inside a problem" in (tmp_path / "evaluator_ablation.md").read_text()


def test_training_problems_never_reach_the_validation_split():
    full, large = ablation.DEMO_PRESETS["full"](0), ablation.DEMO_PRESETS["large"](0)
    first = full.train_problems - ablation.VALIDATION_PROBLEMS
    by_name = {variant.name: variant for variant in ablation.VARIANTS}
    assert ablation.training_problems(by_name["lm-all-120"], full, first) == full.evaluator_train_problems
    assert ablation.training_problems(by_name["lm-2x-240"], full, first) == 2 * full.evaluator_train_problems
    assert ablation.training_problems(by_name["perturbed-1200"], full, first) == first
    assert all(ablation.training_problems(variant, large, first) == first for variant in ablation.LARGE_VARIANTS)


@pytest.mark.skipif(not (ROOT / "results" / "demo-arith" / "evaluator_ablation.json").is_file(),
                    reason="the committed results are not in this checkout")
def test_the_committed_full_report_is_what_the_script_writes(tmp_path):
    committed = ROOT / "results" / "demo-arith"
    ablation.write_outputs(json.loads((committed / "evaluator_ablation.json").read_text()), tmp_path, 0)
    assert (tmp_path / "evaluator_ablation.md").read_text() == (committed / "evaluator_ablation.md").read_text()


def test_the_two_way_variant_learns_the_references_before_validation_and_the_right_samples(tmp_path):
    from evalkit.records import Problem

    run_dir = write_run(tmp_path)
    variant = next(variant for variant in ablation.VARIANTS if variant.data == "two-way")
    before = [Problem(id="t0", task="arith", question="Ann has 2. How many?", reference="2", solution="2 + 0 = 2.")]
    examples = ablation.variant_examples(variant, run_dir, None, None, None, before, tmp_path, seed=0)
    # the reference, then p0's right text (twice in the run, once here) and p1's: each both ways; no wrong one
    assert len(examples) == 2 * 3
    assert examples[0].prompt.endswith("Ann has 2. How many?\n\nSolution:") and examples[1].completion == " Ann has 2. How many?"
    assert not any("3 * 2 = 5" in example.prompt + example.completion for example in examples)
    full = ablation.DEMO_PRESETS["full"](0)
    assert ablation.training_problems(variant, full, 1500) == 1500
