"""The synthesis pipeline: steps, resumption, report counts; the demo config end to end (slow)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from evalkit.backends.base import Completion
from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_jsonl
from evalkit.synthesis.config import load_synth_config, parse_synth_config
from evalkit.synthesis.pipeline import STEPS, SynthPipeline, parse_steps

REPO = Path(__file__).resolve().parents[1]
FIXTURE_DATA = REPO / "tests" / "fixtures" / "tasks_data"
GSM8K_TEST_PROBLEM = "Ann has 3 bags with 4 pears each. How many pears?"


TEXTS = [
    "Adding means putting groups together: 7 oranges and 5 more make 12 oranges.",
    "Doubling a number means adding it to itself, so a plant 9 cm tall doubles to 18 cm.",
    "Place value: in 347 the digit 3 means 3 hundreds, the 4 means 4 tens and the 7 means 7 ones.",
    "Telling time: a movie that starts at 3:15 and lasts 45 minutes ends at 4:00.",
    "Money problems: a toy costs 13 dollars and a book 8 dollars, 21 dollars together.",
    "The derivative of 4x^3 - 2x is 12x^2 - 2 by the power rule.",
    "The remainder of 2^100 modulo 5 is 1 since the powers of 2 repeat every four steps.",
    "A fraction names part of a whole: 1/4 plus 2/3 is 11/12.",
]


class ScriptedBackend:
    """A fake teacher / synthesizer / solver: a fresh exercise per prompt, except a planted
    benchmark problem, a duplicate and a malformed answer at fixed texts; solve prompts get the
    right answer, except for the exercise of the "derivative" text. Counts prompts."""

    name = "scripted"

    def __init__(self) -> None:
        self.prompts_seen = 0

    def generate(self, prompts, n, sampling):
        answers = []
        for prompt in prompts:
            self.prompts_seen += 1
            text = str(prompt)
            if text.startswith("Problem:") and text.endswith("Solution:"):
                numbers = [int(x) for x in re.findall(r"Compute (\d+) plus (\d+)", text)[0]] \
                    if "Compute" in text else [6]
                answer = sum(numbers) + (1 if "w0 " in text else 0)
                answers.append([Completion(text=f" It is $\\boxed{{{answer}}}$.", finish_reason="stop",
                                           num_tokens=5)] * n)
                continue
            # a stable number per prompt, so that exercises differ from text to text
            number = sum(map(ord, text)) % 997
            words = " ".join(f"w{(number * k) % 101}" for k in range(1, 12))
            if "derivative" in text:
                words = "w0 " + words  # the solver will disagree with this one
            body = f" Compute {number} plus {number + 1}, where {words}?\nSolution: The sum is $\\boxed{{{2 * number + 1}}}$."
            if "Doubling" in text:
                body = f" {GSM8K_TEST_PROBLEM}\nSolution: $3 \\cdot 4 = \\boxed{{12}}$."
            elif "Place value" in text or "Telling time" in text:
                body = " Same exercise for two texts: how many sides does a hexagon have, asked twice?\nSolution: $\\boxed{6}$."
            elif "Money problems" in text:
                body = " a rambling answer without the format"
            prefix = "" if text.rstrip().endswith("Problem:") else "Problem:"
            answers.append([Completion(text=prefix + body if prefix else body, finish_reason="stop", num_tokens=20)] * n)
        return answers


def _config(tmp_path: Path, **teacher) -> dict:
    corpus = tmp_path / "texts.jsonl"
    if not corpus.exists():
        corpus.write_text("".join(json.dumps({"text": text}) + "\n" for text in TEXTS))
    return {
        "corpus": {"sources": [{"kind": "jsonl", "path": str(corpus)}], "chunk_size": 600},
        "select": {"enabled": False},
        "teacher": {"backend": "replay", "options": {"model": "scripted"}, "stage": "round_robin", "batch_size": 3,
                    **teacher},
        "generate": {"backend": "hf", "model": "scripted-synth", "texts": "all"},
        "filter": {"decontaminate": ["gsm8k", "math"], "data_dirs": [str(FIXTURE_DATA)], "min_problem_chars": 10,
                   "consistency": {"samples": 2}},
    }


def _pipeline(tmp_path: Path, backend: ScriptedBackend, **teacher) -> SynthPipeline:
    config = parse_synth_config(_config(tmp_path, **teacher))
    return SynthPipeline(config, tmp_path / "out", show_progress=False, backend_factory=lambda name, options: backend)


def test_pipeline_counts_and_cached_rerun(tmp_path: Path):
    backend = ScriptedBackend()
    steps = ["corpus", "select", "teacher", "generate", "filter"]
    report = _pipeline(tmp_path, backend).run(steps)
    assert report["corpus_chunks"] == 8 and report["texts_selected"] == 8
    assert report["teacher_calls"] == 8 and report["teacher_calls_this_run"] == 8
    assert report["teacher_ok"] == 7 and report["teacher_malformed"] == 1
    assert report["generated"] == 8
    assert report["removed_malformed"] == 1
    assert report["removed_contaminated"] == 1
    assert report["removed_duplicates"] == 1
    assert report["removed_inconsistent"] == 1
    assert report["kept"] == 4
    out = tmp_path / "out"
    synthetic = read_jsonl(out / "synthetic.jsonl")
    assert len(synthetic) == 4
    assert set(synthetic[0]) == {"id", "problem", "solution", "answer", "source_id", "stage", "agreement"}
    assert all(GSM8K_TEST_PROBLEM not in r["problem"] for r in synthetic)
    saved = json.loads((out / "report.json").read_text())
    assert saved["kept"] == 4 and sum(saved["kept_stages"].values()) == 4
    # what each filter removed, and why
    removed = {r["removed"]: r for r in read_jsonl(out / "removed.jsonl")}
    assert set(removed) == {"malformed", "contaminated", "duplicate", "inconsistent"}
    assert removed["contaminated"]["matched"] and all(m.startswith("gsm8k:") for m in removed["contaminated"]["matched"])
    assert "0/2 solutions agree" in removed["inconsistent"]["detail"]
    contamination = saved["filters"]["contamination"]
    assert set(contamination["benchmarks_checked"]) == {"gsm8k", "math"} and contamination["records_matching"] == {"gsm8k": 1}
    assert saved["filters"]["consistency"]["checked"] == 5 and saved["filters"]["consistency"]["kept"] == 4
    assert set(saved["filters"]["removed_examples"]) == set(removed)
    seen = backend.prompts_seen

    rerun = _pipeline(tmp_path, backend).run(steps)
    assert backend.prompts_seen == seen, "a fully cached rerun must not call any model"
    assert rerun["teacher_calls_this_run"] == 0 and rerun["teacher_calls"] == 8
    assert rerun["kept"] == 4


def test_a_local_teacher_rewritten_at_the_same_path_is_asked_again(tmp_path: Path):
    # before: the teacher's cache was keyed by the path as configured, so answers of the old model were reused
    teacher_dir = tmp_path / "teacher-model"
    teacher_dir.mkdir()
    (teacher_dir / "model.safetensors").write_bytes(b"old weights")
    first = _pipeline(tmp_path, ScriptedBackend(), options={"model": str(teacher_dir)}).run(["corpus", "select", "teacher"])
    assert first["teacher_calls_this_run"] == 8
    again = _pipeline(tmp_path, ScriptedBackend(), options={"model": str(teacher_dir)}).run(["corpus", "select", "teacher"])
    assert again["teacher_calls_this_run"] == 0
    (teacher_dir / "model.safetensors").write_bytes(b"new weights, retrained")
    rewritten = _pipeline(tmp_path, ScriptedBackend(), options={"model": str(teacher_dir)}).run(["corpus", "select", "teacher"])
    assert rewritten["teacher_calls_this_run"] == 8


def test_a_step_rerun_alone_marks_the_steps_after_it_stale_instead_of_mixing_reports(tmp_path: Path):
    backend = ScriptedBackend()
    steps = ["corpus", "select", "teacher", "generate", "filter"]
    assert _pipeline(tmp_path, backend).run(steps)["stale_steps"] == {}
    (tmp_path / "texts.jsonl").write_text("".join(json.dumps({"text": text}) + "\n" for text in TEXTS[:5]))
    partial = _pipeline(tmp_path, backend).run(["corpus"])
    assert partial["corpus_chunks"] == 5
    assert set(partial["stale_steps"]) >= {"select", "teacher"} and "corpus.jsonl" in partial["stale_steps"]["teacher"]
    assert partial["teacher_calls"] is None and partial["teacher_ok"] is None  # not the old chain's figures
    assert partial["steps"]["teacher"] == {}
    full = _pipeline(tmp_path, backend).run(steps)
    assert full["stale_steps"] == {} and full["corpus_chunks"] == 5 and full["generated"] == 5


class FakeDistill(SynthPipeline):
    """The chain with a distill step that trains nothing: its "synthesizer" is a folder named after the
    teacher's answers (as the real one is named after its training pairs); the backend stays scripted."""

    def step_distill(self):
        from evalkit.hashing import file_sha256

        checkpoint = self.paths.distill / file_sha256(self.paths.teacher)[:12] / "final"
        checkpoint.mkdir(parents=True, exist_ok=True)
        return {"train_pairs": len(read_jsonl(self.paths.teacher)), "checkpoint": str(checkpoint)}


def _chain(tmp_path: Path, backend: ScriptedBackend) -> SynthPipeline:
    config = _config(tmp_path)
    del config["generate"]["model"]  # the distilled synthesizer writes the exercises and solves them
    return FakeDistill(parse_synth_config(config), tmp_path / "out", show_progress=False,
                       backend_factory=lambda name, options: backend)


def test_a_changed_corpus_leaves_every_later_step_stale(tmp_path: Path):
    # before: `--steps corpus` with a changed corpus marked only select and teacher stale; report.json and the
    # terminal kept the old distill, generate and filter figures (generated 80, kept 1) as if current
    backend = ScriptedBackend()
    chain = ["corpus", "select", "teacher", "distill", "generate", "filter"]
    full = _chain(tmp_path, backend).run(chain)
    assert full["stale_steps"] == {} and full["generated"] == 8 and full["train_pairs"] == 8
    (tmp_path / "texts.jsonl").write_text("".join(json.dumps({"text": text}) + "\n" for text in TEXTS[:5]))
    partial = _chain(tmp_path, backend).run(["corpus"])
    assert partial["stale_steps"] == {
        "select": ["corpus.jsonl"],
        "teacher": ["corpus.jsonl", "step select (stale)"],
        "distill": ["corpus.jsonl", "step teacher (stale)"],
        "generate": ["corpus.jsonl", "step distill (stale)"],  # texts: all reads the corpus itself
        "filter": ["step generate (stale)", "step distill (stale)"],  # its solver is the synthesizer
    }
    for figure in ("train_pairs", "generated", "kept", "removed_duplicates", "removed_contaminated", "kept_stages",
                   "filters", "efficiency"):
        assert partial[figure] is None, figure
    assert partial["corpus_chunks"] == 5 and all(partial["steps"][step] == {} for step in chain[1:])
    # rerunning the first stale steps with new results leaves the ones after them stale
    again = _chain(tmp_path, backend).run(["select", "teacher"])
    assert set(again["stale_steps"]) == {"distill", "generate", "filter"}
    assert again["stale_steps"]["distill"] == ["corpus.jsonl", "teacher.jsonl"] and again["teacher_ok"] == 4
    final = _chain(tmp_path, backend).run(chain)
    assert final["stale_steps"] == {} and final["generated"] == 5 and final["train_pairs"] == 5


def test_a_step_reads_only_what_its_config_makes_it_read(tmp_path: Path):
    config = _config(tmp_path)  # generate.model is set: the generate and filter steps do not use the distill step
    pipeline = SynthPipeline(parse_synth_config(config), tmp_path / "out", show_progress=False)
    assert pipeline.step_reads("generate") == ["corpus"] and pipeline.step_reads("filter") == ["generate"]
    config["generate"] = {"texts": "selected"}
    config["teacher"]["texts"] = "all"
    pipeline = SynthPipeline(parse_synth_config(config), tmp_path / "out", show_progress=False)
    assert pipeline.step_reads("teacher") == ["corpus"]
    assert pipeline.step_reads("generate") == ["corpus", "select", "distill"]
    assert pipeline.step_reads("filter") == ["generate", "distill"]


def test_a_step_whose_config_section_changed_since_it_ran_is_stale(tmp_path: Path):
    # before: editing a section and running another step reported the old settings' figures as current
    backend = ScriptedBackend()
    steps = ["corpus", "select", "teacher", "generate", "filter"]
    assert _pipeline(tmp_path, backend).run(steps)["kept"] == 4
    config = _config(tmp_path)
    config["filter"]["min_problem_chars"] = 11
    edited = SynthPipeline(parse_synth_config(config), tmp_path / "out", show_progress=False,
                           backend_factory=lambda name, options: backend)
    partial = edited.run(["generate"])
    assert partial["stale_steps"] == {"filter": ["the config's filter or teacher section"]}
    assert partial["kept"] is None and partial["steps"]["filter"] == {}
    assert "generate" not in partial["stale_steps"] and partial["generated"] == 8
    assert edited.run(["filter"])["stale_steps"] == {}


def test_distill_says_when_every_teacher_answer_was_malformed(tmp_path: Path):
    class Rambling(ScriptedBackend):
        def generate(self, prompts, n, sampling):
            return [[Completion(text=" no format at all", finish_reason="stop", num_tokens=4)] * n for _ in prompts]

    pipeline = _pipeline(tmp_path, Rambling())
    pipeline.run(["corpus", "select", "teacher"])
    with pytest.raises(InputError, match=r"none of the 8 teacher answers can be distilled \(8 malformed\)"):
        pipeline.run(["distill"])


def test_budget_skips_are_reported_and_resumed(tmp_path: Path):
    backend = ScriptedBackend()
    report = _pipeline(tmp_path, backend, max_calls=5).run(["corpus", "select", "teacher"])
    assert report["teacher_calls"] == 5 and report["teacher_skipped"] == 3
    teacher = read_jsonl(tmp_path / "out" / "teacher.jsonl")
    assert len({r["source_id"] for r in teacher}) == 8
    # a larger budget later pays only for the skipped texts
    report = _pipeline(tmp_path, backend, max_calls=100).run(["teacher"])
    assert report["teacher_calls_this_run"] == 3 and report["teacher_skipped"] == 0


def test_steps_alone_need_their_inputs(tmp_path: Path):
    pipeline = _pipeline(tmp_path, ScriptedBackend())
    with pytest.raises(InputError, match="run the 'corpus' step first"):
        pipeline.run(["teacher"])
    with pytest.raises(InputError, match="run the 'generate' step first"):
        pipeline.run(["filter"])
    assert parse_steps("filter,corpus") == ["corpus", "filter"]
    assert parse_steps(None) == list(STEPS)
    with pytest.raises(ConfigError, match="unknown steps"):
        parse_steps("corpus,train")


def test_shipped_configs_are_valid():
    for name in ("synth-demo.yaml", "synth-openai-teacher.yaml"):
        load_synth_config(REPO / "configs" / name)


def test_train_sections_are_checked_when_the_config_is_read(tmp_path: Path):
    # before: a typo or a wrong type in distill.train / evaluate.train passed the config and failed only at that
    # step, after the teacher calls were paid ("bad distill.train settings: '<' not supported between ...")
    data = _config(tmp_path)
    data["distill"] = {"train": {"learnig_rate": 0.003, "max_steps": "two", "lora": {"r": 0}}}
    data["evaluate"] = {"train": {"batch_size": 0}}
    with pytest.raises(ConfigError) as caught:
        parse_synth_config(data, source="synth.yaml")
    assert str(caught.value).splitlines() == [
        ("synth.yaml: field 'distill.train.max_steps': Input should be a valid integer, unable to parse string as "
         "an integer"),
        "synth.yaml: field 'distill.train.lora.r': Input should be greater than or equal to 1",
        "synth.yaml: field 'distill.train.learnig_rate': unknown field",
        "synth.yaml: field 'evaluate.train.batch_size': Input should be greater than or equal to 1"]
    data["distill"] = {"train": {"learning_rate": 0.003, "max_steps": 2, "lora": {"r": 4}}}
    data["evaluate"] = {"train": {"batch_size": 2}}
    config = parse_synth_config(data)
    assert config.distill.train == {"learning_rate": 0.003, "max_steps": 2, "lora": {"r": 4}}  # kept as written
    assert config.evaluate is not None and config.evaluate.train == {"batch_size": 2}
    # so are the benchmarks to decontaminate against (a typo was named after every paid step had run)
    data["filter"]["decontaminate"] = ["gsm8k", "gsm9k"]
    with pytest.raises(ConfigError, match=r"field 'filter.decontaminate': unknown task 'gsm9k'; known: aime24"):
        parse_synth_config(data)


def _quick_demo_config(tmp_path: Path) -> Path:
    """The demo config on a tiny world with short trainings: every step and code path, not the figures."""
    data = yaml.safe_load((REPO / "configs" / "synth-demo.yaml").read_text())
    data["torch_threads"] = 1
    data["demo"] = {"narratives": 16, "other_texts": 16, "train_problems": 64, "test_problems": 24,
                    "base_steps": 150, "teacher_steps": 80, "teacher_examples": 160}
    data["select"].update({"max_targets": 4, "keep_fraction": 0.25})
    data["distill"]["train"]["max_steps"] = 6
    data["filter"]["data_dirs"] = ["demo:data", str(FIXTURE_DATA)]
    data["evaluate"].update({"real_examples": 8, "train": {"learning_rate": 0.003, "max_steps": 6, "batch_size": 8,
                                                           "max_length": 256}})
    path = tmp_path / "quick.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.slow
def test_demo_pipeline_end_to_end(tmp_path: Path):
    """The demo config (a tiny world) through every real step, the ablation and the evaluation, then a rerun."""
    pytest.importorskip("peft")
    pytest.importorskip("datasketch")
    from evalkit.synthesis.cli import synth_command

    config, out = _quick_demo_config(tmp_path), tmp_path / "demo"
    synth_command(config=config, out=out, steps=None, quiet=True)
    report = json.loads((out / "report.json").read_text())
    assert report["corpus_chunks"] == 32 and report["texts_scored"] == 32 and report["texts_selected"] == 8
    assert report["teacher_calls"] == 8 and report["teacher_calls_this_run"] == 8
    assert report["generated"] == 32
    removed = sum(report[k] for k in ("removed_malformed", "removed_length", "removed_duplicates",
                                      "removed_contaminated", "removed_inconsistent"))
    assert report["kept"] + removed == report["generated"]
    assert sum((report["kept_stages"] or {}).values()) == report["kept"]
    assert set(report["filters"]["contamination"]["benchmarks_checked"]) >= {"arith", "gsm8k", "math", "math500"}
    influence = read_jsonl(out / "influence.jsonl")
    assert len(influence) == 32 and sum(r["selected"] for r in influence) == 8
    assert report["influence_scores"]["min"] <= report["influence_scores"]["median"] <= report["influence_scores"]["max"]
    # the contract of the evaluation
    evaluation = report["evaluation"]
    for name in ("baseline", "with_synthetic", "random_texts", "teacher"):
        assert 0.0 <= evaluation[name] <= 1.0
    low, high = evaluation["diff_ci"]
    assert low <= evaluation["with_synthetic"] - evaluation["baseline"] <= high
    assert evaluation["test_problems"] == 24 and evaluation["training_examples"]["baseline"] == 8
    ablation = evaluation["random_texts_run"]
    assert ablation["texts_selected"] == 8 and ablation["teacher_calls_this_run"] == 8
    assert read_jsonl(out / "ablation-random-texts" / "influence.jsonl")[0]["score"] is None
    assert (out / "ablation-random-texts" / "synthetic.jsonl").exists()
    # the output is what the training engine's SSFT builder reads
    if report["kept"]:
        from evalkit.training.data import ssft_examples_from_jsonl

        examples = ssft_examples_from_jsonl(out / "synthetic.jsonl")
        assert len(examples) == report["kept"] and "\\boxed" in examples[0].completion

    synth_command(config=config, out=out, steps=None, quiet=True)
    again = json.loads((out / "report.json").read_text())
    assert again["teacher_calls_this_run"] == 0
    assert again["teacher_calls"] == 8 and again["kept"] == report["kept"]
    assert again["evaluation"]["baseline"] == evaluation["baseline"]
    assert again["evaluation"]["diff_ci"] == evaluation["diff_ci"]


def test_corpus_step_sees_edited_source_files(tmp_path: Path):
    source = tmp_path / "texts.jsonl"
    source.write_text("".join(json.dumps({"text": f"Alpha passage number {i} about adding fractions."}) + "\n"
                              for i in range(3)))
    data = _config(tmp_path)
    data["corpus"] = {"sources": [{"kind": "jsonl", "path": str(source)}], "min_chars": 10}
    pipeline = SynthPipeline(parse_synth_config(data), tmp_path / "out", show_progress=False,
                             backend_factory=lambda name, options: ScriptedBackend())
    pipeline.run(["corpus"])
    source.write_text("".join(json.dumps({"text": f"Beta passage number {i} about prime numbers."}) + "\n"
                              for i in range(5)))
    pipeline.run(["corpus"])
    texts = [json.loads(line)["text"] for line in (tmp_path / "out" / "corpus.jsonl").read_text().splitlines()]
    assert len(texts) == 5 and all(text.startswith("Beta") for text in texts)


def test_random_selection_is_the_same_size_and_seeded(tmp_path: Path):
    data = _config(tmp_path)
    data["select"] = {"method": "random", "keep_fraction": 0.5, "seed": 3}
    pipeline = SynthPipeline(parse_synth_config(data), tmp_path / "out", show_progress=False,
                             backend_factory=lambda name, options: ScriptedBackend())
    report = pipeline.run(["corpus", "select"])
    assert report["selection"] == "random" and report["texts_selected"] == 4 and report["texts_scored"] == 0
    first = read_jsonl(tmp_path / "out" / "influence.jsonl")
    assert all(r["score"] is None for r in first) and sum(r["selected"] for r in first) == 4
    other = SynthPipeline(parse_synth_config(data), tmp_path / "again", show_progress=False,
                          backend_factory=lambda name, options: ScriptedBackend())
    other.run(["corpus", "select"])
    assert read_jsonl(tmp_path / "again" / "influence.jsonl") == first


def test_evaluation_summary_holds_the_contract():
    from evalkit.synthesis.evaluate import summarize

    ids = [f"p{i}" for i in range(40)]
    baseline = {i: n % 4 == 0 for n, i in enumerate(ids)}                 # 25%
    with_synthetic = {i: n % 4 == 0 or n % 4 == 1 for n, i in enumerate(ids)}  # 50%, a superset
    random_texts = {i: n % 2 == 0 for n, i in enumerate(ids)}              # 50%, other problems
    summary = summarize({"baseline": baseline, "with_synthetic": with_synthetic, "random_texts": random_texts},
                        {"baseline": 16, "with_synthetic": 60, "random_texts": 50}, confidence=0.95,
                        resamples=2000, seed=0)
    assert summary["baseline"] == 0.25 and summary["with_synthetic"] == 0.5 and summary["random_texts"] == 0.5
    low, high = summary["diff_ci"]
    assert 0 < low <= 0.25 <= high and summary["diff"] == 0.25
    assert summary["comparisons"]["with_synthetic - baseline"]["only_first_right"] == 10
    assert summary["comparisons"]["with_synthetic - random_texts"]["diff"] == 0.0
    assert summary["verdicts"][0].startswith("with_synthetic - baseline: +25.0 points")
    assert summary["accuracy_ci"]["baseline"][0] < 0.25 < summary["accuracy_ci"]["baseline"][1]
    assert summary["test_problems"] == 40 and summary["training_examples"]["with_synthetic"] == 60
    # no exercise kept: the arm is the baseline again, and the report says so first
    empty = summarize({"baseline": baseline, "with_synthetic": baseline}, {"baseline": 16, "with_synthetic": 16},
                      confidence=0.95, resamples=200, seed=0)
    assert empty["verdicts"][0].startswith("with_synthetic trained on no synthetic exercise (none was kept)")


def test_evaluate_needs_its_section_and_the_filter_output(tmp_path: Path):
    pipeline = _pipeline(tmp_path, ScriptedBackend())
    with pytest.raises(ConfigError, match="needs an 'evaluate' section"):
        pipeline.step_evaluate()
    data = _config(tmp_path)
    data["evaluate"] = {"task": "gsm8k", "data_dir": str(FIXTURE_DATA), "student": "unused"}
    pipeline = SynthPipeline(parse_synth_config(data), tmp_path / "out2", show_progress=False,
                             backend_factory=lambda name, options: ScriptedBackend())
    with pytest.raises(InputError, match="run the 'filter' step first"):
        pipeline.run(["evaluate"])
