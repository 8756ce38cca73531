"""Benchmark: evalkit's sampling stage against the engine used bare, on the same engine and prompts.

    <vLLM env python> benchmarks/sampling.py [--prompts 128] [--n 8] [--repeats 2] [--openai]

Run it with the python of an environment that has vLLM (on a CPU: `scripts/setup_vllm_env.sh`).

vLLM part: one engine (`VLLMBackend`). The baseline is one raw `LLM.generate` call on that very
engine over all prompts, with the same per-request `vllm.SamplingParams` evalkit sends (same
seeds), so both do exactly the same work: the script checks that the texts are identical.
evalkit's side is the whole sampling stage of `evalkit run` (`pipeline.sample.sample_stage`):
streaming through the engine's request interface, appending each problem to `samples.jsonl` in a
locked run directory, ordering the file at the end. The two alternate `--repeats` times (which
goes first alternates too) and the fastest of each is kept. Also timed for reference: the same prompts sent as batches of 16 with a
barrier after each (`generate` per batch), what `evalkit run` did before streaming.

The workload has long-tail output lengths: the built-in tiny model continues until it writes the
stop string "Solve" (which it does now and then) or the length limit, so lengths are roughly
geometric; the JSON gives their p50, p90, p99 and maximum.

`--openai` adds the OpenAI path: vLLM's OpenAI-compatible server on the same model and settings,
evalkit's sampling stage with the `openai` backend (AsyncOpenAI, 256 requests in flight) against a
bare AsyncOpenAI loop (all requests at once under the same bound), alternating likewise.

The last line printed is one JSON object: `ratio` = evalkit_s / raw_s, the fastest of each (goal:
at most 1.05), `ratio_median_of_pairs` the median of the repeats' own ratios, and,
with `--openai`, `ratio_openai` = openai_evalkit_s / openai_bare_s. Timings on a shared CPU are
noisy; the ratios are what to compare across commits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from evalkit.backends.base import SamplingParams  # noqa: E402
from evalkit.config import dump_config, parse_config  # noqa: E402
from evalkit.pipeline.sample import sample_stage  # noqa: E402
from evalkit.records import Problem  # noqa: E402
from evalkit.store import RunDir  # noqa: E402

STOP = ("Solve",)
SEED = 3
NAMES = ("Ava", "Ben", "Carla", "Dev", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jon")
ENGINE = {"dtype": "float32", "enforce_eager": True, "kv_cache_memory_bytes": 256 << 20}


def make_problems(count: int) -> list[Problem]:
    return [Problem(id=f"p{i}", task="bench", reference="0",
                    question=f"Problem: {NAMES[i % 10]} has {i + 3} apples and buys {i % 11 + 2} more. How many "
                             f"apples does {NAMES[i % 10]} have now?\nSolution:")
            for i in range(count)]


def percentiles(lengths: list[int]) -> dict[str, float]:
    ordered = sorted(lengths)

    def at(q: float) -> float:
        return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": float(ordered[-1]),
            "mean": round(sum(ordered) / len(ordered), 1)}


def run_stage(backend: Any, problems: list[Problem], n: int, sampling: SamplingParams, root: Path,
              backend_config: dict[str, Any]) -> tuple[float, list[list[str]]]:
    """evalkit's sampling stage into a fresh run directory; its seconds and the texts it wrote."""
    config = parse_config({"model": "bench", "task": "math500", "backend": backend_config,
                           "sampling": {"n": n, "temperature": sampling.temperature,
                                        "max_tokens": sampling.max_tokens, "seed": sampling.seed,
                                        "stop": list(sampling.stop)}})
    run_dir = Path(tempfile.mkdtemp(dir=root)) / "run"
    run = RunDir(run_dir)
    keep_open = SimpleNamespace(name=backend.name, stream=backend.stream)  # the stage must not close it
    start = time.perf_counter()
    with run.lock("benchmark"):
        run.claim(dump_config(config), config.config_hash())
        sample_stage(config, run, problems, make_backend=lambda: keep_open, prompt_of=lambda p: p.question,
                     sampling=sampling, show_progress=False)
    elapsed = time.perf_counter() - start
    texts = [[sample["text"] for sample in json.loads(line)["samples"]]
             for line in run.samples_path.read_text(encoding="utf-8").splitlines()]
    shutil.rmtree(run_dir.parent)
    return elapsed, texts


def vllm_part(args: argparse.Namespace, model: Path, root: Path) -> dict[str, Any]:
    import vllm

    from evalkit.backends.vllm_backend import VLLMBackend, request_seed

    problems = make_problems(args.prompts)
    prompts = [problem.question for problem in problems]
    sampling = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=args.max_tokens, stop=STOP, seed=SEED)
    backend = VLLMBackend(str(model), show_progress=False, **ENGINE)
    llm = backend._live_engine().llm
    raw_params = [vllm.SamplingParams(n=args.n, temperature=1.0, top_p=1.0, max_tokens=args.max_tokens,
                                      stop=list(STOP), seed=request_seed(SEED, prompt)) for prompt in prompts]

    def raw() -> tuple[float, list[list[str]], list[int]]:
        start = time.perf_counter()
        outputs = llm.generate(prompts, raw_params, use_tqdm=False)
        elapsed = time.perf_counter() - start
        return (elapsed, [[choice.text for choice in output.outputs] for output in outputs],
                [len(choice.token_ids) for output in outputs for choice in output.outputs])

    def batched16() -> float:
        start = time.perf_counter()
        for first in range(0, len(prompts), 16):
            llm.generate(prompts[first:first + 16], raw_params[first:first + 16], use_tqdm=False)
        return time.perf_counter() - start

    raw()  # warm-up: the first steps of a fresh engine are slower
    raw_times, evalkit_times = [], []
    for repeat in range(args.repeats):
        first_raw = repeat % 2 == 0  # alternate which goes first, so neither always follows the other
        if first_raw:
            raw_s, raw_texts, lengths = raw()
        evalkit_s, evalkit_texts = run_stage(backend, problems, args.n, sampling, root,
                                             {"name": "vllm", "options": {"model": str(model)}})
        if not first_raw:
            raw_s, raw_texts, lengths = raw()
        if evalkit_texts != raw_texts:
            raise SystemExit("evalkit's samples differ from raw LLM.generate's: the comparison would be unfair")
        raw_times.append(raw_s)
        evalkit_times.append(evalkit_s)
    batched_s = batched16()
    backend.close()
    paired = sorted(e / r for e, r in zip(evalkit_times, raw_times))
    return {
        "ratio": round(min(evalkit_times) / min(raw_times), 4),
        "ratio_median_of_pairs": round(paired[len(paired) // 2], 4),
        "evalkit_s": round(min(evalkit_times), 3), "raw_s": round(min(raw_times), 3),
        "batched16_s": round(batched_s, 3), "ratio_batched16": round(batched_s / min(raw_times), 4),
        "evalkit_runs_s": [round(t, 3) for t in evalkit_times], "raw_runs_s": [round(t, 3) for t in raw_times],
        "prompts": args.prompts, "n": args.n, "max_tokens": args.max_tokens,
        "output_tokens": sum(lengths), "output_lengths": percentiles(lengths),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(model: Path, port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model),
               "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32", "--enforce-eager",
               "--kv-cache-memory-bytes", str(ENGINE["kv_cache_memory_bytes"]), "--seed", "0",
               "--no-enable-chunked-prefill", "--max-num-batched-tokens", "8192"]
    server = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
                              env={**os.environ, "VLLM_NO_USAGE_STATS": "1"})
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"vLLM's server exited; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return server
        except OSError:
            time.sleep(1)
    os.killpg(server.pid, signal.SIGKILL)
    raise SystemExit(f"vLLM's server did not start in 600 s; see {log}")


async def _bare_loop(url: str, model: str, prompts: list[str], n: int, sampling: SamplingParams,
                     bound: int) -> list[list[str]]:
    import openai

    gate = asyncio.Semaphore(bound)
    async with openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0, timeout=600) as client:
        async def one(prompt: str) -> list[str]:
            async with gate:
                response = await client.completions.create(
                    model=model, prompt=prompt, n=n, temperature=sampling.temperature, top_p=sampling.top_p,
                    max_tokens=sampling.max_tokens, stop=list(sampling.stop), seed=sampling.seed)
            return [choice.text for choice in sorted(response.choices, key=lambda c: c.index)]

        return list(await asyncio.gather(*(one(prompt) for prompt in prompts)))


def openai_part(args: argparse.Namespace, model: Path, root: Path) -> dict[str, Any]:
    from evalkit.backends.openai_backend import OpenAIBackend

    port = _free_port()
    server = _start_server(model, port, root / "server.log")
    try:
        url = f"http://127.0.0.1:{port}/v1"
        problems = make_problems(args.prompts)
        prompts = [problem.question for problem in problems]
        sampling = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=args.max_tokens, stop=STOP, seed=SEED)
        backend = OpenAIBackend(str(model), base_url=url, max_in_flight=256)
        options = {"model": str(model), "base_url": url, "max_in_flight": 256}
        asyncio.run(_bare_loop(url, str(model), prompts[:8], args.n, sampling, 256))  # warm-up
        bare_times, evalkit_times = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            bare_texts = asyncio.run(_bare_loop(url, str(model), prompts, args.n, sampling, 256))
            bare_times.append(time.perf_counter() - start)
            evalkit_s, evalkit_texts = run_stage(backend, problems, args.n, sampling, root,
                                                 {"name": "openai", "options": options})
            evalkit_times.append(evalkit_s)
            if [[text for text in group] for group in evalkit_texts] != bare_texts:
                print("note: the server's samples differ between the two loops (seeded server sampling is not "
                      "batch-invariant here); the timing still covers the same requests", file=sys.stderr)
        return {"ratio_openai": round(min(evalkit_times) / min(bare_times), 4),
                "openai_evalkit_s": round(min(evalkit_times), 3), "openai_bare_s": round(min(bare_times), 3),
                "openai_evalkit_runs_s": [round(t, 3) for t in evalkit_times],
                "openai_bare_runs_s": [round(t, 3) for t in bare_times]}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=960)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: a tiny model built here)")
    parser.add_argument("--openai", action="store_true", help="also time the OpenAI path against vLLM's server")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="evalkit-bench-sampling-"))
    try:
        model = args.model
        if model is None:
            from evalkit.testing.tiny_model import build_tiny_model

            model = build_tiny_model(root / "tiny", train_steps=200, seed=0)
        figures = vllm_part(args, model, root)
        if args.openai:
            figures.update(openai_part(args, model, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
