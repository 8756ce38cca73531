"""Tasks: registry, data loading (local fixtures, real shared data, hub mapping), filters, prompts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import tasks
from evalkit.errors import ConfigError, InputError
from evalkit.grading.extract import extract_answer
from evalkit.grading.policy import GradingPolicy
from evalkit.records import Problem
from tasks import filter_problems, get_prompt_format, get_task, list_prompt_formats, list_tasks
from tasks.data import DATA_DIR_ENV, hub_source_for, parse_hub_spec, problems_from_dataset, resolve_data_dir
from tasks.registry import HubSource, Task, build_registry

FIXTURE_DATA = Path(__file__).resolve().parent / "fixtures" / "tasks_data"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_shared_data = pytest.mark.skipif(not (SHARED_DATA / "math" / "test.jsonl").is_file(),
                                       reason="shared/data is not present")


def write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


# --- registry ---------------------------------------------------------------------------------

def test_registry_lists_the_benchmarks_with_their_grading_styles():
    assert list_tasks() == ["aime24", "aime25", "amc23", "arith", "gsm8k", "math", "math500", "minerva_math",
                            "olympiadbench"]
    assert get_task("math").answer_style == "auto" and get_task("math").grading == GradingPolicy()
    assert get_task("math500").answer_style == "auto"
    assert get_task("gsm8k").answer_style == "gsm8k"
    for name in list_tasks():
        assert get_task(name).default_prompt_format in list_prompt_formats()


def test_unknown_task_names_the_known_ones():
    with pytest.raises(ConfigError, match="known tasks: aime24, aime25, amc23, arith, gsm8k, math, math500, "):
        get_task("mathh")


def test_duplicate_task_names_are_refused():
    task = get_task("gsm8k")
    with pytest.raises(ValueError, match="two tasks"):
        build_registry(task, task)


def test_unknown_split_is_an_input_error():
    with pytest.raises(InputError, match="no split 'validation'"):
        get_task("math500").load("validation", data_dir=FIXTURE_DATA)


# --- loading the fixtures ---------------------------------------------------------------------

def test_math_test_uses_unique_id_last_boxed_and_meta():
    problems = get_task("math").load("test", data_dir=FIXTURE_DATA)
    assert [p.id for p in problems] == ["test/prealgebra/11.json", "test/algebra/20.json",
                                        "test/counting_and_probability/7.json", "test/precalculus/24348.json"]
    assert [p.reference for p in problems] == ["5", "\\frac{3}{4}", "6", "\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}"]
    assert problems[2].meta == {"subject": "Counting & Probability", "level": 3}
    assert all(p.task == "math" and p.solution for p in problems)
    assert problems[0].question == "What is $2+3$?"


def test_math_train_level_question_mark_is_none():
    problems = get_task("math").load("train", data_dir=FIXTURE_DATA)
    assert [p.meta["level"] for p in problems] == [1, None]


def test_math500_takes_the_given_answer_and_int_level():
    problems = get_task("math500").load(data_dir=FIXTURE_DATA)
    assert [p.id for p in problems] == ["test/algebra/20.json", "test/precalculus/24348.json"]
    assert problems[0].reference == "\\frac{3}{4}"
    assert problems[1].meta == {"subject": "Precalculus", "level": 5}
    assert all(p.task == "math500" for p in problems)


def test_gsm8k_ids_references_and_solutions():
    problems = get_task("gsm8k").load("test", data_dir=FIXTURE_DATA)
    assert [p.id for p in problems] == ["gsm8k/test/0", "gsm8k/test/1", "gsm8k/test/2"]
    assert [p.reference for p in problems] == ["12", "1234", "-5"]
    assert problems[0].solution == "She has 3*4=12 pears.\n#### 12"
    assert "<<" not in problems[1].solution and problems[1].solution.endswith("#### 1,234")
    train = get_task("gsm8k").load("train", data_dir=FIXTURE_DATA)
    assert train[0].id == "gsm8k/train/0"


def test_data_dir_from_environment_then_cwd(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(FIXTURE_DATA))
    assert len(get_task("gsm8k").load()) == 3
    monkeypatch.delenv(DATA_DIR_ENV)
    monkeypatch.chdir(tmp_path)
    assert resolve_data_dir() == tmp_path / "data"
    (tmp_path / "data").symlink_to(FIXTURE_DATA)
    assert len(get_task("math500").load()) == 2


def test_missing_file_says_what_was_expected_and_how_to_fix(tmp_path):
    with pytest.raises(InputError) as caught:
        get_task("math").load("train", data_dir=tmp_path)  # train splits do not ship with the package
    message = str(caught.value)
    assert "math/train.jsonl" in message and "--data-dir" in message and DATA_DIR_ENV in message


# --- bad records ------------------------------------------------------------------------------

GOOD_MATH = {"problem": "p", "solution": "\\boxed{1}", "level": "Level 1", "type": "Algebra", "unique_id": "test/a/1.json"}


@pytest.mark.parametrize("change, field, message", [
    ({"problem": None}, "problem", "expected a string"),
    ({"unique_id": 17}, "unique_id", "expected a string"),
    ({"level": "hard"}, "level", "Level N"),
    ({"solution": "no box here"}, "solution", "boxed"),
])
def test_bad_math_record_names_file_line_and_field(tmp_path, change, field, message):
    bad = {**GOOD_MATH, **change, "unique_id": change.get("unique_id", "test/a/2.json")}
    write_lines(tmp_path / "math" / "test.jsonl", [json.dumps(GOOD_MATH), json.dumps(bad)])
    with pytest.raises(InputError, match=message) as caught:
        get_task("math").load("test", data_dir=tmp_path)
    assert caught.value.line == 2 and caught.value.field == field
    assert str(caught.value.path).endswith("test.jsonl")


def test_missing_field_and_bad_json_and_duplicates(tmp_path):
    record = dict(GOOD_MATH)
    del record["type"]
    write_lines(tmp_path / "math" / "test.jsonl", [json.dumps(record)])
    with pytest.raises(InputError, match="missing field") as caught:
        get_task("math").load("test", data_dir=tmp_path)
    assert (caught.value.line, caught.value.field) == (1, "type")

    write_lines(tmp_path / "math" / "test.jsonl", [json.dumps(GOOD_MATH), "{not json"])
    with pytest.raises(InputError, match=":2: not valid JSON"):
        get_task("math").load("test", data_dir=tmp_path)

    write_lines(tmp_path / "math" / "test.jsonl", [json.dumps(GOOD_MATH)] * 2)
    with pytest.raises(InputError, match="duplicate problem id"):
        get_task("math").load("test", data_dir=tmp_path)


def test_an_empty_data_file_is_refused_by_name(tmp_path):
    # before: an empty train file gave "the problem selection is empty" without naming it, and
    # `evalkit run` created a run directory and then failed on "graded.jsonl: no graded problems"
    write_lines(tmp_path / "math" / "train.jsonl", ["", "  "])
    with pytest.raises(InputError, match=r"math[/\\]train\.jsonl: no records: the math train file is empty"):
        get_task("math").load("train", data_dir=tmp_path)


def test_gsm8k_answer_without_final_line(tmp_path):
    write_lines(tmp_path / "gsm8k" / "test.jsonl", [json.dumps({"question": "q", "answer": "just 4"})])
    with pytest.raises(InputError, match="####") as caught:
        get_task("gsm8k").load("test", data_dir=tmp_path)
    assert caught.value.field == "answer"


def test_empty_box_gives_empty_reference_not_an_error(tmp_path):
    write_lines(tmp_path / "math" / "train.jsonl", [json.dumps({**GOOD_MATH, "solution": "there are $\\boxed{}$"})])
    assert get_task("math").load("train", data_dir=tmp_path)[0].reference == ""


# --- hub mapping (exercised on local datasets.Dataset objects; the hub is unreachable here) -----

def test_hub_rows_map_columns_and_synthesize_missing_ids():
    datasets = pytest.importorskip("datasets")
    rows = datasets.Dataset.from_list([
        {"problem": "What is $1+1$?", "solution": "$\\boxed{2}$", "level": "Level 1", "type": "Algebra"},
        {"problem": "What is $2+2$?", "solution": "$\\boxed{4}$", "level": "Level 2", "type": "Algebra"},
    ])
    hub = get_task("math").hub
    problems = problems_from_dataset(get_task("math"), rows, hub, split="test", config="algebra")
    assert [p.id for p in problems] == ["hf:test/algebra/0", "hf:test/algebra/1"]
    assert [p.reference for p in problems] == ["2", "4"]
    assert problems[1].meta == {"subject": "Algebra", "level": 2}


def test_hub_field_map_renames_columns():
    datasets = pytest.importorskip("datasets")
    rows = datasets.Dataset.from_list([{"query": "Q?", "full_answer": "3+4=<<3+4=7>>7\n#### 7"}])
    hub = HubSource(dataset="someone/gsm8k-copy", field_map={"question": "query", "answer": "full_answer"})
    problems = problems_from_dataset(get_task("gsm8k"), rows, hub, split="test")
    assert (problems[0].id, problems[0].question, problems[0].reference) == ("gsm8k/test/0", "Q?", "7")


def test_bad_hub_row_is_reported_with_dataset_and_row():
    datasets = pytest.importorskip("datasets")
    rows = datasets.Dataset.from_list([{"question": "q", "answer": "#### 1"}, {"question": "q", "answer": "none"}])
    with pytest.raises(InputError) as caught:
        problems_from_dataset(get_task("gsm8k"), rows, get_task("gsm8k").hub, split="test", config="main")
    assert "hf:openai/gsm8k:main:2" in str(caught.value)


def test_load_from_hub_walks_configs_and_wraps_failures(monkeypatch):
    """`Task.load(source="hf")` end to end, with `datasets.load_dataset` answered from memory."""
    datasets = pytest.importorskip("datasets")
    calls = []

    def fake_load_dataset(name, config, split):
        calls.append((name, config, split))
        if config == "geometry":
            raise ConnectionError("hub unreachable")
        return datasets.Dataset.from_list([
            {"problem": f"{config} problem", "solution": "\\boxed{1}", "answer": "1", "level": 1,
             "type": str(config), "subject": str(config)}])

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    with pytest.raises(InputError, match="hf:EleutherAI/hendrycks_math:geometry: could not load split 'test'.*unreachable"):
        get_task("math").load("test", source="hf")
    assert calls[:3] == [("EleutherAI/hendrycks_math", "algebra", "test"),
                         ("EleutherAI/hendrycks_math", "counting_and_probability", "test"),
                         ("EleutherAI/hendrycks_math", "geometry", "test")]
    problems = get_task("math500").load("test", source="hf:someone/math500-copy")
    assert [p.id for p in problems] == ["hf:test/0"] and problems[0].question == "None problem"


def test_hub_specs():
    assert parse_hub_spec("hf:openai/gsm8k:main") == ("openai/gsm8k", "main")
    assert parse_hub_spec("hf:HuggingFaceH4/MATH-500") == ("HuggingFaceH4/MATH-500", None)
    with pytest.raises(ConfigError, match="hf:NAME"):
        parse_hub_spec("openai/gsm8k")
    assert hub_source_for(get_task("math500"), "hf").dataset == "HuggingFaceH4/MATH-500"
    other = hub_source_for(get_task("math"), "hf:someone/math:all")
    assert (other.dataset, other.configs, other.id_field) == ("someone/math", ("all",), "unique_id")


# --- filters ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def math_problems() -> list[Problem]:
    return get_task("math").load("test", data_dir=FIXTURE_DATA)


def test_filter_by_subject_any_spelling_and_level(math_problems):
    picked = filter_problems(math_problems, subjects=["counting_and_probability", "ALGEBRA"])
    assert [p.id for p in picked] == ["test/algebra/20.json", "test/counting_and_probability/7.json"]
    assert [p.id for p in filter_problems(math_problems, levels=[1, 5])] == [
        "test/prealgebra/11.json", "test/precalculus/24348.json"]
    assert filter_problems(math_problems, subjects=["Algebra"], levels=[2])[0].id == "test/algebra/20.json"


def test_filter_ids_keep_file_order_and_limit_comes_last(math_problems):
    picked = filter_problems(math_problems, ids=["test/precalculus/24348.json", "test/prealgebra/11.json"])
    assert [p.id for p in picked] == ["test/prealgebra/11.json", "test/precalculus/24348.json"]
    assert [p.id for p in filter_problems(math_problems, levels=[2, 3, 5], limit=2)] == [
        "test/algebra/20.json", "test/counting_and_probability/7.json"]
    assert filter_problems(math_problems) == math_problems
    assert filter_problems(math_problems, subjects=[], ids=[]) == math_problems
    assert [p.id for p in filter_problems(math_problems, ids="test/algebra/20.json")] == ["test/algebra/20.json"]


def test_filter_errors_are_clear(math_problems):
    with pytest.raises(InputError, match="unknown problem id.*'nope'"):
        filter_problems(math_problems, ids=["test/algebra/20.json", "nope"])
    with pytest.raises(InputError, match="unknown subject.*available: Algebra"):
        filter_problems(math_problems, subjects=["Geometry"])
    with pytest.raises(InputError, match="level"):
        filter_problems(math_problems, levels=[4])
    with pytest.raises(InputError, match="limit"):
        filter_problems(math_problems, limit=0)
    gsm = get_task("gsm8k").load("test", data_dir=FIXTURE_DATA)
    with pytest.raises(InputError, match="no subjects"):
        filter_problems(gsm, subjects=["Algebra"])


# --- prompts ----------------------------------------------------------------------------------

SAMPLE_PROBLEM = Problem(id="x", task="math", question="What is $\\sqrt{81}$ plus 1?", reference="10")


def test_every_format_contains_the_question():
    assert list_prompt_formats() == ["chat", "chat_cot", "gsm8k_cot", "minerva", "reasoning", "zero_shot_cot"]
    for name in list_prompt_formats():
        prompt = get_prompt_format(name)(SAMPLE_PROBLEM)
        text = prompt if isinstance(prompt, str) else "\n".join(m["content"] for m in prompt)
        assert SAMPLE_PROBLEM.question in text


def test_zero_shot_and_chat_ask_for_a_boxed_answer():
    text = get_prompt_format("zero_shot_cot")(SAMPLE_PROBLEM)
    assert isinstance(text, str) and "\\boxed{}" in text and "step by step" in text
    assert text.endswith("Solution:")
    messages = get_prompt_format("chat")(SAMPLE_PROBLEM)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "\\boxed{}" in messages[-1]["content"]


def test_minerva_prompt_layout_and_stop_strings():
    fmt = get_prompt_format("minerva")
    prompt = fmt(SAMPLE_PROBLEM)
    assert len(fmt.exemplars) == 4 and prompt.count("Problem:\n") == 5
    assert prompt.endswith(f"Problem:\n{SAMPLE_PROBLEM.question}\n\nSolution:")
    assert prompt.count("I hope it is correct.") == 4
    assert "\n\nProblem:" in fmt.stop


def test_gsm8k_prompt_layout_and_stop_strings():
    fmt = get_prompt_format("gsm8k_cot")
    prompt = fmt(SAMPLE_PROBLEM)
    assert len(fmt.exemplars) == 8 and prompt.count("Q: ") == 9
    assert prompt.endswith(f"Q: {SAMPLE_PROBLEM.question}\nA:")
    assert "\n\nQ:" in fmt.stop


def test_exemplar_answers_are_recovered_by_the_grading_extractor():
    """Each exemplar's text, cut at the format's stop strings, yields its answer: models copy the layout."""
    for name, style in (("minerva", "auto"), ("gsm8k_cot", "gsm8k")):
        fmt = get_prompt_format(name)
        prompt = fmt(SAMPLE_PROBLEM)
        for example in fmt.exemplars:
            start = prompt.index(example.question) + len(example.question)
            completion = prompt[start:].split("\n\nProblem:")[0].split("\n\nQ:")[0]
            assert extract_answer(completion, style) == example.answer, (name, example.answer)


def test_unknown_prompt_format_lists_the_names():
    with pytest.raises(ConfigError, match="chat, chat_cot, gsm8k_cot, minerva, reasoning, zero_shot_cot"):
        get_prompt_format("fewshot")


def test_prompt_formats_are_pure():
    fmt = get_prompt_format("minerva")
    assert fmt(SAMPLE_PROBLEM) == fmt(SAMPLE_PROBLEM)
    assert isinstance(tasks.TASKS["math"], Task)


# --- the real data --------------------------------------------------------------------------

@needs_shared_data
@pytest.mark.parametrize("name, split, count", [
    ("math", "test", 5000), ("math", "train", 7500), ("math500", "test", 500),
    ("gsm8k", "test", 1319), ("gsm8k", "train", 7473),
])
def test_real_data_counts(name, split, count):
    problems = get_task(name).load(split, data_dir=SHARED_DATA)
    assert len(problems) == count
    assert len({p.id for p in problems}) == count
    if name != "gsm8k":
        assert all("subject" in p.meta and "level" in p.meta for p in problems)
        assert all(isinstance(p.meta["level"], int) for p in problems if split == "test")
    else:
        assert all(p.reference.lstrip("-").isdigit() for p in problems)


@needs_shared_data
def test_real_math500_ids_and_answers_agree_with_math_test():
    full = {p.id: p for p in get_task("math").load("test", data_dir=SHARED_DATA)}
    subset = get_task("math500").load(data_dir=SHARED_DATA)
    assert all(p.id in full for p in subset)
    assert all(p.reference == full[p.id].reference and p.meta == full[p.id].meta for p in subset)


@needs_shared_data
def test_real_gsm8k_thousands_commas_are_stripped():
    problems = get_task("gsm8k").load("test", data_dir=SHARED_DATA)
    with_commas = [p for p in problems if "," in p.solution.rsplit("####", 1)[1]]
    assert len(with_commas) == 14
    assert all("," not in p.reference for p in problems)


def test_grading_policy_rejects_bad_fields_with_their_names():
    with pytest.raises(ValueError, match="extraction"):
        GradingPolicy(extraction="regex")
    with pytest.raises(ValueError, match="relative_tolerance"):
        GradingPolicy(relative_tolerance=float("nan"))
    with pytest.raises(ValueError, match="unknown field 'tolerance'"):
        GradingPolicy.from_dict({"tolerance": 0.1})
    policy = GradingPolicy(extraction="gsm8k", relative_tolerance=0.01)
    assert GradingPolicy.from_dict(policy.to_dict()) == policy
    assert get_task("gsm8k").grading.extraction == "gsm8k"


def test_a_data_directory_that_does_not_exist_is_an_error_not_the_shipped_copy(tmp_path, monkeypatch):
    from tasks.data import data_file

    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    with pytest.raises(InputError, match="does not exist.*--data-dir"):
        data_file("aime24/test.jsonl", tmp_path / "mistyped")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "mistyped"))
    with pytest.raises(InputError, match=DATA_DIR_ENV):
        data_file("aime24/test.jsonl")
    (tmp_path / "empty").mkdir()  # an existing folder without the file: the shipped test set
    assert data_file("aime24/test.jsonl", tmp_path / "empty").name == "test.jsonl"


def test_a_math_reference_is_every_boxed_answer_when_the_question_asks_for_all():
    # test/algebra/1878 boxes both solutions; its reference was the last box, `1`, and the right
    # answer `-2, 1` was graded wrong
    from tasks.math import parse_math_record
    from tasks.registry import RecordSource

    def reference(problem: str, solution: str) -> str:
        record = {"problem": problem, "solution": solution, "level": "Level 3", "type": "Algebra",
                  "unique_id": "test/algebra/1.json"}
        return parse_math_record(record, RecordSource("math/test.jsonl", 1, 0, "test")).reference

    both = "Factoring, the solutions are $\\boxed{-2}$ and $\\boxed{1}$."
    assert reference("Solve $x^2+x=2$. Enter all the solutions, separated by commas.", both) == "-2, 1"
    assert reference("Find all possible values of $x$.", both) == "-2, 1"
    assert reference("Find the larger root.", both) == "1"  # an intermediate box before the answer
    assert reference("Enter only one of the foci, not both. Enter all of it as an ordered pair.",
                     "The foci are $\\boxed{(10,0)}$ and $\\boxed{(0,0)}$.") == "(0,0)"
    assert reference("Simplify $(5x+3) - 2(2x-4)$.", "$\\boxed{x+11}$, or $\\boxed{11+x}$.") == "11+x"
    # one box per case, each in its own paragraph (test/intermediate_algebra/2089, precalculus/1233)
    cases = ("If $r = 1,$ then $b = \\boxed{-10879}.$\n\nIf $r = -1,$ then $b = \\boxed{10879}.$")
    assert reference("Enter all the possible values of $b,$ separated by commas.", cases) == "-10879, 10879"
    assert reference("What is $b$ when $r = -1$?", cases) == "10879"
    # the same value boxed twice in two spellings is one value
    assert reference("Find all values of $x$.", "So $x = \\boxed{10\\sqrt{2}}$, that is $\\boxed{10\\sqrt 2}$.") == "10\\sqrt 2"
