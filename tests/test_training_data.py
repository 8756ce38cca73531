"""The training data builders (SSFT, evaluator, evaluator pairs) and the `evalkit train` configs."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import tasks
from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import write_jsonl
from evalkit.records import Problem
from evalkit.training.config import load_train_config, parse_train_config
from evalkit.training.data import (
    boxed_solution,
    build_evaluator_data,
    evaluator_examples,
    evaluator_joint_examples,
    evaluator_pair_examples,
    ssft_examples,
    ssft_examples_from_jsonl,
)
from evalkit.training.engine import LoraSettings
from reranker.templates import EvaluatorTemplate

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "tasks_data"
REPO = Path(__file__).resolve().parents[1]


# --- SSFT -------------------------------------------------------------------------------------

def test_gsm8k_solution_ends_in_a_box_instead_of_the_hash_line():
    assert boxed_solution("10*3=30 pages.\n#### 30", "30") == "10*3=30 pages.\nThe answer is \\boxed{30}."
    assert boxed_solution("#### 1,200", "1200") == "The answer is \\boxed{1200}."


def test_math_solution_with_a_box_is_kept_as_it_is():
    text = "So $x = \\boxed{\\frac{1}{2}}$."
    assert boxed_solution(text, "\\frac{1}{2}") == text


def test_ssft_examples_from_gsm8k_fixture():
    problems = tasks.get_task("gsm8k").load("train", data_dir=FIXTURE_DATA)
    examples = ssft_examples(problems, prompt_format="gsm8k_cot")
    assert len(examples) == len(problems) == 1
    example = examples[0]
    assert example.prompt == tasks.get_prompt_format("gsm8k_cot").render(problems[0])
    assert "<<" not in example.completion and "####" not in example.completion
    assert example.completion == " 10*3=30\nThe answer is \\boxed{30}."


def test_ssft_examples_from_math_fixture_use_the_format_and_its_separator():
    problems = tasks.get_task("math").load("train", data_dir=FIXTURE_DATA)
    zero_shot = ssft_examples(problems)
    minerva = ssft_examples(problems, prompt_format="minerva")
    for problem, plain, few_shot in zip(problems, zero_shot, minerva):
        assert plain.prompt == tasks.get_prompt_format("zero_shot_cot").render(problem)
        assert plain.completion == " " + problem.solution
        assert few_shot.prompt.endswith("Solution:")
        assert few_shot.completion == "\n" + problem.solution
        assert plain.completion.rstrip(".$").endswith("}")


def test_problems_without_solution_are_named():
    problems = [Problem("a", "math", "1+1?", "2", solution="\\boxed{2}"),
                Problem("b/7", "math", "2+2?", "4", solution=None),
                Problem("c/9", "math", "3+3?", "6", solution="  ")]
    with pytest.raises(InputError, match=r"2 problem\(s\).*b/7, c/9"):
        ssft_examples(problems)


def test_chat_format_needs_a_tokenizer_and_uses_its_template(tiny_model_dir):
    from transformers import AutoTokenizer

    problems = tasks.get_task("math").load("train", data_dir=FIXTURE_DATA)
    with pytest.raises(ConfigError, match="chat template"):
        ssft_examples(problems, prompt_format="chat")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    examples = ssft_examples(problems, prompt_format="chat", tokenizer=tokenizer)
    assert examples[0].prompt.startswith(tokenizer.bos_token)
    assert examples[0].prompt.endswith("### Assistant:\n")
    assert problems[0].question in examples[0].prompt
    assert examples[0].completion == problems[0].solution


def test_synthetic_jsonl_records(tmp_path):
    path = tmp_path / "synthetic.jsonl"
    write_jsonl(path, [{"problem": "What is 2+3?", "solution": "2+3=5.\n#### 5", "answer": "5"},
                       {"problem": "Halve 8.", "solution": "8/2 = \\boxed{4}", "answer": "4"}])
    examples = ssft_examples_from_jsonl(path)
    assert [example.completion for example in examples] == [" 2+3=5.\nThe answer is \\boxed{5}.", " 8/2 = \\boxed{4}"]
    assert "What is 2+3?" in examples[0].prompt


def test_synthetic_answer_must_be_the_solutions_final_box(tmp_path):
    path = tmp_path / "synthetic.jsonl"
    write_jsonl(path, [{"problem": "Halve 1.", "solution": "1/2 = \\boxed{\\frac{1}{2}}", "answer": "0.5"},
                       {"problem": "Add.", "solution": "2 + 3 = \\boxed{5}", "answer": "6"}])
    with pytest.raises(InputError, match=r"synthetic.jsonl:2: field 'answer': answer '6' is not the solution's "
                                         r"final \\boxed\{5\}"):
        ssft_examples_from_jsonl(path)
    write_jsonl(path, [{"problem": "Halve 1.", "solution": "1/2 = \\boxed{\\frac{1}{2}}", "answer": "0.5"}])
    assert len(ssft_examples_from_jsonl(path)) == 1  # equivalent answers written differently agree
    # a decimal answer is exact unless the problem asks for rounding (its question decides)
    write_jsonl(path, [{"problem": "Find 2.4 / 6.", "solution": "\\boxed{0.36}", "answer": "0.4"}])
    with pytest.raises(InputError, match="answer '0.4' is not the solution's final"):
        ssft_examples_from_jsonl(path)
    write_jsonl(path, [{"problem": "Round 0.36 to the nearest tenth.", "solution": "\\boxed{0.36}", "answer": "0.4"}])
    assert len(ssft_examples_from_jsonl(path)) == 1


def test_synthetic_jsonl_bad_record_names_line_and_field(tmp_path):
    path = tmp_path / "synthetic.jsonl"
    write_jsonl(path, [{"problem": "ok", "solution": "s \\boxed{1}", "answer": "1"}, {"problem": "no answer", "solution": "s"}])
    with pytest.raises(InputError, match=r"synthetic.jsonl:2: field 'answer'"):
        ssft_examples_from_jsonl(path)


# --- evaluator --------------------------------------------------------------------------------

def _graded_run(run_dir: Path) -> Path:
    """A graded run directory: p1 has one correct text (twice), two incorrect and one unanswered; p2 has 2 correct, 1 incorrect."""
    samples = [
        {"problem_id": "p1", "task": "math", "question": "What is {x} + 1 when x = 1?", "reference": "2", "meta": {},
         "samples": [{"text": "1 + 1 = \\boxed{2}"}, {"text": "1 + 1 = \\boxed{2} "}, {"text": "It is \\boxed{3}"},
                     {"text": "It is \\boxed{4}"}, {"text": "no idea"}]},
        {"problem_id": "p2", "task": "math", "question": "Compute 3*3.", "reference": "9", "meta": {},
         "samples": [{"text": "\\boxed{9}"}, {"text": "3*3 = \\boxed{9}"}, {"text": "\\boxed{6}"}]},
    ]
    grades = [
        {"problem_id": "p1", "answers": ["2", "2", "3", "4", None], "clusters": [0, 0, 1, 2, -1],
         "correct": [True, True, False, False, False], "reasons": ["ok", "ok", "ok", "ok", "no_answer"]},
        {"problem_id": "p2", "answers": ["9", "9", "6"], "clusters": [0, 0, 1],
         "correct": [True, True, False], "reasons": ["ok", "ok", "ok"]},
    ]
    write_jsonl(run_dir / "samples.jsonl", samples)
    write_jsonl(run_dir / "graded.jsonl", grades)
    return run_dir


def test_evaluator_examples_use_the_template_exactly(tmp_path):
    run = _graded_run(tmp_path)
    template = EvaluatorTemplate()
    examples = evaluator_examples(run, balance=False)
    expected = [
        (template.prompt("What is {x} + 1 when x = 1?", "1 + 1 = \\boxed{2}"), " correct"),
        (template.prompt("What is {x} + 1 when x = 1?", "It is \\boxed{3}"), " incorrect"),
        (template.prompt("What is {x} + 1 when x = 1?", "It is \\boxed{4}"), " incorrect"),
        (template.prompt("Compute 3*3.", "\\boxed{9}"), " correct"),
        (template.prompt("Compute 3*3.", "3*3 = \\boxed{9}"), " correct"),
        (template.prompt("Compute 3*3.", "\\boxed{6}"), " incorrect"),
    ]
    assert [(example.prompt, example.completion) for example in examples] == expected
    assert examples[0].prompt.endswith("The above candidate solution is")
    assert "{x}" in examples[0].prompt


def test_evaluator_counts_dedupe_and_unanswered(tmp_path):
    data = build_evaluator_data(_graded_run(tmp_path), balance=False)
    counts = data.counts
    assert (counts.problems, counts.samples, counts.duplicates, counts.unjudged_skipped) == (2, 8, 1, 1)
    assert (counts.correct, counts.incorrect, counts.balanced_away) == (3, 3, 0)
    kept = build_evaluator_data(tmp_path, balance=False, keep_unjudged=True)
    assert kept.counts.unjudged_kept_as_incorrect == 1 and kept.counts.incorrect == 4
    assert kept.examples[3].completion == " incorrect" and "no idea" in kept.examples[3].prompt


def test_balancing_downsamples_the_larger_class_with_a_seed(tmp_path):
    run = _graded_run(tmp_path)
    unbalanced = build_evaluator_data(run, balance=False, keep_unjudged=True)  # 3 correct, 4 incorrect
    balanced = build_evaluator_data(run, balance=True, keep_unjudged=True, seed=1)
    verdicts = [example.completion for example in balanced.examples]
    assert verdicts.count(" correct") == verdicts.count(" incorrect") == 3
    assert balanced.counts.balanced_away == 1
    assert set(balanced.examples) < set(unbalanced.examples)
    again = build_evaluator_data(run, balance=True, keep_unjudged=True, seed=1)
    assert again.examples == balanced.examples
    dropped = {tuple(build_evaluator_data(run, keep_unjudged=True, seed=seed).examples) for seed in range(12)}
    assert len(dropped) > 1  # the seed decides which incorrect solution goes


def test_max_per_problem_caps_distinct_solutions(tmp_path):
    data = build_evaluator_data(_graded_run(tmp_path), balance=False, max_per_problem=2)
    assert data.counts.over_per_problem_cap == 2
    assert len(data.examples) == 4


def _with_grades(run: Path, correct: bool) -> Path:
    grades = [json.loads(line) for line in (run / "graded.jsonl").read_text().splitlines()]
    for record in grades:
        record["correct"] = [correct] * len(record["correct"])
    write_jsonl(run / "graded.jsonl", grades)
    return run


@pytest.mark.parametrize("balance", [True, False])
def test_evaluator_data_of_one_class_is_refused_with_the_counts(tmp_path, balance):
    run = _with_grades(_graded_run(tmp_path), correct=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clear error, no warning on the side
        with pytest.raises(InputError, match=r"0 correct and 6 incorrect solutions \(of 8 samples: 1 "
                                             r"without a gradable answer left out, 1 duplicates\)"):
            build_evaluator_data(run, balance=balance)
    all_right = _with_grades(run, correct=True)
    with pytest.raises(InputError, match="6 correct and 0 incorrect.*keep_unjudged: true"):
        build_evaluator_data(all_right, balance=balance)
    # one sample that could not be graded, kept as incorrect: the other class is there
    assert build_evaluator_data(all_right, balance=balance, keep_unjudged=True).counts.incorrect == 1


def test_evaluator_data_of_a_single_solution_is_refused(tmp_path):
    write_jsonl(tmp_path / "samples.jsonl", [{"problem_id": "p", "task": "math", "question": "1+1?", "reference": "2",
                                              "meta": {}, "samples": [{"text": "\\boxed{2}"}]}])
    write_jsonl(tmp_path / "graded.jsonl", [{"problem_id": "p", "answers": ["2"], "clusters": [0], "correct": [True],
                                             "reasons": ["ok"]}])
    with pytest.raises(InputError, match="1 correct and 0 incorrect"):
        evaluator_examples(tmp_path, balance=False)


def test_ungraded_run_is_a_clear_error(tmp_path):
    run = _graded_run(tmp_path)
    (run / "graded.jsonl").unlink()
    with pytest.raises(InputError, match="not graded yet"):
        evaluator_examples(run)


def test_pairs_join_correct_and_incorrect_solutions_of_one_problem(tmp_path):
    run = _graded_run(tmp_path)
    template = EvaluatorTemplate()
    pairs = evaluator_pair_examples(run, seed=3)
    p1_good = {template.prompt("What is {x} + 1 when x = 1?", "1 + 1 = \\boxed{2}")}
    p1_bad = {template.prompt("What is {x} + 1 when x = 1?", text) for text in ("It is \\boxed{3}", "It is \\boxed{4}")}
    p2_good = {template.prompt("Compute 3*3.", text) for text in ("\\boxed{9}", "3*3 = \\boxed{9}")}
    p2_bad = {template.prompt("Compute 3*3.", "\\boxed{6}")}
    assert len(pairs) == 4  # max(1, 2) pairs for p1, max(2, 1) for p2
    for pair in pairs:
        assert pair.completion == " correct"
        assert (pair.prompt in p1_good and pair.rejected_prompt in p1_bad) or \
               (pair.prompt in p2_good and pair.rejected_prompt in p2_bad)
    assert {pair.rejected_prompt for pair in pairs} == p1_bad | p2_bad
    assert len(evaluator_pair_examples(run, max_pairs_per_problem=1)) == 2


def test_all_pairing_takes_every_combination_and_a_seeded_cap(tmp_path):
    run = _graded_run(tmp_path)
    pairs = evaluator_pair_examples(run, pairing="all", seed=3)
    combos = [(pair.prompt, pair.rejected_prompt) for pair in pairs]
    assert len(combos) == len(set(combos)) == 4  # 1 x 2 for p1 (its two texts "...{2}" are one), 2 x 1 for p2
    capped = evaluator_pair_examples(run, pairing="all", max_pairs_per_problem=1, seed=3)
    assert len(capped) == 2 and set((pair.prompt, pair.rejected_prompt) for pair in capped) <= set(combos)
    assert capped == evaluator_pair_examples(run, pairing="all", max_pairs_per_problem=1, seed=3)
    with pytest.raises(ConfigError, match="pairing must be one of round_robin, all, got 'every'"):
        evaluator_pair_examples(run, pairing="every")


def test_without_deduplication_every_sample_counts_in_singles_and_pairs(tmp_path):
    run = _graded_run(tmp_path)
    kept = build_evaluator_data(run, balance=False, deduplicate=False)
    assert (kept.counts.duplicates, kept.counts.correct, kept.counts.incorrect) == (0, 4, 3)
    assert [item.text for item in kept.solutions][:2] == ["1 + 1 = \\boxed{2}", "1 + 1 = \\boxed{2} "]
    pairs = evaluator_pair_examples(run, pairing="all", deduplicate=False)
    assert len(pairs) == 2 * 2 + 2 * 1  # the often-written right answer of p1 is paired twice as often
    joint = evaluator_joint_examples(run, pairing="all", deduplicate=False)
    assert len(joint.examples) == 7 + 6 and joint.examples[7:] == pairs


@pytest.mark.parametrize(("objective", "expected"), [
    ("joint", {"pairs": 6, "correct": 4, "incorrect": 3, "duplicates": 0}),
    ("pairwise", {"pairs": 6}),
    ("lm", {"correct": 4, "incorrect": 3, "duplicates": 0}),
])
def test_evaluator_data_config_passes_pairing_and_deduplication_through(tmp_path, objective, expected):
    from evalkit.training.config import EvaluatorStageConfig
    from evalkit.training.sequential import evaluator_data

    run = _graded_run(tmp_path)
    stage = EvaluatorStageConfig.model_validate({"data": {"balance": False, "pairing": "all", "deduplicate": False},
                                                 "training": {"objective": objective}})
    examples, counts = evaluator_data(run, stage)
    assert {name: counts[name] for name in expected} == expected
    assert len(examples) == {"joint": 13, "pairwise": 6, "lm": 7}[objective]


def test_config_pairings_are_the_data_builders(tmp_path):
    import typing

    from evalkit.training.config import EvaluatorDataConfig
    from evalkit.training.data import PAIRINGS

    assert typing.get_args(EvaluatorDataConfig.model_fields["pairing"].annotation) == PAIRINGS
    with pytest.raises(ValueError, match="pairing"):
        EvaluatorDataConfig.model_validate({"pairing": "every"})


def test_all_pairing_cap_is_a_seeded_random_subset(tmp_path):
    run = _graded_run(tmp_path)
    chosen = {tuple((pair.prompt, pair.rejected_prompt) for pair in
                    evaluator_pair_examples(run, pairing="all", max_pairs_per_problem=1, seed=seed))
              for seed in range(12)}
    assert len(chosen) > 1  # not always the first combinations


def test_joint_caps_singles_not_pairs(tmp_path):
    run = _graded_run(tmp_path)
    joint = evaluator_joint_examples(run, max_per_problem=2, seed=2, pairing="all")
    assert len(joint.solutions) == 4 and joint.counts.over_per_problem_cap == 2
    assert joint.examples[4:] == evaluator_pair_examples(run, seed=2, pairing="all") and len(joint.examples) == 8


def test_joint_examples_are_every_verdict_then_the_pairs_each_naming_the_other_verdict(tmp_path):
    run = _graded_run(tmp_path)
    joint = evaluator_joint_examples(run, seed=3, max_pairs_per_problem=1)
    singles = build_evaluator_data(run, balance=False, seed=3).examples
    pairs = evaluator_pair_examples(run, seed=3, max_pairs_per_problem=1)
    assert [(example.prompt, example.completion) for example in joint.examples[:6]] == \
        [(example.prompt, example.completion) for example in singles]
    assert all(example.rejected_prompt is None for example in joint.examples[:6])
    assert [example.alternative for example in joint.examples[:6]] == \
        [" incorrect" if example.completion == " correct" else " correct" for example in singles]
    assert joint.examples[6:] == pairs and len(pairs) == 2
    assert (joint.counts.correct, joint.counts.incorrect) == (3, 3) and len(joint.solutions) == 6
    balanced = evaluator_joint_examples(run, balance=True, seed=3)
    assert len(balanced.solutions) == 6 and balanced.counts.balanced_away == 0


# --- configs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["ssft", "evaluator", "sequential"])
def test_example_configs_are_valid(kind):
    config = load_train_config(kind, REPO / "configs" / f"train-{kind}.yaml")
    assert config.model and config.out


def test_unknown_task_or_prompt_in_a_training_config_names_file_and_field_before_any_stage(tmp_path):
    # before: "unknown task 'nope'" without file or field, printed after stage 1's header
    path = tmp_path / "seq.yaml"
    path.write_text("model: m\nproblems: {task: nope, prompt: r1}\n")
    with pytest.raises(ConfigError) as caught:
        load_train_config("ssft", path)
    lines = str(caught.value).splitlines()
    assert any("seq.yaml: field 'problems.task': unknown task 'nope'; known tasks:" in line for line in lines)
    assert any("seq.yaml: field 'problems.prompt': unknown prompt format 'r1'" in line for line in lines)


def test_a_lora_adapter_on_lm_head_is_refused_for_the_lm_objective_when_the_config_is_read():
    # before: only when that stage started (in train sequential, after stage 1 had trained and stage 2 sampled)
    with pytest.raises(ConfigError, match=r"x.yaml: field 'ssft_again.lora': 'lm_head' \(the output layer\)"):
        parse_train_config("sequential", {"model": "m", "problems": {"task": "math"},
                                          "ssft_again": {"lora": {"target_modules": ["q_proj", "lm_head"]}}}, source="x.yaml")
    parse_train_config("evaluator", {"model": "m", "problems": {"task": "math"}, "evaluator": {"training": {
        "objective": "margin", "lora": {"target_modules": ["lm_head"]}}}})  # our pair trainer: no such limit


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match=r"x.yaml: field 'training.batch_size'"):
        parse_train_config("ssft", {"model": "m", "problems": {"task": "math"}, "training": {"batch_size": 0}},
                           source="x.yaml")
    with pytest.raises(ConfigError, match=r"field 'training.lr': unknown field"):
        parse_train_config("ssft", {"model": "m", "problems": {"task": "math"}, "training": {"lr": 1}})
    with pytest.raises(ConfigError, match=r"field 'problems'"):
        parse_train_config("ssft", {"model": "m", "problems": {}})
    with pytest.raises(ConfigError, match=r"field 'evaluator.training.objective'"):
        parse_train_config("evaluator", {"model": "m", "problems": {"task": "math"},
                                         "evaluator": {"training": {"objective": "hinge"}}})


def test_training_config_becomes_settings():
    config = parse_train_config("ssft", {"model": "m", "problems": {"task": "math"}, "training": {
        "max_steps": 5, "lora": {"r": 4, "target_modules": ["q_proj"]}}})
    settings = config.training.to_settings()
    assert settings.max_steps == 5
    assert settings.lora == LoraSettings(r=4, alpha=32, dropout=0.05, target_modules=("q_proj",))
    evaluator = parse_train_config("evaluator", {"model": "m", "problems": {"task": "math"}})
    assert evaluator.evaluator.training.to_settings().append_eos is False


def test_a_two_way_evaluator_learns_both_ways_from_references_and_the_right_samples_only(tmp_path):
    from evalkit.training.config import EvaluatorStageConfig, ProblemsConfig
    from evalkit.training.sequential import evaluator_data

    run = _graded_run(tmp_path)
    synthetic = tmp_path / "synthetic.jsonl"
    write_jsonl(synthetic, [{"problem": "Compute 2*2.", "solution": "2*2 = \\boxed{4}", "answer": "4"}])
    problems = ProblemsConfig.model_validate({"synthetic": [str(synthetic)]})
    stage = EvaluatorStageConfig.model_validate({"kind": "two_way", "training": {"objective": "lm"}})
    examples, counts = evaluator_data(run, stage, problems)
    # one reference, then the distinct right samples (p1 once: its two texts differ only by a space; p2 twice)
    assert counts == {"references": 1, "own_right": 3, "own_wrong_unused": 3, "examples": 8}
    assert [(example.prompt, example.completion) for example in examples[:2]] == [
        ("Problem:\nCompute 2*2.\n\nSolution:", " 2*2 = \\boxed{4}"),
        ("Solution:\n2*2 = \\boxed{4}\n\nProblem:", " Compute 2*2."),
    ]
    assert not any("boxed{3}" in example.prompt + example.completion for example in examples)
    with pytest.raises(ConfigError, match="reference solutions"):
        evaluator_data(run, stage)


def test_a_two_way_evaluator_without_a_right_solution_is_one_clear_error(tmp_path, monkeypatch):
    from evalkit.training import sequential
    from evalkit.training.config import EvaluatorStageConfig, ProblemsConfig

    run = _with_grades(_graded_run(tmp_path), False)
    monkeypatch.setattr(sequential, "load_training_problems", lambda problems: [
        Problem(id="p1", task="math", question="What is 1 + 1?", reference="2")])  # no reference solution
    stage = EvaluatorStageConfig.model_validate({"kind": "two_way"})
    with pytest.raises(InputError, match="nothing to learn from"):
        sequential.evaluator_data(run, stage, ProblemsConfig.model_validate({"task": "math"}))


def test_a_two_way_evaluator_with_a_pair_objective_is_refused():
    from evalkit.training.config import EvaluatorStageConfig

    with pytest.raises(ValueError, match="two_way trains with the lm objective"):
        EvaluatorStageConfig.model_validate({"kind": "two_way", "training": {"objective": "joint"}})
