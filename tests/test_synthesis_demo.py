"""The demo world (corpus, data, teacher examples, the oracle check) and the results writer."""

from __future__ import annotations

from pathlib import Path

from evalkit.synthesis.demo_results import _relative, render_summary
from evalkit.synthesis.demo_world import (
    WorldSizes,
    exercise_quality,
    narrative,
    narrative_share,
    teacher_examples,
    world_corpus,
    write_world_data,
)
from evalkit.synthesis.prompts import RESPONSE_PREFIX, parse_exercise, stage_by_heuristic
from tasks.arith import ArithProblem

SIZES = WorldSizes(min_steps=1, max_steps=2, narratives=30, other_texts=30, train_problems=80, test_problems=20,
                   base_steps=1, teacher_steps=1, teacher_examples=40)


def test_corpus_is_deterministic_mixed_and_apart_from_both_splits(tmp_path: Path):
    import tasks

    corpus = world_corpus(SIZES)
    assert corpus == world_corpus(SIZES)
    assert len(corpus) == 60 and len({text.text for text in corpus}) == 60
    assert sum(text.kind == "arithmetic" for text in corpus) == 30
    assert narrative_share([text.text for text in corpus], SIZES) == 0.5
    data = write_world_data(tmp_path / "world", SIZES)
    split_narratives = {narrative(ArithProblem(question=p.question, solution=p.solution or "", answer=int(p.reference),
                                               steps=1))
                        for split in ("train", "test") for p in tasks.get_task("arith").load(split, data_dir=data)}
    assert len(split_narratives) > 90
    for text in corpus:
        if text.kind == "arithmetic":
            assert text.stage == "grade_school" == stage_by_heuristic(text.text)
            assert text.text not in split_narratives
    # the other texts carry the stage the heuristic gives them, so the teacher is asked at that stage
    assert {text.stage for text in corpus if text.kind == "other"} <= {"middle_school", "high_school", "college",
                                                                      "amc8", "amc10"}


def test_narratives_are_worked_examples_without_the_question():
    problem = ArithProblem(question="Mia has 5 shells. Mia finds 3 more. How many shells does Mia have now?",
                           solution="Mia finds 3 more, so 5 + 3 = 8.\nThe answer is \\boxed{8}.", answer=8, steps=1)
    assert narrative(problem) == "Mia has 5 shells. Mia finds 3 more, so 5 + 3 = 8."


def test_teacher_examples_parse_and_mix_writing_and_solving():
    pairs = teacher_examples(SIZES)
    assert len(pairs) == 40
    writing = [(p, c) for p, c in pairs if p.endswith(RESPONSE_PREFIX)]
    assert len(writing) == 24 + 6
    for prompt, completion in writing:
        parsed = parse_exercise(RESPONSE_PREFIX + completion)
        assert parsed is not None and parsed.answer
    assert sum(1 for p, _ in pairs if p.startswith("Solve the following math problem")) == 10


def test_exercise_quality_recomputes_every_line_and_reads_the_problem():
    question = "Ava has 3 apples. Ava finds 2 more. How many apples does Ava have now?"
    records = [
        {"problem": question, "solution": "Ava finds 2 more, so 3 + 2 = 5.\nThe answer is \\boxed{5}.", "answer": "5"},
        {"problem": question, "solution": "Ava finds 2 more, so 3 + 2 = 6.\nThe answer is \\boxed{6}.", "answer": "6"},
        {"problem": question.replace("Ava finds 2", "Ava finds 1"), "solution": "so 3 + 2 = 5. \\boxed{5}", "answer": "5"},
        {"problem": "Let f(x) = 4x^2. Compute f'(3).", "solution": "By the power rule f'(x) = 8x. $\\boxed{24}$.",
         "answer": "24"},
    ]
    assert exercise_quality(records) == {"exercises": 4, "arithmetic": 3, "arithmetic_all_right": 2,
                                         "well_posed": 3, "answer_right": 1}


def test_true_answer_reads_every_operation_of_the_task():
    from tasks.arith import ArithDifficulty, generate_problems

    from evalkit.synthesis.demo_world import true_answer

    problems = generate_problems(300, seed=5, difficulty=ArithDifficulty(max_steps=4))
    assert all(true_answer(p.question) == p.answer for p in problems)
    assert true_answer("Ava has 3 apples. Ava finds 2 more. How many pears does Ava have now?") == 5
    assert true_answer("Ava has 3 apples. Ava finds 2 more. How many pears does Ava have now?", strict=True) is None
    assert true_answer("Ava has 3 apples. Ava sings. How many apples does Ava have now?") is None


def test_results_use_relative_paths_and_state_the_figures(tmp_path: Path):
    root = tmp_path / "work"
    report = {
        "synthesizer": str(root.resolve() / "distill" / "abc" / "final"),
        "texts_selected": 96, "selected_arithmetic_share": 1.0, "teacher_calls": 96, "teacher_tokens": 9000,
        "generated": 480, "kept": 120, "train_pairs": 90, "kept_stages": {"grade_school": 100, "college": 20},
        "efficiency": {"kept_per_teacher_call": 1.25, "generated": 480},
        "timings_this_run": {"corpus": 0.1, "evaluate": 100.0},
        "evaluation": {
            "student_training": {"max_steps": 120}, "teacher": 0.4, "baseline": 0.1, "with_synthetic": 0.2, "random_texts": 0.15,
            "accuracy_ci": {"baseline": [0.05, 0.15]}, "diff_ci": [0.05, 0.15], "confidence": 0.95,
            "test_problems": 200, "training_examples": {"baseline": 16, "with_synthetic": 136, "random_texts": 100},
            "verdicts": ["with_synthetic - baseline: +10.0 points, 95% paired-bootstrap CI [+5.0, +15.0] (better)"],
            "random_texts_run": {"texts_selected": 96, "selected_arithmetic_share": 0.5, "kept": 84},
        },
    }
    cleaned = _relative(report, root)
    assert cleaned["synthesizer"] == "distill/abc/final"
    run = {"command": "evalkit synth", "seconds": 300.0, "load": {"min": 1.0, "mean": 2.0, "max": 3.0},
           "cpus": 2, "commit": "abc1234", "task": "arith"}
    text = render_summary(cleaned, run)
    assert "| baseline | 16 real problems (120 steps, like every student) | 10.0% [5.0, 15.0] |" in text
    assert "| with_synthetic | the same + 120 synthetic exercises (influence-selected texts) | 20.0%" in text
    assert "| share of them that are arithmetic narratives | 100.0% | 50.0% |" in text
    assert "+10.0 points" in text and "load average while it ran: 1.0-3.0" in text
    assert "grade_school: 100, college: 20" in text


def test_building_a_demo_model_says_so_and_shows_its_progress(tmp_path: Path, capsys):
    # before: the demo world's models (about 45 s with the demo's sizes) were built without a word or a bar
    from io import StringIO

    from rich.console import Console

    from evalkit.synthesis.config import parse_synth_config
    from evalkit.synthesis.pipeline import SynthPipeline

    config = parse_synth_config({"corpus": {"sources": [{"kind": "demo"}]},
                                 "demo": {"narratives": 8, "other_texts": 8, "train_problems": 16, "test_problems": 8,
                                          "base_steps": 2}})
    console = Console(file=StringIO(), width=200)
    pipeline = SynthPipeline(config, tmp_path / "out", show_progress=True, console=console)
    assert (Path(pipeline.model("demo:base")) / "config.json").is_file()
    assert "pre-training" in capsys.readouterr().out
    pipeline.model("demo:base")  # built already: nothing to say
    assert console.file.getvalue().count("building the demo world's base model") == 1
