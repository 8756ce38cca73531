"""The `openai` backend for real, against vLLM's OpenAI-compatible server on CPU.

One server (`conftest.py`: the vLLM environment's, started once for this folder) serves the
session's tiny model; the tests drive it through `OpenAIBackend` and compare what comes back with
transformers run on the same model in this process.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from evalkit.backends.base import SamplingParams

from .conftest import API_KEY, SERVED_MODEL, Server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import vllm_support  # noqa: E402

pytestmark = [pytest.mark.vllm, pytest.mark.slow, pytest.mark.xdist_group("vllm_server")]

API_KEY_ENV = "EVALKIT_TEST_VLLM_SERVER_KEY"
SAMPLED = SamplingParams(temperature=1.0, max_tokens=16, seed=7, logprobs=True)
GREEDY = SamplingParams(temperature=0.0, max_tokens=vllm_support.GREEDY_MAX_TOKENS)


@pytest.fixture(scope="module")
def backend(vllm_server: Server):
    from evalkit.backends.openai_backend import OpenAIBackend

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(API_KEY_ENV, API_KEY)
        yield OpenAIBackend(SERVED_MODEL, base_url=vllm_server.base_url, api_key_env=API_KEY_ENV, concurrency=4,
                            max_retries=1, timeout=60.0)


@pytest.fixture(scope="module")
def hf_greedy(tiny_model_dir: Path) -> dict[str, str]:
    return vllm_support.hf_greedy_texts(tiny_model_dir, vllm_support.GREEDY_MAX_TOKENS)


def _texts(groups) -> list[list[str]]:
    return [[completion.text for completion in group] for group in groups]


def test_completions_with_n_and_logprobs(backend) -> None:
    groups = backend.generate(list(vllm_support.TEXT_PROMPTS), 3, SAMPLED)
    assert len(groups) == 2 and all(len(group) == 3 for group in groups)
    for group in groups:
        for completion in group:
            assert completion.finish_reason in ("stop", "length")
            assert 1 <= completion.num_tokens <= 16
            assert completion.token_logprobs is not None and len(completion.token_logprobs) == completion.num_tokens
            assert completion.logprob is not None and completion.logprob <= 0
            assert math.isclose(sum(completion.token_logprobs), completion.logprob, abs_tol=1e-6)
        assert len({completion.text for completion in group}) > 1, "n samples of one prompt should differ"


def test_seeds_repeat(backend) -> None:
    prompts = list(vllm_support.TEXT_PROMPTS)
    first = _texts(backend.generate(prompts, 3, SAMPLED))
    assert _texts(backend.generate(prompts, 3, SAMPLED)) == first
    other = SamplingParams(temperature=1.0, max_tokens=16, seed=8, logprobs=True)
    assert _texts(backend.generate(prompts, 3, other)) != first


def test_greedy_text_and_chat_match_transformers(backend, hf_greedy: dict[str, str]) -> None:
    text_group, chat_group = backend.generate([vllm_support.TEXT_PROMPTS[0], list(vllm_support.CHAT_PROMPT)], 2, GREEDY)
    assert [c.text for c in text_group] == [hf_greedy["text"]] * 2
    assert [c.text for c in chat_group] == [hf_greedy["chat"]] * 2


def test_stop_strings(backend, hf_greedy: dict[str, str]) -> None:
    reference = hf_greedy["text"]
    stop = reference[len(reference) // 2:len(reference) // 2 + 2]
    [[completion]] = backend.generate(vllm_support.TEXT_PROMPTS[:1], 1, SamplingParams(
        temperature=0.0, max_tokens=vllm_support.GREEDY_MAX_TOKENS, stop=(stop,)))
    assert completion.text == reference[:reference.index(stop)]
    assert completion.finish_reason == "stop"


def test_chat_prompts_sample_with_logprobs(backend) -> None:
    [group] = backend.generate([list(vllm_support.CHAT_PROMPT)], 2, SAMPLED)
    assert len(group) == 2
    for completion in group:
        assert completion.finish_reason in ("stop", "length")
        assert completion.num_tokens >= 1
        assert completion.logprob is not None and completion.logprob <= 0


def test_next_token_logprobs_match_transformers(backend, tiny_model_dir: Path) -> None:
    got = backend.next_token_logprobs(list(vllm_support.SCORE_PROMPTS), list(vllm_support.SCORE_CANDIDATES))
    expected = vllm_support.hf_next_token_logprobs(
        tiny_model_dir, vllm_support.SCORE_PROMPTS, vllm_support.SCORE_CANDIDATES)
    assert len(got) == 2
    for got_row, expected_row in zip(got, expected):
        assert list(got_row) == list(vllm_support.SCORE_CANDIDATES)
        for candidate, value in got_row.items():
            assert math.isfinite(value) and value <= 0
            assert value == pytest.approx(expected_row[candidate], abs=1e-3)
