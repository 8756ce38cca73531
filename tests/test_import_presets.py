"""`evalkit import --preset`: Qwen2.5-Math outputs, lm-evaluation-harness `--log_samples`, lighteval
details (Parquet, both layouts) and plain `{id, reference, responses}` files, each on a small file in
that tool's exact layout (see `fixtures/make_preset_fixtures.py`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from evalkit.errors import ConfigError, InputError
from evalkit.import_presets import PRESETS, get_preset
from evalkit.importer import import_samples
from evalkit.jsonl import read_jsonl
from evalkit.pipeline.grade import grade_stage
from evalkit.store import RunDir
from tasks import get_task

FIXTURES = Path(__file__).parent / "fixtures"
PRESET_FILES = FIXTURES / "import_presets"
QWEN = PRESET_FILES / "qwen25_math_aime24.jsonl"
LM_EVAL_AIME = PRESET_FILES / "samples_aime24_2025-06-01T10-00-00.123456.jsonl"
LM_EVAL_GSM8K = PRESET_FILES / "samples_gsm8k_cot_self_consistency_2025-06-01T10-00-00.123456.jsonl"
LIGHTEVAL = PRESET_FILES / "details_aime24_2025-08-04T10-00-00.parquet"
LIGHTEVAL_OLD = PRESET_FILES / "details_aime24_2025-01-10T10-00-00_old_layout.parquet"
PLAIN = PRESET_FILES / "plain_aime24.jsonl"
AIME_REFERENCES = ["204", "113", "371"]
# first response right; an unterminated <think> has no answer; problem 3's first guess is wrong
AIME_CORRECT = [[True, False], [True, False], [False, True]]


def _import(path: Path, preset: str, out: Path, task: str = "aime24"):
    summary = import_samples(path, task=task, out=out, preset=preset, show_progress=False)
    grade_stage(RunDir(out), workers=1, show_progress=False)
    return summary, read_jsonl(out / "samples.jsonl"), read_jsonl(out / "graded.jsonl")


def test_presets_are_listed():
    assert sorted(PRESETS) == ["lighteval", "lm-eval", "plain", "qwen25-math"]
    with pytest.raises(ConfigError, match="known presets: lighteval, lm-eval, plain, qwen25-math"):
        get_preset("lmeval")


def test_qwen25_math_output(tmp_path):
    summary, samples, graded = _import(QWEN, "qwen25-math", tmp_path / "run")
    assert (summary.problems, summary.samples, summary.ids_from_line_numbers) == (3, 6, 0)
    assert [line["problem_id"] for line in samples] == ["0", "1", "2"]  # idx is the id
    assert [line["reference"] for line in samples] == AIME_REFERENCES
    assert samples[0]["question"].startswith("Every morning Aya goes for a $9$-kilometer-long walk")
    assert [line["correct"] for line in graded] == AIME_CORRECT
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["preset"] == "qwen25-math" and config["task"] == "aime24"


def test_qwen25_math_reward_model_dump_matches_the_explicit_mapping(tmp_path):
    dump = FIXTURES / "import_qwen_dump.jsonl"
    import_samples(dump, task="arith", out=tmp_path / "preset", preset="qwen25-math", show_progress=False)
    import_samples(dump, task="arith", out=tmp_path / "mapped", show_progress=False,
                   mapping="id=idx,question=question,reference=gt,samples=code,scores=pred_score")
    for name in ("samples.jsonl", "scores.jsonl"):
        assert (tmp_path / "preset" / name).read_bytes() == (tmp_path / "mapped" / name).read_bytes()
    first = json.loads((tmp_path / "preset" / "scores.jsonl").read_text().splitlines()[0])
    assert first["problem_id"] == "0" and len(first["scores"]) == 8


def test_lm_eval_log_samples(tmp_path):
    summary, samples, graded = _import(LM_EVAL_AIME, "lm-eval", tmp_path / "run")
    assert [line["problem_id"] for line in samples] == ["0", "1", "2"]
    assert [line["reference"] for line in samples] == AIME_REFERENCES
    assert samples[1]["question"].startswith("Let $ABC$ be a triangle")  # doc["Problem"]
    assert [line["correct"] for line in graded] == [[True], [False], [False]]
    assert graded[1]["answers"] == [None]  # cut inside its thinking


def test_lm_eval_repeats_and_one_line_per_filter(tmp_path):
    summary, samples, graded = _import(LM_EVAL_GSM8K, "lm-eval", tmp_path / "run", task="gsm8k")
    assert (summary.problems, summary.samples) == (2, 8)  # 6 lines: each document once per filter
    assert [line["reference"] for line in samples] == ["12", "1,234"]
    assert [line["correct"] for line in graded] == [[True, False, True, True], [True, True, False, False]]


def test_lm_eval_lines_of_one_document_with_different_responses_are_refused(tmp_path):
    lines = LM_EVAL_GSM8K.read_text().splitlines()
    changed = json.loads(lines[2])
    changed["resps"] = [["The answer is 5."] * 4]
    path = tmp_path / "samples.jsonl"
    path.write_text("\n".join([lines[0], lines[1], json.dumps(changed)]) + "\n")
    with pytest.raises(InputError, match=r":3: field 'id': duplicate id '0'"):
        import_samples(path, task="gsm8k", out=tmp_path / "run", preset="lm-eval", show_progress=False)


def test_lighteval_details_parquet(tmp_path):
    summary, samples, graded = _import(LIGHTEVAL, "lighteval", tmp_path / "run")
    assert [line["problem_id"] for line in samples] == ["0", "1", "2"]
    assert [line["reference"] for line in samples] == AIME_REFERENCES
    assert "Solve the following math problem efficiently" in samples[0]["question"]
    texts = [[s["text"] for s in line["samples"]] for line in samples]
    assert [[s["num_tokens"] for s in line["samples"]] for line in samples] == [[len(t) // 4 for t in row]
                                                                                for row in texts]
    assert [line["correct"] for line in graded] == AIME_CORRECT


def test_lighteval_older_details_layout(tmp_path):
    summary, samples, graded = _import(LIGHTEVAL_OLD, "lighteval", tmp_path / "run")
    assert [line["problem_id"] for line in samples] == ["0", "1", "2"]
    assert [line["reference"] for line in samples] == AIME_REFERENCES
    assert samples[0]["samples"][0]["num_tokens"] == len(samples[0]["samples"][0]["text"]) // 4
    assert [line["correct"] for line in graded] == AIME_CORRECT


def test_lighteval_rows_as_json_lines(tmp_path):
    import pyarrow.parquet as parquet

    path = tmp_path / "details.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in parquet.read_table(LIGHTEVAL).to_pylist()))
    _, samples, _ = _import(path, "lighteval", tmp_path / "run")
    assert [line["problem_id"] for line in samples] == ["0", "1", "2"]


def test_plain_id_reference_responses(tmp_path):
    _, samples, graded = _import(PLAIN, "plain", tmp_path / "run")
    assert [line["problem_id"] for line in samples] == ["60", "61", "62"]
    # the questions come from the task's problems of the same ids (the evaluator's prompts need them)
    questions = {problem.id: problem.question for problem in get_task("aime24").load("test")}
    assert [line["question"] for line in samples] == [questions[i] for i in ("60", "61", "62")]
    assert samples[2]["samples"][0]["num_tokens"] == 20 and samples[2]["samples"][0]["finish_reason"] == "stop"
    assert [line["correct"] for line in graded] == AIME_CORRECT


@pytest.mark.parametrize("change, message", [
    ({"id": "9999"}, "no aime24 test problem has this id"),
    ({"reference": "999"}, "'999' differs from the reference '204'"),
])
def test_plain_lines_must_be_problems_of_the_task(tmp_path, change, message):
    """A plain file of another task (ids the task lacks, other references) is refused, not imported
    under the task's name with empty questions."""
    lines = PLAIN.read_text().splitlines()
    path = tmp_path / "other.jsonl"
    path.write_text("\n".join([json.dumps(json.loads(lines[0]) | change)] + lines[1:]) + "\n")
    with pytest.raises(InputError, match=re.escape(message)):
        import_samples(path, task="aime24", out=tmp_path / "run", preset="plain", show_progress=False)
    assert not (tmp_path / "run" / "samples.jsonl").exists()


@pytest.mark.parametrize("preset, path, drop, field", [
    ("qwen25-math", QWEN, "gt", "gt"),
    ("lm-eval", LM_EVAL_AIME, "resps", "resps"),
    ("plain", PLAIN, "responses", "responses"),
])
def test_bad_records_name_line_and_field(tmp_path, preset, path, drop, field):
    lines = path.read_text().splitlines()
    broken = json.loads(lines[1])
    del broken[drop]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([lines[0], json.dumps(broken)]) + "\n")
    with pytest.raises(InputError, match=rf":2: field '{field}': missing \({preset} layout\)"):
        import_samples(bad, task="aime24", out=tmp_path / "run", preset=preset, show_progress=False)
    assert not (tmp_path / "run").exists()


def test_preset_excludes_map_and_needs_a_readable_parquet(tmp_path):
    with pytest.raises(ConfigError, match="exclude each other"):
        import_samples(QWEN, task="aime24", out=tmp_path / "run", preset="qwen25-math", mapping="id=idx")
    fake = tmp_path / "details.parquet"
    fake.write_text("not parquet")
    with pytest.raises(ConfigError, match="not a readable Parquet file"):
        import_samples(fake, task="aime24", out=tmp_path / "run", preset="lighteval", show_progress=False)


def test_plain_lines_without_references_take_them_from_the_task_by_id(tmp_path):
    from tasks.shipped import shipped_path

    row = json.loads(shipped_path("math/math500.jsonl").read_text(encoding="utf-8").splitlines()[5])
    source = tmp_path / "plain.jsonl"
    source.write_text(json.dumps({"id": row["unique_id"], "responses": ["\\boxed{1}"]}) + "\n", encoding="utf-8")
    import_samples(source, task="math500", out=tmp_path / "run", preset="plain", show_progress=False)
    line = json.loads((tmp_path / "run" / "samples.jsonl").read_text(encoding="utf-8"))
    assert (line["question"], line["reference"]) == (row["problem"], row["answer"])


def test_plain_lines_with_a_question_and_no_id_are_found_by_their_question(tmp_path):
    # the README's `{id or question, responses}`: a line without an id was refused ("field 'id': missing")
    from tasks.shipped import shipped_path

    rows = [json.loads(line) for line in shipped_path("math/math500.jsonl").read_text(encoding="utf-8").splitlines()[:2]]
    source = tmp_path / "plain.jsonl"
    source.write_text(json.dumps({"id": rows[0]["unique_id"], "responses": ["\\boxed{1}"]}) + "\n"
                      + json.dumps({"question": rows[1]["problem"], "responses": ["\\boxed{2}"]}) + "\n", encoding="utf-8")
    import_samples(source, task="math500", out=tmp_path / "run", preset="plain", show_progress=False)
    lines = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(line["problem_id"], line["reference"]) for line in lines] == [(row["unique_id"], row["answer"]) for row in rows]
