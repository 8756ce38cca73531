"""The synthetic `arith` task: deterministic generation, exact answers, disjoint splits, loading."""

from __future__ import annotations

import json
import random

import pytest

import tasks
from evalkit.errors import InputError
from evalkit.grading.extract import extract_answer
from tasks.arith import (
    ArithDifficulty,
    check_equation,
    generate_problem,
    generate_problems,
    parse_question,
    perturbed_solution,
    PERTURBATIONS,
    render_problem,
    solution_equations,
    write_arith_data,
)


def read_lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_same_seed_gives_same_files_and_other_seed_differs(tmp_path):
    first = write_arith_data(tmp_path / "a", train=50, test=20, seed=3)
    second = write_arith_data(tmp_path / "b", train=50, test=20, seed=3)
    other = write_arith_data(tmp_path / "c", train=50, test=20, seed=4)
    for split in ("train", "test"):
        assert first[split].read_bytes() == second[split].read_bytes()
        assert first[split].read_bytes() != other[split].read_bytes()


def recompute_answer(solution: str) -> int:
    """Check every written computation and chain them: each step starts from the previous result."""
    equations = solution_equations(solution)
    assert equations, solution
    for a, op, b, c in equations:
        assert check_equation(a, op, b, c), f"{a} {op} {b} != {c} in {solution!r}"
    return equations[-1][3]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_answers_are_exact_and_follow_from_the_solution_steps(seed):
    difficulty = ArithDifficulty(min_steps=1, max_steps=4)
    for problem in generate_problems(300, seed=seed, difficulty=difficulty):
        assert recompute_answer(problem.solution) == problem.answer
        assert problem.solution.endswith(f"The answer is \\boxed{{{problem.answer}}}.")
        assert difficulty.min_steps <= problem.steps <= difficulty.max_steps
        assert 0 <= problem.answer <= difficulty.max_total


def test_question_numbers_feed_the_first_computation():
    rng = random.Random(5)
    for _ in range(200):
        problem = generate_problem(rng)
        start = int(problem.question.split(" has ")[1].split()[0])
        first = solution_equations(problem.solution)[0]
        # the first line either acts on the starting amount or computes a bag total added to it
        assert first[0] == start or first[1] == "*"


def test_difficulty_knob_sets_steps_and_ranges():
    easy = generate_problems(200, seed=0, difficulty=ArithDifficulty(min_steps=1, max_steps=1, max_total=30))
    hard = generate_problems(200, seed=0, difficulty=ArithDifficulty(min_steps=4, max_steps=4))
    assert {p.steps for p in easy} == {1}
    assert {p.steps for p in hard} == {4}
    assert max(p.answer for p in easy) <= 30
    assert sum(len(solution_equations(p.solution)) for p in hard) > sum(
        len(solution_equations(p.solution)) for p in easy)
    with pytest.raises(ValueError):
        ArithDifficulty(min_steps=3, max_steps=2)


def test_no_test_question_appears_in_train(tmp_path):
    written = write_arith_data(tmp_path, train=400, test=100, seed=0)
    train = [record["question"] for record in read_lines(written["train"])]
    test = [record["question"] for record in read_lines(written["test"])]
    assert len(set(train)) == len(train) and len(set(test)) == len(test)
    assert not set(train) & set(test)


def test_records_have_the_documented_fields(tmp_path):
    written = write_arith_data(tmp_path, train=5, test=5, seed=0)
    record = read_lines(written["test"])[0]
    assert set(record) == {"id", "question", "solution", "answer", "meta"}
    assert record["id"] == "arith/test/0"
    assert record["answer"] == str(recompute_answer(record["solution"]))
    assert isinstance(record["meta"]["steps"], int)


def test_task_loads_through_the_registry(tmp_path):
    write_arith_data(tmp_path, train=30, test=10, seed=0)
    task = tasks.get_task("arith")
    assert "arith" in tasks.list_tasks()
    test = task.load("test", data_dir=tmp_path)
    train = task.load("train", data_dir=tmp_path)
    assert (len(test), len(train)) == (10, 30)
    problem = test[0]
    assert problem.task == "arith" and problem.id == "arith/test/0"
    assert problem.meta["level"] == problem.meta["steps"] >= 1
    assert problem.solution and problem.reference.isdigit()


def test_extractor_recovers_every_reference_answer(tmp_path):
    write_arith_data(tmp_path, train=300, test=100, seed=1)
    task = tasks.get_task("arith")
    for split in ("train", "test"):
        for problem in task.load(split, data_dir=tmp_path):
            assert extract_answer(problem.solution, task.answer_style) == problem.reference


def test_missing_data_says_how_to_generate_it(tmp_path):
    with pytest.raises(InputError) as error:
        tasks.get_task("arith").load("train", data_dir=tmp_path)
    message = str(error.value)
    assert "arith/train.jsonl" in message and "write_arith_data" in message and "evalkit demo" in message
    assert "hub" not in message, "arith has no hub copy"
    with pytest.raises(InputError) as error:  # a data directory that does not exist gets the hint too
        tasks.get_task("arith").load("train", data_dir=tmp_path / "missing")
    assert "does not exist" in str(error.value) and "write_arith_data" in str(error.value)
    with pytest.raises(InputError) as error:  # every other task keeps the general hint
        tasks.get_task("gsm8k").load("train", data_dir=tmp_path)
    assert "data_source: hf" in str(error.value)


def test_bad_record_names_file_line_and_field(tmp_path):
    folder = tmp_path / "arith"
    folder.mkdir()
    good = {"id": "arith/test/0", "question": "q", "solution": "s", "answer": "3", "meta": {"steps": 1}}
    bad = dict(good, id="arith/test/1", answer="three")
    (folder / "test.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        tasks.get_task("arith").load("test", data_dir=tmp_path)
    message = str(error.value)
    assert "test.jsonl" in message and "2" in message and "answer" in message


def test_a_question_parses_back_to_the_script_that_renders_it():
    for problem in generate_problems(300, seed=5, difficulty=ArithDifficulty(min_steps=1, max_steps=4)):
        assert render_problem(parse_question(problem.question)) == problem
    for text in ("", "Ava has 3 apples.", "Ava has 3 apples. Ava sings. How many apples does Ava have now?",
                 "Ava has 3 apples. Ava finds 2 more. How many pears does Ava have now?"):
        with pytest.raises(ValueError):
            parse_question(text)


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_each_perturbation_writes_one_mistake_of_its_kind(kind):
    rng = random.Random(11)
    changed = negative = 0
    for problem in generate_problems(200, seed=6, difficulty=ArithDifficulty(min_steps=2, max_steps=4)):
        script = parse_question(problem.question)
        solution, answer = perturbed_solution(script, kind, rng)
        if "= -" in solution:  # a mistake can take the total below zero; the line pattern reads no signs
            negative += 1
            continue
        equations = solution_equations(solution)
        # a share that no longer divides (after an earlier mistake) is written as the floor
        failing = [(a, op, b, c) for a, op, b, c in equations
                   if not (check_equation(a, op, b, c) or (op == "/" and b and c == a // b))]
        assert solution.endswith(f"The answer is \\boxed{{{answer}}}.") and equations[-1][3] == answer
        if kind == "slip":
            assert len(failing) <= 1  # a slip of -3 below zero is clamped; then it may write no mistake
        else:
            assert not failing, solution  # the arithmetic holds; what was computed is wrong
        if kind == "skip":
            assert len(equations) < len(solution_equations(problem.solution))
        if kind == "repeat":
            assert len(equations) > len(solution_equations(problem.solution))
        changed += solution != problem.solution
        changed_answer = answer != problem.answer
        assert changed_answer or solution != problem.solution or kind in ("slip", "operand")
    assert changed >= 160 and negative <= 30
    with pytest.raises(ValueError, match="one-step"):
        perturbed_solution(parse_question("Ava has 3 apples. Ava finds 2 more. How many apples does Ava have now?"),
                           "skip", rng)
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturbed_solution(script, "typo", rng)
