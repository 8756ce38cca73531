"""The replay backend (stored samples served by problem id) and the backend registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.backends.base import Backend, Completion, SamplingParams
from evalkit.backends.registry import backend_names, create_backend
from evalkit.backends.replay import ReplayBackend, load_replay
from evalkit.errors import ConfigError, InputError
from evalkit.records import Problem

FIXTURES = Path(__file__).resolve().parent / "fixtures"
IMPORT_FILE = FIXTURES / "replay_import.jsonl"
RUN_FILE = FIXTURES / "replay_run_samples.jsonl"
PER_SAMPLE_FILE = FIXTURES / "replay_per_sample.jsonl"
ANY = SamplingParams()


QUESTIONS = {"gsm8k/0": "Ava has 3 apples and buys 4 more. How many apples does she have?",
             "gsm8k/1": "Ava has 3 apples and buys 4 more. How many apples does she have now that Ben gave her 2?",
             "math/2": "Solve $2x = 6$."}


def problem(problem_id: str, question: str | None = None) -> Problem:
    """A problem of the fixtures, asked as the replay files store it (a file without questions is not checked)."""
    return Problem(id=problem_id, task="test", question=question or QUESTIONS.get(problem_id, "q"), reference="0")


def write_lines(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_import_format_objects_and_strings():
    backend = ReplayBackend(IMPORT_FILE)
    assert isinstance(backend, Backend) and backend.name == "replay"
    [first, second] = backend.generate_for([problem("gsm8k/0"), problem("gsm8k/1")], 2, ANY)
    assert first[0] == Completion("3 + 4 = 7. The answer is $\\boxed{7}$.", "stop", 14, -3.5)
    assert first[1] == Completion("The answer is $\\boxed{8}$.", "stop", None, None)
    assert [c.text for c in second] == ["3 + 4 + 2 = 9, so $\\boxed{9}$.", "The answer is $\\boxed{9}$."]


def test_run_samples_format():
    backend = ReplayBackend(RUN_FILE)
    [[a, b]] = backend.generate_for([problem("test/algebra/1.json")], 2, ANY)
    [[c]] = backend.generate_for([problem("test/algebra/2.json")], 1, ANY)
    assert (a.text, a.finish_reason, a.num_tokens, a.logprob) == ("So $\\boxed{5}$.", "stop", 6, -1.25)
    assert (b.finish_reason, b.num_tokens, b.logprob) == ("length", 8, None)
    assert c.text == "No idea."


def test_one_sample_a_line_is_ordered_by_index():
    entries = load_replay(PER_SAMPLE_FILE)
    assert [c.text for c in entries["p1"].completions] == ["first", "second"]
    assert entries["p1"].completions[0].logprob == -0.5
    assert [c.text for c in entries["p2"].completions] == ["only"]


def test_too_many_samples_names_problem_and_counts():
    backend = ReplayBackend(IMPORT_FILE)
    with pytest.raises(InputError, match=r"'math/2' has 2 stored samples, but 5 were requested"):
        backend.generate_for([problem("math/2")], 5, ANY)
    with pytest.raises(InputError, match="no samples stored for problem 'nope'"):
        backend.generate_for([problem("nope")], 1, ANY)


def test_generate_matches_the_question_inside_the_prompt():
    backend = ReplayBackend(IMPORT_FILE)
    few_shot = (
        "Question: Solve $2x = 6$.\nAnswer: 3\n\n"
        "Question: Ava has 3 apples and buys 4 more. How many apples does she have?\nAnswer:"
    )
    chat = [{"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Ava has 3 apples and buys 4 more. How many apples does she have now that "
                                        "Ben gave her 2?"}]
    results = backend.generate([few_shot, chat], 1, ANY)
    assert results[0][0].text.startswith("3 + 4 = 7")  # the question asked last, not the example
    assert results[1][0].text.startswith("3 + 4 + 2 = 9")  # the longer question that contains the shorter
    with pytest.raises(InputError, match="no stored question occurs"):
        backend.generate(["What is 1 + 1?"], 1, ANY)
    with pytest.raises(InputError, match="stores no question texts"):
        ReplayBackend(RUN_FILE).generate(["Solve"], 1, ANY)


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{"question": "q", "samples": ["a"]}], r":1: field 'id': missing"),
        ([{"id": "a", "samples": "text"}], r":1: field 'samples': expected a list"),
        ([{"id": "a", "samples": ["x"]}, {"id": "b", "samples": [{"txt": "y"}]}], r":2: field 'samples\[0\].text'"),
        ([{"id": "a", "samples": [{"text": "y", "num_tokens": -1}]}], r"samples\[0\].num_tokens"),
        # a misspelled field would be read as absent: a cut-off sample would count as finished
        ([{"id": "a", "samples": [{"text": "y", "finsh_reason": "length"}]}],
         r":1: field 'samples\[0\].finsh_reason': not a field evalkit reads; did you mean 'finish_reason'\?"),
        ([{"problem_id": "a", "index": 0, "text": "x", "num_token": 12}],
         r":1: field 'num_token': not a field evalkit reads; did you mean 'num_tokens'\?"),
        ([{"id": "a", "samples": ["x"]}, {"id": "a", "samples": ["y"]}], r":2: field 'id': problem 'a' appears twice"),
        ([{"problem_id": "a", "index": 0, "text": "x"}, {"id": "b", "samples": []}], r":2: mixes"),
        ([{"problem_id": "a", "index": 0, "text": "x"}, {"problem_id": "a", "index": 0, "text": "y"}],
         r":2: field 'index': sample 0 of problem 'a' appears twice"),
        ([{"problem_id": "a", "index": 1, "text": "x"}], r"lacks sample indices \[0\]"),
        ([{"problem_id": "a", "index": 0}], r":1: field 'text': missing"),
        # a line that is neither a problem's samples nor one sample names the field, not the layouts
        ([{"id": "a", "samples": ["x"]}, {"id": "b", "question": "q"}], r":2: field 'samples': missing: a line gives"),
        ([{"id": "a", "sampels": ["x"]}], r":1: field 'sampels': not a field evalkit reads; did you mean 'samples'\?"),
        # JSON cannot write these back into the run's samples: refused here, not a crash later
        ([{"id": "a", "samples": [{"text": "y", "logprob": float("nan")}]}],
         r":1: field 'samples\[0\].logprob': expected a finite number, got nan"),
        ([{"id": "a", "samples": ["x"]}, {"id": "b", "samples": [{"text": "y", "logprob": float("-inf")}]}],
         r":2: field 'samples\[0\].logprob': expected a finite number, got -inf"),
    ],
)
def test_bad_files_name_line_and_field(tmp_path, records, message):
    path = write_lines(tmp_path / "bad.jsonl", records)
    with pytest.raises(InputError, match=message) as caught:
        ReplayBackend(path)
    assert str(path) in str(caught.value)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        ReplayBackend(tmp_path / "absent.jsonl")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "samples": ["x"]}\n{"id": \n', encoding="utf-8")
    with pytest.raises(InputError, match=":2: not valid JSON"):
        ReplayBackend(broken)
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"id": "a", "samples": ["x"]}\n{"id": "b", "samples": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"deep.jsonl:2: not valid JSON \(nested too deeply\)"):
        ReplayBackend(deep)


def test_a_byte_order_mark_is_read_as_the_import_reads_it(tmp_path):
    """Some Windows tools start a file with a UTF-8 byte-order mark: `evalkit import` skipped it and
    replay refused the file ('Unexpected UTF-8 BOM')."""
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"id": "a", "samples": ["x"]}\n')
    assert [entry.problem_id for entry in ReplayBackend(path).entries.values()] == ["a"]


def test_a_log_probability_that_is_not_finite_is_unknown():
    """A server may send `-Infinity` for a token its sampler gave no mass: the solution's log-probability
    is then unknown (None), which the run's JSON files can hold."""
    completion = Completion("x", "stop", 2, logprob=float("-inf"), token_logprobs=(-0.5, float("-inf")))
    assert completion.logprob is None and completion.token_logprobs is None
    kept = Completion("x", "stop", 2, logprob=-1.0, token_logprobs=(-0.5, -0.5))
    assert kept.logprob == -1.0 and kept.token_logprobs == (-0.5, -0.5)


def test_registry_creates_backends_by_name():
    assert backend_names() == ["hf", "openai", "replay", "vllm"]
    backend = create_backend("replay", path=IMPORT_FILE)
    assert isinstance(backend, ReplayBackend)
    with pytest.raises(ConfigError, match="unknown backend 'gpt'; choose one of: hf, openai, replay, vllm"):
        create_backend("gpt")
    with pytest.raises(ConfigError, match="field 'backend.options.temperature': not an option of backend 'replay'"):
        create_backend("replay", path=IMPORT_FILE, temperature=1.0)
    with pytest.raises(ConfigError, match="bad options for backend 'replay'"):
        create_backend("replay")  # its path missing


@pytest.mark.parametrize("name, options, message", [
    ("replay", {"path": None}, "option 'path': Input is not a valid path"),
    ("replay", {"path": 5}, "option 'path'"),
    ("openai", {"model": "m", "base_url": "http://127.0.0.1:9/v1", "timeout": "abc"}, "option 'timeout': .*number"),
    ("openai", {"model": "m", "base_url": "http://127.0.0.1:9/v1", "max_in_flight": 2.5},
     "option 'max_in_flight': .*fractional part, got 2.5"),
    ("openai", {"model": "m", "base_url": 5}, "option 'base_url': .*string, got 5"),
    ("openai", {"model": "m", "base_url": "localhost:8000/v1"}, "base_url must start with http:// or https://"),
])
def test_backend_options_of_the_wrong_type_are_named(name, options, message):
    """An option whose value is not of the type the backend declares is one line naming it, not a
    TypeError from deep inside the backend."""
    with pytest.raises(ConfigError, match=message):
        create_backend(name, **options)


def test_backend_options_in_lax_forms_are_converted():
    backend = create_backend("openai", model="m", base_url="http://127.0.0.1:9/v1", max_in_flight="3", timeout=5)
    assert backend.max_in_flight == 3 and backend.request_limit_s == 5 + 10.0


def test_a_stored_question_that_is_not_the_problem_asked_is_refused_not_mixed(tmp_path):
    # aime25 and amc23 both number their problems 0..29: replaying one into the other used to
    # grade aime25 samples against amc23 problems without a word
    path = write_lines(tmp_path / "aime25.jsonl", [
        {"id": "0", "question": "Find the sum of all integer bases $b>9$.", "reference": "70", "samples": ["70"]},
        {"id": "1", "question": "How many   ways?", "reference": "5", "samples": ["5"]},
    ])
    backend = ReplayBackend(path)
    with pytest.raises(InputError, match=r"aime25.jsonl:1: field 'question': problem '0' is stored with another "
                                         r"question .* the file holds another problem under this id"):
        backend.generate_for([problem("0", "Cities $A$ and $B$ are $45$ miles apart.")], 1, ANY)
    from evalkit.backends.base import SampleRequest

    with pytest.raises(InputError, match="aime25.jsonl:1: field 'question'") as caught:
        list(backend.stream([SampleRequest("0", "Problem: Find x.\nSolution: 5.\n\nProblem: Cities A and B are 45 "
                                                "miles apart.\nSolution:")], 1, ANY))
    assert "Cities A and B" in str(caught.value)  # the prompt's end, where its question is, not a few-shot example
    # the same question inside a prompt, white space aside, is the problem
    [result] = backend.stream([SampleRequest("1", [{"role": "user", "content": "Solve.\nHow many ways?"}])], 1, ANY)
    assert [c.text for c in result.completions] == ["5"]


def test_an_id_written_another_way_is_named_where_its_problem_has_no_samples(tmp_path):
    """Before: `"id": 2584` for the problem `test/algebra/2584.json` only said that problem had none, naming no line."""
    from evalkit.backends.base import SampleRequest

    path = write_lines(tmp_path / "ids.jsonl", [{"id": "test/algebra/1.json", "samples": ["a"]},
                                               {"id": 2584, "samples": ["b"]}])
    backend = ReplayBackend(path)
    with pytest.raises(InputError, match=r"'test/algebra/2584.json' has none\); line 2's id '2584' is none of the "
                                         r"problems asked for \(did it mean 'test/algebra/2584.json'\?\)"):
        list(backend.stream([SampleRequest("test/algebra/1.json", "q"), SampleRequest("test/algebra/2584.json", "q")],
                            1, ANY))


def test_a_misspelt_backend_option_is_named_with_the_options_there_are():
    with pytest.raises(ConfigError, match=r"field 'backend.options.pth': not an option of backend 'replay'; did you "
                                          r"mean 'path'\? \(its options: path\)"):
        create_backend("replay", pth="samples.jsonl")


def test_a_run_names_the_replay_ids_that_are_no_problem_of_the_split(tmp_path):
    """Before: an id written another way (`2584`), or a problem of another benchmark, was ignored without a word."""
    from rich.console import Console

    from evalkit.config import parse_config
    from evalkit.pipeline.run import run_evaluation

    data_dir = Path(__file__).parent / "fixtures" / "pipeline_data"
    records = [json.loads(line) for line in (data_dir / "math" / "math500.jsonl").read_text().splitlines() if line]
    lines = [{"id": record["unique_id"], "samples": ["\\boxed{3}"]} for record in records[:2]]
    replay = write_lines(tmp_path / "replay.jsonl", [*lines, {"id": "test/algebra/999999.json", "samples": ["x"]}])
    config = parse_config({"model": "m", "task": "math500", "data_dir": str(data_dir), "filters": {"limit": 2},
                           "backend": {"name": "replay", "options": {"path": str(replay)}},
                           "sampling": {"n": 1}, "grading": {"workers": 0}})
    console = Console(record=True, width=400)
    run_evaluation(config, out=tmp_path / "run", write_report=False, show_progress=False, console=console)
    assert ("1 of the replay file's 3 problem ids match no problem of math500's test split (the first: "
            "'test/algebra/999999.json', line 3): their samples are not used") in console.export_text()
