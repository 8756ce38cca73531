"""The `hf` backend: sampling with a local transformers model (CPU, one GPU, small models).

How it samples:
- `stream` takes requests a window at a time (default `4 * batch_size` prompts); each prompt is
  repeated `n` times (once when `temperature == 0`: greedy samples are copied), the window's rows
  are sorted by length and generated `batch_size` rows at a time, left-padded, and each prompt's
  result is yielded as soon as its last row is done. `generate` collects the same stream.
- Reproducible sampling independent of batching: transformers draws sampling noise from one
  global generator, so a sample would depend on which other rows share its batch. Instead,
  generation runs in greedy mode over logits perturbed with Gumbel noise from a per-row
  `torch.Generator` (the Gumbel-max trick: `argmax(logits / T + G)` is an exact draw from
  `softmax(logits / T)`, after top-p filtering). Each row's generator is seeded from
  `sampling.seed`, the prompt's content and the sample index (`row_seed`), so the same seed and
  prompt draw the same noise whatever the batch size, the batch composition, the prompt's
  position in the list or a resumed run. Two identical prompts in one call therefore get
  identical samples. The logits themselves are computed in batches, and a batch of another shape
  (other rows, other padding) can round a logit differently in its last bits: that changes a
  token only where two tokens tie that closely (one sample of 400 in a 100-problem run of the tiny
  model, resumed after kills, differed from the uninterrupted run). `seed=None` draws fresh entropy.
- Stop strings end a row early (a stopping criterion that decodes the row's last tokens); the
  text is cut before the first stop string.
- `num_tokens` counts the generated tokens up to and including the one that ended the sample
  (the EOS token, or the token that completed a stop string), like vLLM.
- `logprob` (when `sampling.logprobs`) sums the model's raw log-probabilities (temperature 1,
  before top-p) of those tokens; `token_logprobs` lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LogitsProcessor,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
    TemperatureLogitsWarper,
    TopPLogitsWarper,
)

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
    truncate_at_stop,
)
from evalkit.backends.model_location import check_model_location, loading_failure, model_load_errors
from evalkit.errors import ConfigError

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def row_seed(seed: int | None, prompt: Prompt, sample_index: int) -> int | None:
    """The sampling seed of one row: a hash of the run seed, the prompt and the sample index.

    `None` when `seed` is None (then sampling is not repeatable).
    """
    return prompt_seed(seed, prompt, sample_index)


def resolve_device(device: str) -> str:
    """`"auto"` -> the best available device (cuda, then mps, then cpu); anything else as given,
    once torch accepts it as a device name (`cpu`, `cuda`, `cuda:1`, `mps`) and can place a tensor
    there (else a ConfigError: not a device name, or not on this machine)."""
    if device != "auto":
        try:
            torch.device(device)
        except (RuntimeError, TypeError):
            raise ConfigError(f"device '{device}' is not a device name: use auto, cpu, cuda, cuda:N or mps") from None
        try:
            torch.empty(0, device=device)
        except (AssertionError, RuntimeError) as error:  # torch built without it, or no such device here
            cause = " ".join(str(error).split()) or type(error).__name__
            raise ConfigError(f"device '{device}' is not available on this machine ({cause}): "
                              "use device=auto or cpu") from None
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def resolve_dtype(dtype: str | torch.dtype, device: str) -> torch.dtype | str:
    """`"auto"` -> float32 on CPU (fast and exact there), the checkpoint's own dtype elsewhere."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        return torch.float32 if device == "cpu" else "auto"
    if dtype not in _DTYPES:
        raise ConfigError(f"unknown dtype {dtype!r}; expected 'auto' or one of {sorted(_DTYPES)}")
    return _DTYPES[dtype]


class _SeededSampler(LogitsProcessor):
    """Turns greedy decoding into sampling with one random generator per row (Gumbel-max).

    Also records, when asked, each row's raw log-probability of the token chosen at each step.
    """

    def __init__(self, seeds: Sequence[int | None], temperature: float, top_p: float, device: torch.device,
                 record_logprobs: bool) -> None:
        self.generators: list[torch.Generator] = []
        for seed in seeds:
            generator = torch.Generator(device=device)
            if seed is None:
                generator.seed()
            else:
                generator.manual_seed(seed)
            self.generators.append(generator)
        self.warpers: list[LogitsProcessor] = []
        if temperature > 0:
            self.warpers.append(TemperatureLogitsWarper(temperature))
            if top_p < 1.0:
                self.warpers.append(TopPLogitsWarper(top_p))
        self.record_logprobs = record_logprobs
        self.step_logprobs: list[torch.Tensor] = []
        self._pending: torch.Tensor | None = None

    def _collect(self, chosen: torch.Tensor) -> None:
        """Store the log-probabilities of the tokens chosen from the previous step's distribution."""
        if self._pending is not None:
            self.step_logprobs.append(self._pending.gather(1, chosen[:, None]).squeeze(1))
            self._pending = None

    def finish(self, sequences: torch.Tensor) -> torch.Tensor | None:
        """Per-row log-probabilities of all generated tokens, shape (rows, steps), or None."""
        if not self.record_logprobs:
            return None
        self._collect(sequences[:, -1])
        if not self.step_logprobs:
            return torch.zeros((sequences.shape[0], 0))
        return torch.stack(self.step_logprobs, dim=1).cpu()

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.record_logprobs:
            self._collect(input_ids[:, -1])
            self._pending = torch.log_softmax(scores.float(), dim=-1)
        if not self.warpers:
            return scores
        warped = scores.float()
        for warper in self.warpers:
            warped = warper(input_ids, warped)
        noise = torch.stack([
            torch.rand(warped.shape[1], generator=generator, device=warped.device, dtype=torch.float32)
            for generator in self.generators
        ])
        gumbel = -torch.log(-torch.log(noise.clamp(min=1e-20, max=1.0 - 1e-7)))
        return warped + gumbel


class _StopOnStrings(StoppingCriteria):
    """Ends a row when its generated text contains a stop string; remembers at which step."""

    def __init__(self, tokenizer, stop: Sequence[str], prompt_length: int) -> None:
        self.tokenizer = tokenizer
        self.stop = [marker for marker in stop if marker]
        self.prompt_length = prompt_length
        # A stop string of b bytes spans at most b tokens, plus one partly overlapping token.
        self.window = max((len(marker.encode("utf-8")) for marker in self.stop), default=0) + 2
        self.stopped_after: dict[int, int] = {}

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        generated = input_ids[:, self.prompt_length:]
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        if not self.stop:
            return done
        tails = self.tokenizer.batch_decode(generated[:, -self.window:], skip_special_tokens=True)
        for row, tail in enumerate(tails):
            if row in self.stopped_after:
                done[row] = True
            elif any(marker in tail for marker in self.stop):
                self.stopped_after[row] = generated.shape[1]
                done[row] = True
        return done


def _progress(description: str, total: int | None):
    """A rich progress bar on stderr."""
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    )
    task = progress.add_task(description, total=total)
    return progress, task


class HFBackend:
    """Sampling with a transformers causal LM (see the module docstring for the exact semantics).

    `chat_template`: None (default) renders chat prompts (message lists) with the tokenizer's
    chat template and sends string prompts as they are; True also wraps string prompts as a
    single user message; False refuses chat prompts.
    """

    name = "hf"

    def __init__(self, model: str | Path, *, device: str = "auto", dtype: str = "auto", batch_size: int = 8,
                 trust_remote_code: bool = False, chat_template: bool | None = None) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self.model_name = str(model)
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.chat_template = chat_template
        check_model_location(self.model_name)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.model_name, trust_remote_code=trust_remote_code)
        except model_load_errors() as error:
            raise loading_failure(self.model_name, "tokenizer", error) from None
        try:
            self.model = AutoModelForCausalLM.from_pretrained(
                self.model_name, dtype=resolve_dtype(dtype, self.device), trust_remote_code=trust_remote_code,
            )
        except model_load_errors() as error:
            raise loading_failure(self.model_name, "weights or config", error) from None
        self.model.to(self.device)
        self.model.eval()
        self.tokenizer.padding_side = "left"
        self.eos_token_ids = self._eos_token_ids()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.convert_ids_to_tokens(self.eos_token_ids[0])

    def _eos_token_ids(self) -> list[int]:
        """The tokens that end a sample: the generation config's EOS ids, else the tokenizer's."""
        configured = self.model.generation_config.eos_token_id
        if configured is None:
            configured = self.tokenizer.eos_token_id
        if configured is None:
            raise ConfigError(f"model {self.model_name!r} defines no EOS token")
        return [configured] if isinstance(configured, int) else list(configured)

    def encode_prompt(self, prompt: Prompt) -> list[int]:
        """Token ids of a prompt: chat messages through the chat template, strings as they are."""
        if isinstance(prompt, str) and not self.chat_template:
            return self.tokenizer(prompt, add_special_tokens=True)["input_ids"]
        if self.chat_template is False:
            raise ConfigError("chat prompts (message lists) given, but the backend was built with chat_template=False")
        if not self.tokenizer.chat_template:
            raise ConfigError(f"model {self.model_name!r} has no chat template, so chat prompts cannot be rendered")
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _encode_checked(self, prompt: Prompt, index: int) -> list[int]:
        """`encode_prompt`, refusing a prompt that gives no tokens at all."""
        ids = self.encode_prompt(prompt)
        if not ids:
            raise ConfigError(f"prompt {index} is empty (no tokens, and the tokenizer adds no BOS token)")
        return ids

    def _context_problem(self, label: object, ids: list[int], max_tokens: int) -> str | None:
        """Why a prompt cannot fit with `max_tokens` in the model's context window (None: it fits)."""
        limit = getattr(self.model.config, "max_position_embeddings", None)
        return context_window_problem(label, len(ids), max_tokens, limit, self.model_name)

    def _check_context(self, encoded: Sequence[list[int]], max_tokens: int) -> None:
        """Refuse prompts that cannot fit with `max_tokens` in the model's context window."""
        for index, ids in enumerate(encoded):
            problem = self._context_problem(index, ids, max_tokens)
            if problem is not None:
                raise ConfigError(problem)

    def _pad(self, rows: Sequence[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Left-pad token id lists into `input_ids` and `attention_mask` on the model's device."""
        batch = self.tokenizer.pad({"input_ids": list(rows)}, padding=True, return_tensors="pt")
        return batch["input_ids"].to(self.device), batch["attention_mask"].to(self.device)

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, `n` completions (greedy copies when `sampling.temperature == 0`)."""
        if n < 1:
            raise ConfigError(f"n must be >= 1, got {n}")
        encoded = [self._encode_checked(prompt, index) for index, prompt in enumerate(prompts)]
        self._check_context(encoded, sampling.max_tokens)
        requests = indexed_requests(prompts)
        return collect_stream(self.stream(requests, n, sampling, window=max(len(requests), 1)), len(requests))

    def stream(self, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams, *,
               window: int | None = None) -> Iterator[SampleResult]:
        """Each request's `n` completions as soon as its rows are done (see the module docstring).

        A prompt that cannot be encoded or does not fit the context window gets an error
        result; the others are sampled.
        """
        if n < 1:
            raise ConfigError(f"n must be >= 1, got {n}")
        pending = iter(requests)
        size = window or 4 * self.batch_size
        distinct = 1 if sampling.temperature == 0 else n
        progress, task = _progress(f"hf: sampling x {n}", None)
        with progress:
            while True:
                chunk = list(islice(pending, size))
                if not chunk:
                    return
                encoded: dict[str, list[int]] = {}
                for request in chunk:
                    try:
                        ids = self._encode_checked(request.prompt, request.key)
                    except ConfigError as error:
                        yield SampleResult(request.key, error=str(error))
                        continue
                    problem = self._context_problem(request.key, ids, sampling.max_tokens)
                    if problem is not None:
                        yield SampleResult(request.key, error=problem, rejected=True)
                        continue
                    encoded[request.key] = ids
                prompts = {request.key: request.prompt for request in chunk}
                yield from self._sample_chunk(encoded, prompts, n, distinct, sampling, progress, task)

    def _sample_chunk(self, encoded: dict[str, list[int]], prompts: dict[str, Prompt], n: int, distinct: int,
                      sampling: SamplingParams, progress: Progress, task: int) -> Iterator[SampleResult]:
        """Generate one window's rows, longest prompts first, yielding each prompt when its rows are done."""
        rows = [(key, s) for key in encoded for s in range(distinct)]
        rows.sort(key=lambda row: -len(encoded[row[0]]))
        remaining = {key: distinct for key in encoded}
        results: dict[tuple[str, int], Completion] = {}
        for start in range(0, len(rows), self.batch_size):
            batch = rows[start:start + self.batch_size]
            completions = self._generate_batch(
                [encoded[key] for key, _ in batch],
                [row_seed(sampling.seed, prompts[key], s) for key, s in batch],
                sampling,
            )
            results.update(zip(batch, completions))
            progress.advance(task, len(batch))
            for key, _ in batch:
                remaining[key] -= 1
                if remaining[key] == 0:
                    group = [results.pop((key, s)) for s in range(distinct)]
                    yield SampleResult(key, tuple(group if distinct > 1 else group * n))

    @torch.inference_mode()
    def _generate_batch(self, rows: Sequence[list[int]], seeds: Sequence[int | None],
                        sampling: SamplingParams) -> list[Completion]:
        """Generate one left-padded batch of rows and turn each into a `Completion`."""
        input_ids, attention_mask = self._pad(rows)
        prompt_length = input_ids.shape[1]
        sampler = _SeededSampler(seeds, sampling.temperature, sampling.top_p, input_ids.device, sampling.logprobs)
        stopper = _StopOnStrings(self.tokenizer, sampling.stop, prompt_length)
        sequences = self.model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            do_sample=False,
            num_beams=1,
            repetition_penalty=1.0,
            max_new_tokens=sampling.max_tokens,
            eos_token_id=self.eos_token_ids,
            pad_token_id=self.tokenizer.pad_token_id,
            logits_processor=LogitsProcessorList([sampler]),
            stopping_criteria=StoppingCriteriaList([stopper]),
        )
        logprobs = sampler.finish(sequences)
        generated = sequences[:, prompt_length:].cpu()
        return [
            self._completion(generated[row], stopper.stopped_after.get(row),
                             None if logprobs is None else logprobs[row], sampling)
            for row in range(len(rows))
        ]

    def _completion(self, token_ids: torch.Tensor, stop_string_end: int | None, logprobs: torch.Tensor | None,
                    sampling: SamplingParams) -> Completion:
        """One row's completion: find where it ended (EOS, stop string or length), cut and decode."""
        ids = token_ids.tolist()
        eos_positions = [i for i, token in enumerate(ids) if token in self.eos_token_ids]
        end, finish_reason, keep = len(ids), "length", len(ids)
        if eos_positions:
            end, finish_reason, keep = eos_positions[0] + 1, "stop", eos_positions[0]
        if stop_string_end is not None and stop_string_end <= end:
            end, finish_reason, keep = stop_string_end, "stop", stop_string_end
        text = self.tokenizer.decode(ids[:keep], skip_special_tokens=True)
        text, found = truncate_at_stop(text, sampling.stop)
        if found:
            finish_reason = "stop"
        token_logprobs = None if logprobs is None else tuple(float(x) for x in logprobs[:end].tolist())
        return Completion(
            text=text,
            finish_reason=finish_reason,
            num_tokens=end,
            logprob=None if token_logprobs is None else float(sum(token_logprobs)),
            token_logprobs=token_logprobs,
        )

    def candidate_token_ids(self, candidates: Sequence[str]) -> list[int]:
        """The first token of each candidate continuation, tokenized on its own.

        Raises `ConfigError` for an empty candidate or two candidates with the same first
        token (their probabilities would be the same number).
        """
        ids: list[int] = []
        for candidate in candidates:
            tokens = self.tokenizer(candidate, add_special_tokens=False)["input_ids"]
            if not tokens:
                raise ConfigError(f"candidate {candidate!r} has no tokens")
            ids.append(tokens[0])
        seen: dict[int, str] = {}
        for candidate, token in zip(candidates, ids):
            if token in seen:
                raise ConfigError(
                    f"candidates {seen[token]!r} and {candidate!r} start with the same token "
                    f"{self.tokenizer.convert_ids_to_tokens(token)!r}; their first-token probabilities are equal"
                )
            seen[token] = candidate
        return ids

    @torch.inference_mode()
    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> list[dict[str, float]]:
        """For each prompt, the log-probability of each candidate's FIRST token as the next token.

        A candidate of several tokens (e.g. " incorrect" -> " in", "correct") is represented by
        its first token only, tokenized on its own; choose candidates whose first tokens differ
        (checked). One forward pass per batch of prompts, left-padded, read at the last position.
        """
        token_ids = self.candidate_token_ids(candidates)
        index = torch.tensor(token_ids)
        encoded = [self._encode_checked(prompt, index) for index, prompt in enumerate(prompts)]
        self._check_context(encoded, 0)
        results: list[dict[str, float]] = []
        batches = [encoded[i:i + self.batch_size] for i in range(0, len(encoded), self.batch_size)]
        progress, task = _progress(f"hf: scoring {len(prompts)} prompts", len(batches))
        with progress:
            for batch in batches:
                input_ids, attention_mask = self._pad(batch)
                position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
                logits = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                    position_ids=position_ids).logits[:, -1, :]
                chosen = torch.log_softmax(logits.float(), dim=-1).cpu()[:, index]
                results.extend(dict(zip(candidates, row.tolist())) for row in chosen)
                progress.advance(task)
        return results
