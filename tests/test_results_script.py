"""`scripts/make_results.py`: the scorer-sensitivity analysis on a hand-built run directory."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import make_results

# Four problems, four samples each. Majority vote is right on p1 and p3; a perfect scorer re-ranking
# the top two clusters is also right on p0 (its right answer is the second cluster), not on p2 (its
# right answer is a third cluster, cut by the first-appearance tie rule).
CLUSTERS = [[0, 0, 1, 2], [0, 0, 0, 1], [0, 1, 2, 2], [0, 0, 0, 0]]
CORRECT = [[0, 0, 1, 0], [1, 1, 1, 0], [0, 1, 0, 0], [1, 1, 1, 1]]
# the evaluator prefers the wrong answers everywhere
EVALUATOR = [[0.9, 0.8, 0.1, 0.7], [0.2, 0.2, 0.2, 0.9], [0.9, 0.1, 0.8, 0.8], [0.5, 0.5, 0.5, 0.5]]
LINES = {True: "So 3 + 4 = 7.", False: "So 3 + 4 = 8."}
# which samples' arithmetic holds: the step check's score
HOLDS = [[True, False, True, True], [True, True, True, False], [False, True, True, True], [True] * 4]


def write_run(root: Path) -> Path:
    run_dir = root / "ssft"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text(yaml.safe_dump({"model": "m", "task": "arith", "n": 4, "config_hash": "h"}))
    samples, graded, scores = [], [], []
    for i, (clusters, correct) in enumerate(zip(CLUSTERS, CORRECT)):
        samples.append({"problem_id": f"p{i}", "task": "arith", "question": f"q{i}", "reference": "7", "meta": {},
                        "samples": [{"index": j, "text": f"{LINES[HOLDS[i][j]]}\nThe answer is \\boxed{{{c}}}.",
                                     "finish_reason": "stop", "num_tokens": 10, "logprob": -1.0 - 0.1 * j - 5 * right}
                                    for j, (c, right) in enumerate(zip(clusters, correct))]})
        graded.append({"problem_id": f"p{i}", "answers": [str(c) for c in clusters], "clusters": clusters,
                       "correct": [bool(x) for x in correct], "reasons": ["ok"] * 4})
        scores.append({"problem_id": f"p{i}", "scorer": "evaluator", "scores": EVALUATOR[i]})
    for name, records in (("samples.jsonl", samples), ("graded.jsonl", graded), ("scores.jsonl", scores)):
        (run_dir / name).write_text("".join(json.dumps(record) + "\n" for record in records))
    return run_dir


def test_step_check_scores_read_every_line_of_each_sample(tmp_path):
    from evalkit.report import load_run_matrices

    run_dir = write_run(tmp_path)
    matrices = load_run_matrices(run_dir, scorer="evaluator")
    assert make_results.step_check_scores(run_dir, matrices).tolist() == [[float(x) for x in row] for row in HOLDS]


def test_scorer_sensitivity_reports_the_ceiling_and_each_scorer(tmp_path):
    sensitivity = make_results.scorer_sensitivity(write_run(tmp_path), 4, 2, seed=0)
    rows = {row["scorer"]: row for row in sensitivity["rows"]}
    assert list(rows) == ["fine-tuned evaluator", "generator likelihood", "step check", "grades (perfect)",
                          *[f"grades + noise sd {level:g}" for level in make_results.NOISE_LEVELS],
                          *[f"grades, {rate:.0%} flipped" for rate in make_results.FLIP_RATES]]
    assert sensitivity["left_out"] == []
    perfect = rows["grades (perfect)"]
    assert perfect["auroc"] == 1.0 and perfect["within"] == 1.0
    # majority 2/4, perfect RR.Top-2 3/4
    assert perfect["scr - maj"]["value"] == pytest.approx(0.25)
    assert perfect["wscr - maj"]["value"] == pytest.approx(0.25)
    # the evaluator ranks every wrong answer first: SCR picks a wrong one wherever it has a choice
    evaluator = rows["fine-tuned evaluator"]
    assert evaluator["within"] == 0.0
    assert evaluator["scr - maj"]["value"] == pytest.approx(-0.25)  # p1 is lost, p0 is not won
    # the generator's log-probabilities were made lower for right samples: it, too, ranks them last
    assert rows["generator likelihood"]["within"] == 0.0
    # step check: in p0's kept clusters the right sample holds and so does a wrong one: a tie, half credit
    step = rows["step check"]
    assert step["scr - maj"]["value"] == pytest.approx(0.5 / 4)
    for row in rows.values():
        assert set(row) == {"scorer", "kind", "auroc", "within", "scr - maj", "wscr - maj"}
    # noisy grades: a mean over draws, between chance and the perfect scorer
    for name, row in rows.items():
        if row["kind"] != "real":
            assert row["scr - maj"]["draws"] == make_results.NOISE_DRAWS and row["scr - maj"]["sd"] >= 0
            assert 0.5 <= row["within"] <= 1.0 and row["scr - maj"]["value"] <= 0.25 + 1e-9, name
    assert rows["grades, 10% flipped"]["within"] > rows["grades, 40% flipped"]["within"]
    # wrong answered samples: p0's 0, 1, 3 (1 fails), p1's 3 (fails), p2's 0, 2, 3 (0 fails): 4 of 7 pass
    assert sensitivity["wrong samples passing the step check"] == pytest.approx(4 / 7)


def test_a_scorer_with_unscored_samples_is_left_out_and_said(tmp_path):
    run_dir = write_run(tmp_path)
    lines = [json.loads(line) for line in (run_dir / "scores.jsonl").read_text().splitlines()]
    lines[0]["scores"][0] = None
    (run_dir / "scores.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    sensitivity = make_results.scorer_sensitivity(run_dir, 4, 2, seed=0)
    assert sensitivity["left_out"] == ["fine-tuned evaluator"]
    assert "fine-tuned evaluator" not in {row["scorer"] for row in sensitivity["rows"]}


def test_summary_and_plot_show_the_sensitivity(tmp_path):
    sensitivity = make_results.scorer_sensitivity(write_run(tmp_path), 4, 2, seed=0)
    figures = [{"seed": 0, "models": {"ssft": {"scorer sensitivity": sensitivity}}}]
    make_results.plot_sensitivity(figures, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
    rows = {row["scorer"]: row for row in sensitivity["rows"]}
    assert make_results.format_sensitivity(rows["grades (perfect)"]["scr - maj"]).startswith("+25.0 [")
    assert "(50 draws)" in make_results.format_sensitivity(rows["grades, 20% flipped"]["scr - maj"])


def test_two_way_script_compares_the_scorers_on_the_same_samples(tmp_path):
    import two_way_evaluator as script

    run_dir = write_run(tmp_path)  # the demo's scores ("evaluator") rank every wrong answer first
    # the verdict evaluator's scores rank every right sample first
    with (run_dir / "scores.jsonl").open("a") as handle:
        for i, row in enumerate(CORRECT):
            handle.write(json.dumps({"problem_id": f"p{i}", "scorer": script.SCORER,
                                     "scores": [0.5 + 0.4 * right for right in row]}) + "\n")
    figures = script.scorer_figures(run_dir, 4, 2, seed=0)
    assert figures["maj"] == pytest.approx(0.5)
    good, bad = figures[script.VERDICT], figures[script.TWO_WAY]
    assert good["auroc"] == 1.0 and good["within"] == 1.0
    assert good["scr - maj"]["value"] == pytest.approx(0.25)  # p0 won, p2's right answer is a third cluster
    assert good["bon - maj"]["value"] == pytest.approx(0.5)  # best-of-n reaches p2's too
    assert bad["within"] == 0.0 and bad["scr - maj"]["value"] == pytest.approx(-0.25)
    assert 0.0 < good["scr calls fraction"] < 1.0
    seed = {"seed": 0, "n": 4, "top_clusters": 2, "models": {model: figures for model in script.MODELS}}
    text = script.render([seed])
    assert "| 0 | verdict evaluator \\(the paper's\\) | 1.000 | 1.000 | 50.0 | 75.0 | +25.0" in text
    assert "seed 2 is the clean check" in text


def test_two_way_script_refuses_a_folder_without_a_demo(tmp_path):
    import two_way_evaluator

    with pytest.raises(SystemExit, match="no demo here"):
        two_way_evaluator.main(["--work", str(tmp_path), "--seeds", "0", "--out", str(tmp_path / "out")])


@pytest.mark.skipif(not (ROOT / "results" / "demo-arith" / "two_way_evaluator.json").is_file(),
                    reason="the committed results are not in this checkout")
def test_the_committed_two_way_report_is_what_the_script_writes():
    import two_way_evaluator as script

    figures = json.loads((ROOT / "results" / "demo-arith" / "two_way_evaluator.json").read_text(encoding="utf-8"))
    assert script.render(figures) == (ROOT / "results" / "demo-arith" / "two_way_evaluator.md").read_text(encoding="utf-8")
