"""Helpers for the tests that run vLLM, which lives in its own environment (`.venv-vllm`).

The tests run in the main Python; vLLM runs in the environment built by
`scripts/setup_vllm_env.sh`, whose python is `EVALKIT_VLLM_PYTHON` or `<repo>/.venv-vllm/bin/python`.

This file is also the driver that runs inside that environment:
`<vllm python> tests/vllm_support.py MODEL_DIR OUT_JSON` builds one `VLLMBackend`, runs every
check the offline-engine tests need and writes the raw results as JSON, so that one engine
start (the slow part) serves the whole test file; with `--data-parallel N` it runs the same
sampling and scoring calls, and the same sampling stage, on N engines as Ray actors on a local
Ray cluster. The driver imports nothing from pytest.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SETUP_HINT = "run scripts/setup_vllm_env.sh to build the vLLM environment (about 4 minutes, 2.5 GB)"

# Prompts shared by the driver (vLLM side) and the tests (transformers side).
TEXT_PROMPTS = (
    "Problem: Ava has 12 apples and buys 7 more. How many apples does Ava have now?\nSolution:",
    "Problem: Solve $3x + 4 = 19$ for $x$.\nSolution:",
)
CHAT_PROMPT = ({"role": "user", "content": "Ben has 5 coins and buys 3 more. How many coins does Ben have now?"},)
SCORE_PROMPTS = (
    "Problem: Grace has 9 shells and buys 4 more. How many",
    "Solution: Each friend gets \\frac{24}{3} = 8 cookies. The answer is",
)
SCORE_CANDIDATES = (" shells", " $\\boxed")
GREEDY_MAX_TOKENS = 16
# The realistic-size check: enough seeded prompts that vLLM's default settings would split a
# prefill into chunks (and crash on a CPU); evalkit's settings must not.
BIG_PROMPTS = 128
BIG_N = 8
STAGE_PROBLEMS = 24


def vllm_python() -> Path | None:
    """The python of the vLLM environment, or None when it does not exist."""
    configured = os.environ.get("EVALKIT_VLLM_PYTHON")
    path = Path(configured) if configured else REPO_ROOT / ".venv-vllm" / "bin" / "python"
    return path if path.exists() else None


def require_vllm_python() -> Path:
    """The vLLM environment's python; skips the calling test when it is missing."""
    import pytest

    path = vllm_python()
    if path is None:
        pytest.skip(f"no vLLM environment (EVALKIT_VLLM_PYTHON or .venv-vllm): {SETUP_HINT}")
    return path


def subprocess_env() -> dict[str, str]:
    """Environment for vLLM subprocesses: offline, no usage stats, quiet where possible."""
    env = dict(os.environ)
    env.update({
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log_tail(path: Path, lines: int = 60) -> str:
    """The last `lines` lines of a log file, for failure messages."""
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def openai_server(model_dir: Path, log_path: Path, served_model: str, *, api_key: str | None = None,
                  start_timeout_s: float = 300.0) -> Iterator[str]:
    """vLLM's OpenAI-compatible server for `model_dir` on a free local port, in its own process group.

    Yields its root URL (`http://127.0.0.1:PORT`) once `/v1/models` lists `served_model`; the test
    fails with the tail of `log_path` when the server exits or is not ready within `start_timeout_s`.
    Afterwards the whole group (the server and the engine processes it started) is stopped.
    """
    import subprocess

    import pytest  # only the tests call this; the driver below never does

    python = require_vllm_python()
    port = free_port()
    command = [str(python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
               "--served-model-name", served_model, "--host", "127.0.0.1", "--port", str(port),
               "--dtype", "float32", "--kv-cache-memory-bytes", "67108864", "--enforce-eager"]
    if api_key is not None:
        command += ["--api-key", api_key]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=subprocess_env(),
                                   cwd=log_path.parent, start_new_session=True)
    root = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listed(process, f"{root}/v1/models", served_model, api_key, log_path, start_timeout_s, pytest.fail)
        yield root
    finally:
        _stop_process_group(process)


def _wait_until_listed(process: Any, url: str, served_model: str, api_key: str | None, log_path: Path,
                       timeout_s: float, fail: Any) -> None:
    """Poll `url` until it answers 200 and lists `served_model`; `fail` with the log when the server
    dies or takes too long."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {api_key}"} if api_key else {})
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"vLLM server exited with {process.returncode}; log tail:\n{log_tail(log_path)}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200 and served_model in json.loads(response.read())["data"][0]["id"]:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(1.0)
    fail(f"vLLM server not ready after {timeout_s:.0f} s; log tail:\n{log_tail(log_path)}")


def _stop_process_group(process: Any) -> None:
    """Stop a server started with `start_new_session=True` and whatever it started (its process group)."""
    import signal
    import subprocess

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:  # whatever is left of the group (an engine process that outlived the server)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# Reference values from transformers, computed in the main environment


def hf_next_token_logprobs(model_dir: Path, prompts: tuple[str, ...], candidates: tuple[str, ...]) -> list[dict[str, float]]:
    """log P(first token of candidate | prompt) from a plain transformers forward pass."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    first_tokens = {c: tokenizer.encode(c, add_special_tokens=False)[0] for c in candidates}
    results = []
    with torch.no_grad():
        for prompt in prompts:
            ids = torch.tensor([tokenizer(prompt).input_ids])
            logprobs = torch.log_softmax(model(ids).logits[0, -1].double(), dim=-1)
            results.append({c: float(logprobs[token]) for c, token in first_tokens.items()})
    return results


def hf_greedy_texts(model_dir: Path, max_new_tokens: int) -> dict[str, str]:
    """Greedy continuations of TEXT_PROMPTS[0] and of CHAT_PROMPT (chat template) from transformers."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    text_ids = tokenizer(TEXT_PROMPTS[0]).input_ids
    chat_ids = tokenizer.apply_chat_template(list(CHAT_PROMPT), tokenize=True, add_generation_prompt=True)
    if not isinstance(chat_ids, list):  # transformers 5 returns a BatchEncoding
        chat_ids = chat_ids["input_ids"]
    texts = {}
    with torch.no_grad():
        for key, ids in (("text", text_ids), ("chat", list(chat_ids))):
            output = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                    do_sample=False, max_new_tokens=max_new_tokens,
                                    pad_token_id=tokenizer.pad_token_id)
            texts[key] = tokenizer.decode(output[0, len(ids):], skip_special_tokens=True)
    return texts


# ---------------------------------------------------------------------------------------------
# The driver, run in the vLLM environment


def _as_json(groups: list[list[Any]]) -> list[list[dict[str, Any]]]:
    return [[asdict(completion) for completion in group] for group in groups]


def big_prompts() -> list[str]:
    names = ("Ava", "Ben", "Carla", "Dev", "Emma", "Farid", "Grace", "Hiro")
    return [f"Problem: {names[i % 8]} has {i + 3} apples and buys {i % 11 + 2} more. How many apples does "
            f"{names[i % 8]} have now?\nSolution:" for i in range(BIG_PROMPTS)]


def run_sample_stage(backend: Any, run_dir: Path) -> dict[str, Any]:
    """evalkit's sampling stage with `backend` (kept open) on STAGE_PROBLEMS problems into `run_dir`."""
    from types import SimpleNamespace

    from evalkit.backends.base import SamplingParams
    from evalkit.config import dump_config, parse_config
    from evalkit.pipeline.sample import sample_stage
    from evalkit.records import Problem
    from evalkit.store import RunDir

    config = parse_config({"model": "tiny", "task": "math500", "backend": {"name": "vllm", "options": {}},
                           "sampling": {"n": 4, "temperature": 1.0, "max_tokens": 24, "seed": 11}})
    problems = [Problem(id=f"p{i}", task="math500", question=prompt, reference="1")
                for i, prompt in enumerate(big_prompts()[:STAGE_PROBLEMS])]
    run = RunDir(run_dir)
    with run.lock("driver"):
        run.claim(dump_config(config), config.config_hash())
        keep_open = SimpleNamespace(name="vllm", stream=backend.stream)  # no close(): the driver closes it
        result = sample_stage(config, run, problems, make_backend=lambda: keep_open, prompt_of=lambda p: p.question,
                              sampling=SamplingParams(temperature=1.0, max_tokens=24, seed=11), show_progress=False)
    return {"sampled_now": result.sampled_now, "path": str(run.samples_path)}


def run_driver(model_dir: str, out_path: str) -> None:
    """Build one VLLMBackend on `model_dir`, run the checks, write the results to `out_path`."""
    sys.path.insert(0, str(REPO_ROOT))  # this checkout's evalkit, whatever is installed
    from evalkit.backends.base import SamplingParams
    from evalkit.backends.vllm_backend import VLLMBackend

    results: dict[str, Any] = {"timings_s": {}}

    def timed(key: str, call: Any) -> Any:
        start = time.perf_counter()
        value = call()
        results["timings_s"][key] = round(time.perf_counter() - start, 3)
        return value

    backend = timed("engine_start", lambda: VLLMBackend(
        model_dir, dtype="float32", enforce_eager=True, kv_cache_memory_bytes=64 << 20))
    sampled = SamplingParams(temperature=1.0, max_tokens=16, seed=7, logprobs=True)
    greedy = SamplingParams(temperature=0.0, max_tokens=GREEDY_MAX_TOKENS)
    two = list(TEXT_PROMPTS)
    chat = [list(CHAT_PROMPT)]
    results["sampled"] = _as_json(timed("sampled", lambda: backend.generate(two, 4, sampled)))
    results["sampled_again"] = _as_json(backend.generate(two, 4, sampled))
    results["sampled_first_alone"] = _as_json(backend.generate(two[:1], 4, sampled))
    results["sampled_other_seed"] = _as_json(backend.generate(two, 4, SamplingParams(
        temperature=1.0, max_tokens=16, seed=8, logprobs=True)))
    results["no_logprobs"] = _as_json(backend.generate(two[:1], 2, SamplingParams(temperature=1.0, max_tokens=8)))
    results["short"] = _as_json(backend.generate(two[:1], 2, SamplingParams(temperature=1.0, max_tokens=3)))
    results["greedy"] = _as_json(backend.generate(two[:1], 2, greedy))
    # A stop string taken from the middle of the greedy text, so the model surely reaches it.
    greedy_text = results["greedy"][0][0]["text"]
    middle = len(greedy_text) // 2
    results["stop_string"] = stop_string = greedy_text[middle:middle + 2]
    results["greedy_stop"] = _as_json(backend.generate(two[:1], 1, SamplingParams(
        temperature=0.0, max_tokens=GREEDY_MAX_TOKENS, stop=(stop_string,))))
    results["chat_greedy"] = _as_json(backend.generate(chat, 1, greedy))
    results["chat_sampled"] = _as_json(backend.generate(chat, 3, sampled))
    results["next_token"] = timed("next_token_logprobs", lambda: backend.next_token_logprobs(
        list(SCORE_PROMPTS), list(SCORE_CANDIDATES)))
    results["next_token_empty_prompts"] = backend.next_token_logprobs([], list(SCORE_CANDIDATES))
    big_sampling = SamplingParams(temperature=1.0, max_tokens=32, seed=3)
    big = timed("big", lambda: backend.generate(big_prompts(), BIG_N, big_sampling))
    results["big"] = {"prompts": len(big), "samples": sum(len(group) for group in big),
                      "texts_first_4": [[c.text for c in group] for group in big[:4]]}
    from evalkit.backends.base import SampleRequest, indexed_requests

    streamed = list(backend.stream(indexed_requests(big_prompts()[:4]), BIG_N, big_sampling, window=2))
    results["streamed_first_4"] = {r.key: [c.text for c in r.completions] for r in streamed}
    # A prompt longer than the context, and one that fits only without its max_tokens: each is an error
    # result naming the problem (the engine went on with the others), never a traceback or a silent cut.
    too_long = "Problem: Ava has 3 apples. " * 400
    context = [SampleRequest("long", too_long), SampleRequest("fits", TEXT_PROMPTS[0])]
    results["context"] = {r.key: {"error": r.error, "texts": [c.text for c in r.completions]}
                          for r in backend.stream(context, 2, SamplingParams(temperature=1.0, max_tokens=8, seed=1))}
    results["context_max_tokens"] = {
        r.key: {"error": r.error, "num_tokens": [c.num_tokens for c in r.completions]}
        for r in backend.stream([SampleRequest("fits", TEXT_PROMPTS[0])], 1,
                                SamplingParams(temperature=1.0, max_tokens=5000, seed=1))}
    results["stage"] = timed("stage", lambda: run_sample_stage(backend, Path(out_path).parent / "stage_run"))
    backend.close()
    Path(out_path).write_text(json.dumps(results, indent=1))


def run_data_parallel_driver(model_dir: str, out_path: str, data_parallel_size: int) -> None:
    """The driver's sampling and scoring calls, and the sampling stage, on `data_parallel_size`
    engines as Ray actors of a local Ray cluster started here."""
    sys.path.insert(0, str(REPO_ROOT))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    import ray

    from evalkit.backends.base import SamplingParams
    from evalkit.backends.vllm_backend import VLLMBackend

    start = time.perf_counter()
    ray.init(num_cpus=data_parallel_size, include_dashboard=False)
    try:
        with VLLMBackend(model_dir, data_parallel_size=data_parallel_size, dtype="float32", enforce_eager=True,
                         kv_cache_memory_bytes=64 << 20) as backend:
            started = time.perf_counter() - start
            sampled = backend.generate(list(TEXT_PROMPTS), 4, SamplingParams(
                temperature=1.0, max_tokens=16, seed=7, logprobs=True))
            scores = backend.next_token_logprobs(list(SCORE_PROMPTS), list(SCORE_CANDIDATES))
            actors = len(backend._engines.actors)
            stage = run_sample_stage(backend, Path(out_path).parent / "stage_run")
    finally:
        ray.shutdown()
    Path(out_path).write_text(json.dumps({
        "timings_s": {"engines_start": round(started, 3), "total": round(time.perf_counter() - start, 3)},
        "sampled": _as_json(sampled), "next_token": scores, "actors": actors, "stage": stage,
    }, indent=1))


if __name__ == "__main__":
    if len(sys.argv) == 3:
        run_driver(sys.argv[1], sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[3] == "--data-parallel":
        run_data_parallel_driver(sys.argv[1], sys.argv[2], int(sys.argv[4]))
    else:
        sys.exit("usage: vllm_support.py MODEL_DIR OUT_JSON [--data-parallel N]")
