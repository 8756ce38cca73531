"""`evalkit import` + `evalkit report` on a real model's dump reproduce the figures computed
independently from that dump.

The fixture holds 40 arith problems x 8 samples of the demo's SSFT model in the layout of the
Qwen2.5-Math evaluation outputs, labelled by Math-Verify (see `fixtures/make_import_dump.py`).
The figures below are computed from the dump's own `score`, `pred` and `pred_score` fields with
plain Python, without evalkit's grader or metrics.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from evalkit.importer import import_samples
from evalkit.pipeline.grade import grade_stage
from evalkit.report import build_run_metrics
from evalkit.store import RunDir

DUMP = Path(__file__).parent / "fixtures" / "import_qwen_dump.jsonl"
MAPPING = "question=question,reference=gt,samples=code,scores=pred_score"


def _rows() -> list[dict]:
    return [json.loads(line) for line in DUMP.read_text(encoding="utf-8").splitlines()]


def _pass_at_k(n: int, c: int, k: int) -> float:
    return 1.0 if n - c < k else 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _majority(row: dict) -> float:
    """Full-vote majority over the dump's own parsed answers; answers tied for the most votes share
    the credit (the expected accuracy of a random tie-break)."""
    votes = Counter(pred for pred in row["pred"] if pred)
    if not votes:
        return 0.0
    top = max(votes.values())
    winners = [pred for pred, count in votes.items() if count == top]
    correct_answers = {pred for pred, ok in zip(row["pred"], row["score"]) if ok}
    return sum(winner in correct_answers for winner in winners) / len(winners)


def _best_of_n(row: dict) -> float:
    """The highest-scored sample; samples tied for the highest score share the credit."""
    scores = [s[0] for s in row["pred_score"]]
    best = [ok for score, ok in zip(scores, row["score"]) if score == max(scores)]
    return sum(best) / len(best)


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[RunDir, dict]:
    out = tmp_path_factory.mktemp("dump") / "run"
    import_samples(DUMP, task="arith", out=out, mapping=MAPPING, model="arith-ssft", show_progress=False)
    grade_stage(RunDir(out), workers=1, show_progress=False)
    document = build_run_metrics(out, ks=[1, 2, 4, 8], show_progress=False)
    return RunDir(out), document


def test_evalkit_grades_every_sample_as_the_dump_says(imported):
    run, _ = imported
    grades = {g.problem_id: g.correct for g in run.read_grades()}
    rows = _rows()
    disagreements = [(row["idx"], i) for row, (pid, correct) in zip(rows, grades.items())
                     for i, (ours, theirs) in enumerate(zip(correct, row["score"])) if ours != theirs]
    assert not disagreements
    assert sum(sum(row["score"]) for row in rows) > 0  # the dump is not trivially all wrong


@pytest.mark.parametrize("k", [1, 2, 4, 8])
def test_pass_at_k_matches_the_dump(imported, k):
    _, document = imported
    rows = _rows()
    expected = sum(_pass_at_k(len(r["score"]), sum(r["score"]), k) for r in rows) / len(rows)
    assert document["metrics"][f"pass@{k}"]["value"] == pytest.approx(expected, abs=1e-12)


def test_majority_and_best_of_n_match_the_dump(imported):
    _, document = imported
    rows = _rows()
    assert document["metrics"]["maj@8"]["value"] == pytest.approx(sum(map(_majority, rows)) / len(rows), abs=1e-12)
    assert document["metrics"]["bon@8"]["value"] == pytest.approx(sum(map(_best_of_n, rows)) / len(rows), abs=1e-12)
    low, high = document["metrics"]["maj@8"]["ci"]
    assert low <= document["metrics"]["maj@8"]["value"] <= high
