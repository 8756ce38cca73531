"""Reasoning-model reporting: output length and truncation statistics, the accuracy-vs-length plot,
and a replayed dump of `<think>` outputs run end to end on AIME 2024 (shipped data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evalkit.config import parse_config
from evalkit.jsonl import read_jsonl
from evalkit.pipeline.run import run_evaluation
from evalkit.report.lengths import (
    OutputRecords,
    length_bins,
    length_summary,
    output_statistics,
    outputs_markdown,
    outputs_summary_line,
)

REPLAY = Path(__file__).parent / "fixtures" / "reasoning_replay.jsonl"
REPLAY_TOKENS = [[812, 4096, 1500, 4096], [900, 1100, 4096, 2000], [700, 650, 4096, 600]]
REPLAY_CUT = [[False, True, False, True], [False, False, True, False], [False, False, True, False]]
# Graded as the issue describes: the answer after the final </think>; a sample cut inside its thinking
# has no answer; a box inside the thinking does not count when a different final answer follows.
EXPECTED_ANSWERS = [["204", None, "240", None], ["113", "113", None, "113"], ["360", "372", None, "370"]]
EXPECTED_CORRECT = [[True, False, False, False], [True, True, False, True], [False, False, False, False]]


def _records(tokens, cut, characters=None, finish_known=True) -> OutputRecords:
    tokens = np.array(tokens, dtype=float)
    return OutputRecords(tokens=tokens,
                         characters=np.array(characters if characters is not None else np.ones_like(tokens), dtype=np.int64),
                         blank=np.array(characters if characters is not None else np.ones_like(tokens)) == 0,
                         cut=np.array(cut, dtype=bool), rejected=np.zeros(tokens.shape, dtype=bool),
                         finish_known=np.full(tokens.shape, finish_known),
                         logprobs=np.full(tokens.shape, np.nan))


# --- pure statistics --------------------------------------------------------------------------

def test_length_summary():
    summary = length_summary(np.array([10, 20, 30, 40, 1000]))
    assert summary == {"count": 5, "mean": 220.0, "median": 30.0, "p95": pytest.approx(808.0), "max": 1000.0}
    assert length_summary(np.array([])) is None


def test_output_statistics_counts_cuts_truncations_and_lengths():
    records = _records([[100, 4096], [300, 4096]], [[False, True], [False, True]])
    correct = np.array([[True, False], [False, True]])
    clusters = np.array([[0, -1], [0, 1]])  # the second cut sample still gave an answer
    stats = output_statistics(records, correct, clusters)
    assert stats["cut_at_max_tokens"] == {"count": 2, "rate": 0.5}
    assert stats["truncated"] == {"count": 1, "rate": 0.25}
    assert stats["no_answer"] == {"count": 1, "rate": 0.25}
    assert stats["length_unit"] == "tokens"
    assert stats["length"]["all"]["mean"] == pytest.approx((100 + 4096 + 300 + 4096) / 4)
    assert stats["length"]["correct"]["median"] == pytest.approx((100 + 4096) / 2)
    assert stats["length"]["incorrect"]["count"] == 2
    assert sum(entry["samples"] for entry in stats["accuracy_by_length"]) == 4
    json.dumps(stats, allow_nan=False)


def test_unknown_token_counts_and_finish_reasons():
    records = _records([[np.nan, 7]], [[False, False]], characters=[[1200, 300]], finish_known=False)
    stats = output_statistics(records, np.array([[True, False]]), np.array([[0, 1]]))
    assert stats["cut_at_max_tokens"] is None and stats["truncated"] is None
    assert stats["length_unit"] == "characters" and stats["length"]["all"]["max"] == 1200
    assert stats["tokens"]["all"] == {"count": 1, "mean": 7.0, "median": 7.0, "p95": 7.0, "max": 7.0}
    text = outputs_markdown({"outputs": stats})
    assert "finish reasons were not recorded" in text and "in characters" in text
    json.dumps(stats, allow_nan=False)


def test_length_bins_are_equal_count_and_cover_every_sample():
    lengths = np.arange(1, 101, dtype=float)
    correct = lengths <= 50
    bins = length_bins(lengths, correct, np.zeros(100, dtype=bool), max_bins=4)
    assert [entry["samples"] for entry in bins] == [25, 25, 25, 25]
    assert [entry["accuracy"] for entry in bins] == [1.0, 1.0, 0.0, 0.0]
    assert bins[0]["low"] == 1 and bins[-1]["high"] == 100
    same = length_bins(np.full(10, 5.0), np.ones(10, dtype=bool), np.zeros(10, dtype=bool))
    assert len(same) == 1 and same[0]["samples"] == 10
    assert length_bins(np.array([]), np.array([], dtype=bool), np.array([], dtype=bool)) == []


# --- a replayed reasoning dump, end to end ----------------------------------------------------

@pytest.fixture(scope="module")
def replay_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reasoning") / "run"
    config = parse_config({
        "model": "replayed-reasoner", "task": "aime24", "filters": {"ids": ["60", "61", "62"]},
        "backend": {"name": "replay", "options": {"path": str(REPLAY)}},
        "sampling": {"n": 4, "max_tokens": 4096}, "grading": {"workers": 1}, "report": {"resamples": 50},
    })
    run_evaluation(config, out=out, show_progress=False)
    return out


def test_replayed_dump_reports_truncation_and_token_statistics(replay_run):
    document = json.loads((replay_run / "metrics.json").read_text())
    outputs = document["outputs"]
    assert outputs["samples"] == 12 and outputs["length_unit"] == "tokens" and outputs["tokens_known"] == 12
    assert outputs["cut_at_max_tokens"] == {"count": 4, "rate": pytest.approx(4 / 12)}
    tokens = np.array(REPLAY_TOKENS, dtype=float)
    assert outputs["length"]["all"]["mean"] == pytest.approx(tokens.mean())
    assert outputs["length"]["all"]["median"] == pytest.approx(np.median(tokens))
    assert outputs["length"]["all"]["p95"] == pytest.approx(np.percentile(tokens, 95))
    graded = read_jsonl(replay_run / "graded.jsonl")
    correct = np.array([line["correct"] for line in graded])
    no_answer = np.array([line["clusters"] for line in graded]) < 0
    assert outputs["length"]["correct"]["mean"] == pytest.approx(tokens[correct].mean())
    assert outputs["length"]["incorrect"]["mean"] == pytest.approx(tokens[~correct].mean())
    assert outputs["truncated"]["count"] == int((np.array(REPLAY_CUT) & no_answer).sum())
    report = (replay_run / "report.md").read_text()
    assert "## Output length and truncation (12 samples)" in report and "cut at max_tokens: 33.3% (4)" in report
    assert "| all | 12 |" in report and "accuracy_vs_length.png" in report
    assert (replay_run / "accuracy_vs_length.png").stat().st_size > 0
    assert "truncated without answer" in outputs_summary_line(document)
    samples = read_jsonl(replay_run / "samples.jsonl")
    assert [[s["finish_reason"] == "length" for s in line["samples"]] for line in samples] == REPLAY_CUT


def test_replayed_dump_grades_the_answer_after_the_thinking(replay_run):
    graded = read_jsonl(replay_run / "graded.jsonl")
    assert [line["problem_id"] for line in graded] == ["60", "61", "62"]
    assert [line["answers"] for line in graded] == EXPECTED_ANSWERS
    assert [line["correct"] for line in graded] == EXPECTED_CORRECT
    outputs = json.loads((replay_run / "metrics.json").read_text())["outputs"]
    assert outputs["truncated"]["count"] == 4  # every cut sample was cut inside its thinking


def test_samples_that_ended_for_another_reason_are_counted_and_named(tmp_path):
    from evalkit.report.lengths import outputs_markdown, output_statistics, read_output_records
    from evalkit.store import RunDir

    run = RunDir(tmp_path)
    samples = [{"text": "The answer is 4.", "finish_reason": reason, "num_tokens": 5}
               for reason in ("stop", "abort", "content_filter", "abort")]
    run.samples_path.write_text(json.dumps({"problem_id": "p", "samples": samples}) + "\n")
    records = read_output_records(run, ["p"], 4)
    assert records.other_finish_reasons == (("abort", 2), ("content_filter", 1))
    document = output_statistics(records, np.array([[True, True, False, True]]), np.array([[0, 0, 1, 0]]))
    assert document["other_finish_reasons"] == {"abort": 2, "content_filter": 1}
    shown = outputs_markdown({"outputs": document})
    assert "ended for another reason" in shown and "abort 2, content\\_filter 1" in shown
    # the terminal names them too (it prints the line without markup)
    assert "3 sample(s) ended for another reason (graded as written): abort 2, content_filter 1" in \
        outputs_summary_line({"outputs": document})


def test_empty_samples_are_counted_and_named_apart_from_refused_prompts(tmp_path):
    """Before: a server answering `content: null` (stored as "") gave samples graded "no answer" with no
    word unless most samples were empty."""
    from evalkit.report.lengths import outputs_markdown, output_statistics, read_output_records
    from evalkit.store import RunDir

    run = RunDir(tmp_path)
    first = [{"text": text, "finish_reason": "stop", "num_tokens": 3} for text in ("The answer is 4.", "", " \n", "4")]
    refused = [{"text": "", "finish_reason": "rejected", "num_tokens": 0} for _ in range(4)]
    run.samples_path.write_text(json.dumps({"problem_id": "p", "samples": first}) + "\n"
                                + json.dumps({"problem_id": "q", "samples": refused}) + "\n")
    records = read_output_records(run, ["p", "q"], 4)
    document = output_statistics(records, np.array([[True, False, False, True], [False] * 4]),
                                 np.array([[0, -1, -1, 0], [-1] * 4]))
    assert document["empty"] == {"count": 2, "rate": 0.25}
    assert "**empty samples** (the backend returned no text" in outputs_markdown({"outputs": document})
    assert "2 empty sample(s): the backend returned no text" in outputs_summary_line({"outputs": document})

    answered = [{"text": "The answer is 4.", "finish_reason": "stop", "num_tokens": 3}] * 4
    run.samples_path.write_text(json.dumps({"problem_id": "p", "samples": answered}) + "\n")
    document = output_statistics(read_output_records(run, ["p"], 4), np.array([[True] * 4]), np.array([[0] * 4]))
    assert document["empty"] == {"count": 0, "rate": 0.0}
    assert "empty" not in outputs_markdown({"outputs": document}) + outputs_summary_line({"outputs": document})
