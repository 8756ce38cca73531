"""The competition and STEM tasks (AIME 2024/2025, AMC 2023, Minerva Math, OlympiadBench) and the
test sets shipped inside the package: loading with no data directory, references, meta, bad records,
prompt formats, grading policies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from evalkit.errors import InputError
from evalkit.grading.policy import GradingPolicy
from tasks import get_prompt_format, get_task, list_tasks
from tasks.olympiadbench import clean_final_answer
from tasks.shipped import SHIPPED_DIR, shipped_files, shipped_path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NEW_TASKS = ("aime24", "aime25", "amc23", "minerva_math", "olympiadbench")
SIZES = {"aime24": 30, "aime25": 30, "amc23": 40, "minerva_math": 272, "olympiadbench": 675,
         "math": 5000, "math500": 500, "gsm8k": 1319}


def write_lines(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


# --- shipped test sets ------------------------------------------------------------------------

def test_every_benchmark_test_set_ships_with_its_manifest():
    files = shipped_files()
    assert {entry.task for entry in files.values()} == set(SIZES)
    for relative, entry in files.items():
        assert entry.split == "test" and get_task(entry.task).file_for("test") == relative
        data = entry.path.read_bytes()
        assert len(data) == entry.bytes and hashlib.sha256(data).hexdigest() == entry.sha256
        assert data.count(b"\n") == entry.records == SIZES[entry.task]
        assert entry.source and entry.license


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared/data is not present")
def test_shipped_files_are_byte_copies_of_shared_data():
    for relative, entry in shipped_files().items():
        assert entry.path.read_bytes() == (SHARED_DATA / relative).read_bytes(), relative


@pytest.mark.parametrize("name", sorted(SIZES))
def test_test_sets_load_with_no_data_directory(name, tmp_path, monkeypatch):
    monkeypatch.delenv("EVALKIT_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./data here
    problems = get_task(name).load("test")
    assert len(problems) == SIZES[name] and len({p.id for p in problems}) == SIZES[name]
    assert all(p.task == name and p.question.strip() and p.reference.strip() for p in problems)


def test_a_data_directory_still_wins_over_the_shipped_copy(tmp_path):
    write_lines(tmp_path / "aime24" / "test.jsonl",
                [{"id": 1, "problem": "What is 2+2?", "solution": "$\\boxed{4}$", "answer": "4"}])
    problems = get_task("aime24").load("test", data_dir=tmp_path)
    assert [(p.id, p.reference) for p in problems] == [("1", "4")]


def test_a_damaged_shipped_copy_is_refused(tmp_path, monkeypatch):
    import tasks.shipped as shipped

    copy = tmp_path / "testsets"
    (copy / "amc23").mkdir(parents=True)
    (copy / "manifest.json").write_bytes((SHIPPED_DIR / "manifest.json").read_bytes())
    (copy / "amc23" / "test.jsonl").write_bytes((SHIPPED_DIR / "amc23" / "test.jsonl").read_bytes() + b"\n")
    monkeypatch.setattr(shipped, "SHIPPED_DIR", copy)
    monkeypatch.setattr(shipped, "MANIFEST_FILE", copy / "manifest.json")
    shipped.shipped_files.cache_clear()
    shipped._verified.cache_clear()
    try:
        with pytest.raises(InputError, match="does not match its manifest"):
            shipped_path("amc23/test.jsonl")
        assert shipped_path("amc23/train.jsonl") is None
    finally:
        shipped.shipped_files.cache_clear()
        shipped._verified.cache_clear()


# --- references and meta of the real files --------------------------------------------------

def test_aime24_ids_answers_and_contest():
    problems = get_task("aime24").load()
    assert [p.id for p in problems[:3]] == ["60", "61", "62"]
    assert problems[0].reference == "204" and problems[0].solution
    assert problems[0].meta["subject"] == "AIME I" and problems[0].meta["number"] == 1
    assert {p.meta["subject"] for p in problems} == {"AIME I", "AIME II"}
    assert all(p.reference.isdigit() and 0 <= int(p.reference) <= 999 for p in problems)


def test_aime25_integer_answers_become_text():
    problems = get_task("aime25").load()
    assert [(p.id, p.reference) for p in problems[:2]] == [("0", "70"), ("1", "588")]
    assert all(p.reference.isdigit() for p in problems) and all(p.solution is None for p in problems)


def test_amc23_float_answers_are_written_as_integers():
    problems = get_task("amc23").load()
    assert problems[0].reference == "27"  # stored as 27.0
    assert "-1" in {p.reference for p in problems}
    assert all(p.reference.lstrip("-").isdigit() for p in problems)
    assert {p.meta["subject"] for p in problems} == {"AMC 12A", "AMC 12B"}


def test_minerva_reference_is_the_last_box_and_the_course_is_the_subject():
    problems = get_task("minerva_math").load()
    first = problems[0]
    assert (first.id, first.reference) == ("0", "1.6")
    assert first.meta == {"subject": "Introduction to Astronomy (8.282J Spring 2006)"}
    assert problems[1].reference == "4.5e33"
    assert len({p.meta["subject"] for p in problems}) == 9


def test_olympiadbench_references_meta_and_multiple_answers():
    problems = {p.id: p for p in get_task("olympiadbench").load()}
    assert problems["1618"].reference == "(1,8,19), (2,7,13), (4,5,7)"
    assert problems["1618"].meta["multiple_answers"] is True and problems["1618"].meta["answer_type"] == "Tuple"
    assert problems["1664"].reference == "69,84"
    assert problems["1970"].reference == "(-\\infty, 0) \\cup\\{1\\}"
    assert problems["1606"].meta == {"multiple_answers": False, "subject": "Combinatorics", "answer_type": "Numerical"}
    assert sum(p.meta["multiple_answers"] for p in problems.values()) == 94
    assert sum("unit" in p.meta for p in problems.values()) == 8
    assert [p.meta["tolerance"] for p in problems.values() if "tolerance" in p.meta] == ["1e-1"]
    assert all("$" not in p.reference for p in problems.values())
    assert all(p.solution for p in problems.values())


def test_clean_final_answer():
    assert clean_final_answer("$\\frac{1}{2}$.") == "\\frac{1}{2}"
    assert clean_final_answer("$69$,$84$") == "69,84"
    assert clean_final_answer("1,3,5") == "1,3,5"


# --- bad records ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, record, field, message", [
    ("aime24", {"id": 1, "problem": "p", "solution": "s"}, "answer", "missing field"),
    ("aime24", {"id": True, "problem": "p", "solution": "s", "answer": "1"}, "id", "non-empty string or an integer"),
    ("aime25", {"id": "0", "problem": "p", "answer": None}, "answer", "is null"),
    ("amc23", {"id": 0, "problem": "p", "answer": float("inf")}, "answer", "expected an answer"),
    ("amc23", {"id": 0, "problem": 3, "answer": 1.0}, "problem", "expected a string"),
    ("minerva_math", {"idx": 0, "problem": "p", "solution": "no box", "type": "t"}, "solution", "boxed"),
    ("olympiadbench", {"id": 1, "question": "q", "final_answer": []}, "final_answer", "non-empty list"),
    ("olympiadbench", {"id": 1, "question": "q", "final_answer": ["$$"]}, "final_answer", "empty answer"),
    ("olympiadbench", {"id": 1, "question": "q", "final_answer": ["1"], "is_multiple_answer": "no"},
     "is_multiple_answer", "true or false"),
])
def test_bad_records_name_file_line_and_field(tmp_path, name, record, field, message):
    good = {"aime24": {"id": 9, "problem": "p", "solution": "s", "answer": "1"},
            "aime25": {"id": "9", "problem": "p", "answer": 1},
            "amc23": {"id": 9, "problem": "p", "answer": 1.0},
            "minerva_math": {"idx": 9, "problem": "p", "solution": "\\boxed{1}", "type": "t"},
            "olympiadbench": {"id": 9, "question": "q", "final_answer": ["$1$"]}}[name]
    path = tmp_path / get_task(name).file_for("test")
    path.parent.mkdir(parents=True)
    # json.dumps writes inf as Infinity, which the JSON reader accepts as a float
    path.write_text(json.dumps(good) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        get_task(name).load("test", data_dir=tmp_path)
    assert (caught.value.line, caught.value.field) == (2, field)


def test_olympiadbench_context_is_prepended(tmp_path):
    write_lines(tmp_path / "olympiadbench" / "test.jsonl", [
        {"id": 5, "question": "Find $x$.", "context": "Let $x+1=3$.", "final_answer": ["$2$"],
         "solution": ["$x=2$"], "is_multiple_answer": False, "unit": None, "answer_type": "Numerical",
         "subfield": "Algebra", "error": None}])
    problem = get_task("olympiadbench").load(data_dir=tmp_path)[0]
    assert problem.question == "Let $x+1=3$.\n\nFind $x$." and problem.solution == "$x=2$"


# --- prompts and policies ---------------------------------------------------------------------

def test_new_tasks_default_to_the_reasoning_prompt_and_declare_their_policies():
    for name in NEW_TASKS:
        task = get_task(name)
        assert task.default_prompt_format == "reasoning"
        assert task.grading.extraction == "auto" and task.grading.decimal_comma is False
    assert get_task("minerva_math").grading == GradingPolicy(relative_tolerance=0.01, decimal_references="rounded")
    for name in ("aime24", "aime25", "amc23", "olympiadbench"):
        assert get_task(name).grading.relative_tolerance == 0.0  # exact answers are graded exactly
    assert set(NEW_TASKS) <= set(list_tasks())


def test_model_card_prompts():
    problem = get_task("aime25").load()[0]
    instruction = "Please reason step by step, and put your final answer within \\boxed{}."
    assert get_prompt_format("reasoning")(problem) == [
        {"role": "user", "content": f"{problem.question}\n{instruction}"}]
    assert get_prompt_format("chat_cot")(problem) == [
        {"role": "system", "content": instruction}, {"role": "user", "content": problem.question}]
    assert get_prompt_format("reasoning").stop == () and get_prompt_format("chat_cot").stop == ()


def test_a_data_directory_that_is_missing_or_a_file_is_one_line_saying_which(tmp_path):
    from evalkit.errors import InputError

    with pytest.raises(InputError, match="the data directory .*nowhere does not exist"):
        get_task("aime24").load(data_dir=tmp_path / "nowhere")
    a_file = tmp_path / "data.jsonl"
    a_file.write_text("{}\n")
    with pytest.raises(InputError, match="the data directory .*data.jsonl is a file"):
        get_task("aime24").load(data_dir=a_file)
