"""The transformers backend on the tiny model: shapes, seeds, batching, stops, logprobs, chat."""

from __future__ import annotations

import pytest
import torch

from evalkit.backends.base import Backend, Completion, SamplingParams
from evalkit.backends.hf import HFBackend, row_seed
from evalkit.backends.model_location import check_model_location
from evalkit.errors import ConfigError

PROMPTS = ["Problem: Ava has 3 apples and buys", "Problem: Solve $2x", "Problem: There are 4 boxes"]
GREEDY = SamplingParams(temperature=0.0, max_tokens=16, seed=0)
SAMPLED = SamplingParams(temperature=1.0, max_tokens=12, seed=7)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The tiny model runs several times faster on one thread on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def backend(tiny_model_dir):
    return HFBackend(tiny_model_dir, device="cpu", batch_size=4)


@pytest.fixture(scope="module")
def unbatched(tiny_model_dir):
    return HFBackend(tiny_model_dir, device="cpu", batch_size=1)


def texts(results):
    return [[c.text for c in row] for row in results]


def test_shapes_and_fields(backend):
    assert isinstance(backend, Backend) and backend.name == "hf"
    results = backend.generate(PROMPTS, 3, SAMPLED)
    assert len(results) == len(PROMPTS) and all(len(row) == 3 for row in results)
    for completion in (c for row in results for c in row):
        assert isinstance(completion, Completion)
        assert completion.finish_reason in {"stop", "length"}
        assert 1 <= completion.num_tokens <= SAMPLED.max_tokens
        assert completion.logprob is None and completion.token_logprobs is None


def test_same_seed_repeats_and_other_seed_differs(backend):
    first = backend.generate(PROMPTS[:2], 3, SAMPLED)
    assert texts(backend.generate(PROMPTS[:2], 3, SAMPLED)) == texts(first)
    other = backend.generate(PROMPTS[:2], 3, SamplingParams(temperature=1.0, max_tokens=12, seed=8))
    assert texts(other) != texts(first)
    assert len({c.text for c in first[0]}) > 1  # the n samples of one prompt differ


def test_sampling_does_not_depend_on_batching_or_position(backend, unbatched):
    batched = backend.generate(PROMPTS, 2, SAMPLED)
    alone = unbatched.generate(PROMPTS, 2, SAMPLED)
    assert texts(batched) == texts(alone)
    reordered = backend.generate([PROMPTS[2], PROMPTS[0]], 2, SAMPLED)
    assert texts(reordered) == [texts(batched)[2], texts(batched)[0]]


def test_greedy_copies_are_identical_and_batching_does_not_matter(backend, unbatched):
    batched = backend.generate(PROMPTS, 3, GREEDY)
    assert all(len({c.text for c in row}) == 1 for row in batched)
    assert texts(unbatched.generate(PROMPTS, 3, GREEDY)) == texts(batched)


def test_max_tokens_gives_length(backend):
    results = backend.generate(PROMPTS, 1, SamplingParams(temperature=0.0, max_tokens=3))
    for [completion] in results:
        assert (completion.finish_reason, completion.num_tokens) == ("length", 3)


def test_stop_string_cuts_text_and_ends_generation(backend):
    [[free]] = backend.generate(PROMPTS[:1], 1, SamplingParams(temperature=0.0, max_tokens=24))
    assert len(free.text) > 12
    marker = free.text[8:11]
    expected = free.text[: free.text.find(marker)]
    [[stopped]] = backend.generate(PROMPTS[:1], 1, SamplingParams(temperature=0.0, max_tokens=24, stop=(marker,)))
    assert stopped.text == expected
    assert stopped.finish_reason == "stop"
    assert stopped.num_tokens < free.num_tokens


def test_logprobs_match_a_forward_pass(backend):
    sampling = SamplingParams(temperature=0.0, max_tokens=8, logprobs=True)
    [[completion]] = backend.generate(PROMPTS[:1], 1, sampling)
    assert len(completion.token_logprobs) == completion.num_tokens
    assert completion.logprob == pytest.approx(sum(completion.token_logprobs))
    prompt_ids = backend.encode_prompt(PROMPTS[0])
    generated = backend.tokenizer(completion.text, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt_ids + generated])
    with torch.no_grad():
        logits = backend.model(input_ids=ids).logits[0, len(prompt_ids) - 1 : -1]
    expected = torch.log_softmax(logits, -1).gather(1, torch.tensor(generated)[:, None]).sum().item()
    assert completion.logprob == pytest.approx(expected, abs=1e-3)


def test_next_token_logprobs_batched_equals_unbatched(backend, unbatched):
    prompts = ["Problem: Ava has 3", "Problem: Ben had 40", "Problem: Solve $3x + 1 = 7$ for"]
    candidates = [" apples", " pencils", " $"]
    batched = backend.next_token_logprobs(prompts, candidates)
    alone = unbatched.next_token_logprobs(prompts, candidates)
    assert len(batched) == 3 and all(set(row) == set(candidates) for row in batched)
    for row_b, row_a in zip(batched, alone):
        for candidate in candidates:
            assert row_b[candidate] <= 0
            assert row_b[candidate] == pytest.approx(row_a[candidate], abs=1e-4)
    # The trained model prefers " $x$" after "for".
    assert batched[2][" $"] > batched[2][" pencils"]


def test_candidates_sharing_a_first_token_are_refused(backend):
    first = backend.tokenizer.convert_tokens_to_ids(backend.tokenizer.tokenize(" apples"))[0]
    token_text = backend.tokenizer.decode([first])
    with pytest.raises(ConfigError, match="same token"):
        backend.next_token_logprobs(["Problem:"], [token_text, token_text + "zzz"])


def test_chat_prompts_use_the_chat_template(backend, tiny_model_dir):
    messages = [{"role": "user", "content": "Problem: Ava has 3 apples. How many?"}]
    rendered = backend.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert backend.encode_prompt(messages) == backend.tokenizer(rendered, add_special_tokens=False)["input_ids"]
    [[completion]] = backend.generate([messages], 1, GREEDY)
    assert completion.num_tokens >= 1
    strict = HFBackend(tiny_model_dir, device="cpu", chat_template=False)
    with pytest.raises(ConfigError, match="chat_template=False"):
        strict.generate([messages], 1, GREEDY)


def test_unseeded_sampling_still_gives_n_samples(backend):
    results = backend.generate(PROMPTS[:1], 2, SamplingParams(temperature=1.0, max_tokens=4, seed=None))
    assert len(results[0]) == 2


def test_row_seed_is_stable_and_distinct():
    assert row_seed(0, "a", 0) == row_seed(0, "a", 0)
    assert len({row_seed(0, "a", 0), row_seed(0, "a", 1), row_seed(1, "a", 0), row_seed(0, "b", 0)}) == 4
    assert row_seed(None, "a", 0) is None


def test_prompt_longer_than_the_context_is_refused(backend):
    long_prompt = "Problem: Ava has 3 apples." * 200
    with pytest.raises(ConfigError, match=r"prompt 1 has \d+ tokens; with max_tokens=16 it exceeds the context window"):
        backend.generate(["short", long_prompt], 1, GREEDY)


def test_missing_hub_model_is_a_config_error():
    with pytest.raises(ConfigError, match="cannot load the tokenizer of model 'nobody-evalkit/no-such-model'") as caught:
        HFBackend("nobody-evalkit/no-such-model")
    assert "\n" not in str(caught.value)


def test_model_dir_without_a_tokenizer_is_one_clear_line(tiny_model_dir, tmp_path):
    weights_only = tmp_path / "weights-only"
    weights_only.mkdir()
    for name in ("config.json", "generation_config.json", "model.safetensors"):
        (weights_only / name).write_bytes((tiny_model_dir / name).read_bytes())
    with pytest.raises(ConfigError, match=r"has no tokenizer") as caught:
        HFBackend(weights_only, device="cpu")
    assert "\n" not in str(caught.value) and str(weights_only) in str(caught.value)


@pytest.mark.parametrize("damage, message", [
    (lambda model: (model / "model.safetensors").write_bytes((model / "model.safetensors").read_bytes()[:100]),
     r"cannot load the weights or config of model '.*' with transformers: SafetensorError"),
    (lambda model: (model / "config.json").write_text(
        (model / "config.json").read_text().replace('"hidden_size": ', '"hidden_size": "x", "_was": ')),
     r"cannot load the .* of model '.*' with transformers: .*hidden_size"),
])
def test_a_damaged_model_directory_is_one_clear_line(tiny_model_dir, tmp_path, damage, message):
    """Weights cut short or a config value of the wrong type: one line naming the model, not the
    library's traceback."""
    model = tmp_path / "damaged"
    model.mkdir()
    for file in tiny_model_dir.iterdir():
        if file.is_file():
            (model / file.name).write_bytes(file.read_bytes())
    damage(model)
    with pytest.raises(ConfigError, match=message) as caught:
        HFBackend(model, device="cpu")
    assert "\n" not in str(caught.value)


def test_a_local_path_that_does_not_exist_is_named_as_such(tmp_path):
    with pytest.raises(ConfigError, match=r"model directory .*nothing-here' does not exist") as caught:
        HFBackend(tmp_path / "nothing-here")
    assert "Repo id" not in str(caught.value)


def test_an_empty_directory_or_a_file_as_the_model_is_named_as_such(tmp_path):
    # before: transformers' tokenizer error about sentencepiece and tiktoken
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"model directory .*empty' is empty: no config.json"):
        HFBackend(tmp_path / "empty")
    (tmp_path / "model.safetensors").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match=r"model .*model.safetensors' is a file: give the model's directory"):
        HFBackend(tmp_path / "model.safetensors")
    # vLLM reads a GGUF model from one file: it passes (before: NotADirectoryError from the empty-folder check)
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    check_model_location(tmp_path / "model.gguf", needs_tokenizer=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_device_this_machine_lacks_is_one_clear_line(tiny_model_dir):
    with pytest.raises(ConfigError, match=r"device 'cuda' is not available"):
        HFBackend(tiny_model_dir, device="cuda")
    with pytest.raises(ConfigError, match=r"device 'cuda:1' is not available"):
        HFBackend(tiny_model_dir, device="cuda:1")
