"""Near-duplicate removal, decontamination against benchmark test sets, and the filter chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.errors import InputError
from evalkit.jsonl import read_jsonl, write_jsonl
from evalkit.synthesis.filters import (
    BenchmarkText,
    ContaminationIndex,
    FilterOutcome,
    apply_consistency,
    benchmark_set,
    benchmark_texts,
    consistency_verdicts,
    decontaminate_file,
    filter_exercises,
    lsh_bands,
    near_duplicates,
    normalized_words,
    stage_distribution,
)

FIXTURE_DATA = Path(__file__).resolve().parent / "fixtures" / "tasks_data"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

FRESH = [
    "A baker fills 14 trays with 9 rolls on each tray and sells 37 rolls before noon. How many rolls remain?",
    "Find every real number t such that the cube of t minus twice t equals zero, and give their sum.",
]


def test_normalisation_ignores_case_punctuation_and_latex():
    assert normalized_words("What IS  $\\frac{6}{8}$?\n") == ["what", "is", "frac", "6", "8"]


def test_near_duplicates_keep_the_first_and_drop_rewordings():
    base = "Lena has 24 stickers and gives a third of them to her brother and half of the rest to her cousin."
    texts = [
        base,
        base.upper() + "!!",  # same words, different case and punctuation
        "A circle has radius 5. What is its area in terms of pi, and what is its circumference?",
        base.replace("cousin.", "cousin Maya."),  # one extra word at the end
        "Completely different: how many primes are below 30?",
    ]
    decisions = near_duplicates(texts, threshold=0.8, shingle_words=3, num_perm=64)
    assert [d.duplicate_of for d in decisions] == [None, 0, None, 0, None]


def test_near_duplicates_are_deterministic_and_respect_threshold():
    a = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    b = "alpha beta gamma delta epsilon zeta eta theta iota lambda"  # 0.8 on 2-word shingles, 0.82 on words
    strict = near_duplicates([a, b], threshold=0.95, shingle_words=3)
    loose = near_duplicates([a, b], threshold=0.6, shingle_words=3)
    assert strict[1].duplicate_of is None and loose[1].duplicate_of == 0
    assert near_duplicates([a, b], threshold=0.6, shingle_words=3) == loose


def test_index_matches_long_ngrams_and_short_problems():
    index = ContaminationIndex([
        BenchmarkText("gsm8k", "g1", "Janet has 16 ducks that lay eggs every single day and she sells them at the market"),
        BenchmarkText("math", "m1", "Simplify $\\frac{6}{8}$."),
    ], n=13)
    planted = "Here is a twist: JANET has 16 ducks, that lay eggs every single day; and she sells them! Find x."
    assert index.match(planted) == "gsm8k:g1"
    assert index.match("Please simplify \\frac{6}{8} quickly") == "math:m1"
    assert index.match("Janet has 16 ducks that lay eggs on some days") is None
    assert index.match(FRESH[0]) is None


def test_fixture_benchmark_problems_are_removed_and_fresh_ones_kept(tmp_path: Path):
    texts = benchmark_texts(["gsm8k", "math", "math500"], FIXTURE_DATA)
    assert {t.benchmark for t in texts} == {"gsm8k", "math", "math500"}
    planted = [t.text for t in texts if t.benchmark in ("gsm8k", "math")]
    records = [{"id": f"fresh{i}", "problem": text} for i, text in enumerate(FRESH)]
    records += [{"id": f"planted{i}", "problem": f"Try this. {text}"} for i, text in enumerate(planted)]
    source = tmp_path / "synthetic.jsonl"
    write_jsonl(source, records)
    out = tmp_path / "clean.jsonl"
    result = decontaminate_file(source, out, ["gsm8k", "math"], data_dir=FIXTURE_DATA, show_progress=False)
    assert [r["id"] for r in read_jsonl(out)] == ["fresh0", "fresh1"]
    removed = read_jsonl(tmp_path / "clean.removed.jsonl")
    assert sorted(r["id"] for r in removed) == sorted(f"planted{i}" for i in range(len(planted)))
    assert all(r["matched"] and all(m.split(":")[0] in ("gsm8k", "math") for m in r["matched"]) for r in removed)
    assert result.kept == 2 and len(result.removed) == len(planted)


@pytest.mark.skipif(not (SHARED_DATA / "gsm8k" / "test.jsonl").exists(), reason="shared data not present")
def test_real_test_problems_are_removed(tmp_path: Path):
    gsm8k = [json.loads(line)["question"] for line in (SHARED_DATA / "gsm8k" / "test.jsonl").read_text().splitlines()[:40:7]]
    math = [json.loads(line)["problem"] for line in (SHARED_DATA / "math" / "math500.jsonl").read_text().splitlines()[:40:9]]
    records = [{"question": f"Consider this. {q.lower()}"} for q in gsm8k + math]
    records += [{"question": text} for text in FRESH]
    source = tmp_path / "in.jsonl"
    write_jsonl(source, records)
    result = decontaminate_file(source, tmp_path / "out.jsonl", ["gsm8k", "math", "math500"], data_dir=SHARED_DATA,
                                show_progress=False)
    assert len(result.removed) == len(gsm8k) + len(math)
    assert [r["question"] for r in read_jsonl(tmp_path / "out.jsonl")] == FRESH
    assert result.benchmark_problems == 1319 + 5000 + 500


def test_decontaminate_file_names_bad_records(tmp_path: Path):
    source = tmp_path / "bad.jsonl"
    source.write_text('{"problem": "fine text here"}\n{"text": "no problem field"}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: field 'problem'"):
        decontaminate_file(source, tmp_path / "o.jsonl", ["gsm8k"], data_dir=FIXTURE_DATA, show_progress=False)


def test_decontaminate_never_checks_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    source = tmp_path / "in.jsonl"
    source.write_text('{"problem": "Natalia sold clips to 48 of her friends in April."}\n')
    out = tmp_path / "out.jsonl"
    with pytest.raises(InputError, match="the data directory .*nowhere does not exist"):
        decontaminate_file(source, out, "all", data_dir=tmp_path / "nowhere", show_progress=False)
    monkeypatch.setenv("EVALKIT_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="no benchmark test set could be read, so nothing would be checked"):
        decontaminate_file(source, out, "all", show_progress=False)
    assert not out.exists()
    monkeypatch.delenv("EVALKIT_DATA_DIR")
    result = decontaminate_file(source, out, "all", data_dir=tmp_path, show_progress=False)  # empty: the shipped sets
    assert result.checked and out.exists()


def test_filter_chain_counts_every_removal():
    bounds = {"min_problem_chars": 10, "max_problem_chars": 200, "min_solution_chars": 5, "max_solution_chars": 500}
    index = ContaminationIndex([BenchmarkText("gsm8k", "g7", "Ann has 3 bags with 4 pears each. How many pears?")], 13)
    ok = {"status": "ok", "solution": "Work it out: $\\boxed{1}$", "answer": "1", "source_id": "s", "stage": "college"}
    records = [
        {**ok, "problem": FRESH[0]},
        {**ok, "problem": FRESH[0] + " "},                         # duplicate
        {**ok, "problem": "Tiny?"},                                # too short
        {**ok, "problem": "Ann has 3 bags with 4 pears each. How many pears?"},  # contaminated
        {"status": "malformed", "raw": "junk", "source_id": "s", "stage": "college", "reason": "no labels"},
        {**ok, "problem": FRESH[1]},
    ]
    outcome = filter_exercises(records, bounds=bounds, index=index, threshold=0.8, shingle_words=5, num_perm=32)
    assert [r["problem"] for r in outcome.kept] == [FRESH[0], FRESH[1]]
    assert outcome.counts == {"removed_malformed": 1, "removed_length": 1, "removed_contaminated": 1,
                              "removed_duplicates": 1, "removed_miscalculated": 0, "removed_inconsistent": 0}
    assert {r["removed"] for r in outcome.removed} == {"malformed", "length", "contaminated", "duplicate"}
    contaminated = next(r for r in outcome.removed if r["removed"] == "contaminated")
    assert contaminated["matched"] == ["gsm8k:g7"] and "gsm8k" in contaminated["detail"]
    duplicate = next(r for r in outcome.removed if r["removed"] == "duplicate")
    assert duplicate["detail"].startswith("Jaccard 1.0")


def test_solutions_are_checked_and_every_matched_id_is_recorded():
    shared = "we multiply the number of boxes by the number of pencils in each box to get the total"
    index = ContaminationIndex([
        BenchmarkText("gsm8k", "g1", "A question about pencils in boxes?", solution=f"First {shared}. #### 12"),
        BenchmarkText("math", "m9", "Another question entirely?", solution=f"Note that {shared} here."),
        BenchmarkText("math", "m3", "Unrelated: find the area of a unit circle.", solution="It is pi."),
    ], n=13)
    assert index.matches("A fresh problem about pens.", f"Solution: {shared}.") == ["gsm8k:g1", "math:m9"]
    assert index.matches("A fresh problem about pens.", "A fresh solution of pens and boxes.") == []
    # a short solution is not matched whole: only short *questions* are
    assert index.matches("So it is pi.") == []


def test_every_registered_benchmark_is_checked_and_missing_data_is_listed(tmp_path: Path, monkeypatch):
    import tasks
    from tasks.registry import Task

    found = benchmark_set("all", [FIXTURE_DATA])
    assert {"gsm8k", "math", "math500"} <= set(found.checked)
    assert found.unavailable["arith"].startswith(f"no data in {FIXTURE_DATA}")
    # a task registered later is covered without any change to the filter
    (tmp_path / "newbench").mkdir()
    write_jsonl(tmp_path / "newbench" / "test.jsonl", [{"id": "n1", "question": FRESH[1], "answer": "0"}])
    newbench = Task(name="newbench", description="test", splits={"test": "newbench/test.jsonl"},
                    parse_record=_parse_plain,
                    default_prompt_format="zero_shot_cot")
    monkeypatch.setattr(tasks, "TASKS", {**tasks.TASKS, "newbench": newbench})
    found = benchmark_set("all", [FIXTURE_DATA, tmp_path])
    assert found.checked["newbench"] == 1
    index = ContaminationIndex(found.texts, 13)
    assert index.matches(f"Reworded: {FRESH[1]}") == ["newbench:n1"]
    with pytest.raises(InputError, match="the test data of arith was not found in .*arith is generated"):
        benchmark_set(["arith"], [FIXTURE_DATA])


def _parse_plain(record, source):
    from evalkit.records import Problem

    return Problem(id=record["id"], task="newbench", question=record["question"], reference=record["answer"])


def test_lsh_bands_catch_pairs_at_the_threshold():
    bands, rows = lsh_bands(64, 0.8)
    assert bands * rows <= 64 and 1 - (1 - 0.8 ** rows) ** bands >= 0.99


def test_consistency_keeps_problems_whose_answer_the_solver_reproduces():
    verdicts = consistency_verdicts(
        ["12", "\\frac{1}{2}", "7"],
        [["so $\\boxed{12}$", "I get \\boxed{12.0}", "\\boxed{13}", "no idea"],
         ["\\boxed{0.5}", "\\boxed{1/2}", "\\boxed{2}", "\\boxed{\\dfrac12}"],
         ["\\boxed{8}", "\\boxed{9}", "\\boxed{8}", "The answer is 6"]],
        min_agreement=0.5)
    assert [(v.agreeing, v.keep) for v in verdicts] == [(2, True), (3, True), (0, False)]
    assert "0/4 solutions agree" in verdicts[2].detail and "'8' x2" in verdicts[2].detail
    strict = consistency_verdicts(["12"], [["\\boxed{12}", "\\boxed{12}", "\\boxed{13}"]], min_agreement=1.0)
    assert not strict[0].keep
    loose = consistency_verdicts(["12"], [["\\boxed{12}", "\\boxed{1}", "\\boxed{3}", "\\boxed{4}"]],
                                 min_agreement=0.25)
    assert loose[0].keep
    # the written answer 0.4 of `Find 2.4 / 6` is exact: a solver's 0.36 does not agree with it
    asked = consistency_verdicts(["0.4", "0.4"], [["\\boxed{0.36}"], ["\\boxed{0.36}"]], min_agreement=1.0,
                                 questions=["Find 2.4 / 6.", "Round 0.36 to the nearest tenth."])
    assert [v.keep for v in asked] == [False, True]


def test_apply_consistency_records_why_a_problem_went():
    outcome = FilterOutcome(kept=[{"problem": "p1", "answer": "1", "stage": "amc8"},
                                  {"problem": "p2", "answer": "2", "stage": "college"}])
    verdicts = consistency_verdicts(["1", "2"], [["\\boxed{1}", "\\boxed{1}"], ["\\boxed{3}", "\\boxed{4}"]],
                                    min_agreement=0.5)
    apply_consistency(outcome, verdicts)
    assert [r["problem"] for r in outcome.kept] == ["p1"] and outcome.kept[0]["agreement"] == "2/2"
    assert outcome.removed[0]["removed"] == "inconsistent" and outcome.removed[0]["solver_answers"] == ["3", "4"]
    assert outcome.counts["removed_inconsistent"] == 1
    assert stage_distribution(outcome.kept + outcome.removed) == {"college": 1, "amc8": 1}


@pytest.mark.parametrize("solution, wrong", [
    ("Ava finds 2 more, so 3 + 2 = 5.", []),
    ("so 3 + 2 = 6.", ["3 + 2 = 6"]),
    ("Ava buys 2 * 2 = 4 shells. Ava has 3 + 4 = 8 shells.", ["3 + 4 = 8"]),
    ("$3 \\times 4 = 13$ and $12 \\div 4 = 3$", ["3 \\times 4 = 13"]),
    ("9 / 2 = 4", ["9 / 2 = 4"]),
    ("2 * 3 = 6.5, which is odd", ["2 * 3 = 6.5"]),
    ("5 / 0 = 1", ["5 / 0 = 1"]),
    # only a whole `a op b = c` between plain numbers is checked
    ("2 + 3 * 4 = 14", []),
    ("x + 3 = 7 gives x = 4", []),
    ("so 3/4 = 6/8", []),
    ("(3 + 4) * 2 = 14", []),
    ("2^3 + 1 = 9", []),
    ("thus 10 - 3 = 7 + 1 = 9", ["7 + 1 = 9"]),
    ("7 - 9 = -2 and 1.5 + 1.5 = 3.", []),
])
def test_written_computations_are_recomputed_exactly(solution, wrong):
    from evalkit.synthesis.filters import computation_errors

    assert [error.split(" (")[0] for error in computation_errors(solution)] == wrong


def test_miscalculated_solutions_are_removed_with_the_wrong_line():
    from evalkit.synthesis.filters import check_computations

    outcome = FilterOutcome(kept=[{"problem": "p1", "solution": "so 3 + 2 = 5. \\boxed{5}"},
                                  {"problem": "p2", "solution": "so 3 + 2 = 6. \\boxed{6}"}])
    check_computations(outcome)
    assert [r["problem"] for r in outcome.kept] == ["p1"]
    assert outcome.removed[0]["detail"] == "wrong computation: 3 + 2 = 6 (it is 5)"
    assert outcome.counts["removed_miscalculated"] == 1
