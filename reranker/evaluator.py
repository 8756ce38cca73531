"""The solution evaluator: a language model that scores how likely a solution is correct.

The evaluator reads `EvaluatorTemplate.prompt(problem, solution)` and its score is

    p(correct) / (p(correct) + p(incorrect))

where p(v) is the model's probability of the first token of verdict v as the next token (one
forward pass per solution, through any backend with `next_token_logprobs`). The ratio is
computed from the two log-probabilities as `exp(lc - logaddexp(lc, li))`, which neither
overflows nor underflows; when both are -inf (the model gives neither verdict any mass) the
score is NaN, "not scored", with a warning.

Truncation: a prompt longer than the model's context is cut from the LEFT of the solution,
keeping its end, where the final answer is; the problem and the template stay whole. The cut is
made on token boundaries of the evaluator's own tokenizer and counted in
`SolutionEvaluator.truncated`. A sample is never dropped: a problem too long to fit even with
an empty solution is an `InputError`.
"""

from __future__ import annotations

import hashlib

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from evalkit.backends.base import NextTokenScorer
from evalkit.errors import ConfigError, InputError
from evalkit.hashing import update_with_directory
from reranker.templates import EvaluatorTemplate

DEFAULT_EVALUATOR_TEMPLATE = EvaluatorTemplate()


class PromptTokenizer(Protocol):
    """The part of a Hugging Face tokenizer used for truncation."""

    def __call__(self, text: str, add_special_tokens: bool = ...) -> Any:
        ...

    def decode(self, token_ids: Sequence[int], skip_special_tokens: bool = ...) -> str:
        ...


def verdict_probability(logprob_correct: float, logprob_incorrect: float) -> float:
    """p(correct) / (p(correct) + p(incorrect)) from the two log-probabilities, computed stably.

    NaN when both are -inf (no probability on either verdict) or either is NaN.
    """
    if math.isnan(logprob_correct) or math.isnan(logprob_incorrect):
        return math.nan
    if logprob_correct == -math.inf and logprob_incorrect == -math.inf:
        return math.nan
    high = max(logprob_correct, logprob_incorrect)
    log_total = high + math.log1p(math.exp(min(logprob_correct, logprob_incorrect) - high))
    return math.exp(logprob_correct - log_total)


def model_context_length(config: Any) -> int | None:
    """The context window of a transformers model config (`max_position_embeddings`), if it has one."""
    for attribute in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        value = getattr(config, attribute, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def model_identity(model_dir: Path, template: EvaluatorTemplate) -> str:
    """A fingerprint of the evaluator: its directory's content (`evalkit.hashing.update_with_directory`)
    and its template. Scores filed under one scorer name must come from one evaluator; a retrained
    model at the same path gets another fingerprint."""
    digest = hashlib.sha256(repr((template.template, template.correct, template.incorrect)).encode())
    update_with_directory(digest, model_dir)
    return digest.hexdigest()[:16]


def default_scorer_name(model_dir: Path) -> str:
    """The name scores are filed under: the model directory's name, or, for the `final` and
    `checkpoint-N` folders the training engine writes, the name of the run that holds them."""
    resolved = model_dir.resolve()
    if resolved.name == "final" or resolved.name.startswith("checkpoint-"):
        parent = resolved.parent.parent if resolved.parent.name == "checkpoints" else resolved.parent
        return f"{parent.name}/{resolved.name}" if resolved.name != "final" else parent.name
    return resolved.name


class SolutionEvaluator:
    """Scores solutions with a fine-tuned evaluator model behind a backend.

    `tokenizer` and `max_prompt_tokens` enable left-truncation of long solutions (see the module
    docstring); by default they are taken from the backend when it has a `tokenizer` and a
    transformers `model.config` (the `hf` backend). Without them prompts are sent whole, and the
    backend refuses ones longer than its context.
    """

    def __init__(self, backend: NextTokenScorer, template: EvaluatorTemplate = DEFAULT_EVALUATOR_TEMPLATE, *,
                 name: str = "evaluator", tokenizer: PromptTokenizer | None = None,
                 max_prompt_tokens: int | None = None, identity: str | None = None) -> None:
        if not name or not name.strip():
            raise ConfigError("the evaluator's name (the scorer name in scores.jsonl) must not be empty")
        if max_prompt_tokens is not None and max_prompt_tokens < 1:
            raise ConfigError(f"max_prompt_tokens must be >= 1, got {max_prompt_tokens}")
        self.backend = backend
        self.template = template
        self.name = name
        self.identity = identity  # fingerprint of the model and template (`model_identity`), None when unknown
        self.tokenizer = tokenizer if tokenizer is not None else getattr(backend, "tokenizer", None)
        if max_prompt_tokens is None:
            model = getattr(backend, "model", None)
            max_prompt_tokens = model_context_length(getattr(model, "config", None))
        self.max_prompt_tokens = max_prompt_tokens if self.tokenizer is not None else None
        self.truncated = 0

    @classmethod
    def from_pretrained(cls, path: str | Path, *, backend: str = "hf", template: EvaluatorTemplate | None = None,
                        name: str | None = None, **options: Any) -> SolutionEvaluator:
        """Load the evaluator model in the local directory `path` with the named backend.

        `options` go to the backend's constructor (e.g. `device`, `dtype`, `batch_size` for hf;
        `max_model_len`, `tensor_parallel_size` for vllm). `name` defaults to the directory's
        name. For backends other than hf the tokenizer and context length used for truncation
        are read from the directory (`max_model_len`, when given, caps the context).
        """
        from evalkit.backends import create_backend

        model_dir = Path(path).expanduser()
        if not model_dir.is_dir():
            raise ConfigError(f"evaluator model not found: {path} is not a directory (give the local directory "
                              "of a fine-tuned evaluator, with its config.json and tokenizer)")
        if not (model_dir / "config.json").is_file():
            raise ConfigError(f"evaluator model not found: {path} has no config.json (give the local directory "
                              "of a fine-tuned evaluator, e.g. .../final)")
        try:
            built = create_backend(backend, model=str(model_dir), **options)
        except (OSError, ValueError) as error:
            raise ConfigError(f"cannot load evaluator {path}: {error}") from None
        tokenizer = getattr(built, "tokenizer", None)
        limit: int | None = None
        if tokenizer is None:
            from transformers import AutoConfig, AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
                limit = model_context_length(AutoConfig.from_pretrained(str(model_dir)))
            except (OSError, ValueError) as error:
                raise ConfigError(f"cannot read the tokenizer or config of evaluator {path}: {error}") from None
            if options.get("max_model_len"):
                limit = min(limit or options["max_model_len"], int(options["max_model_len"]))
        template = template or DEFAULT_EVALUATOR_TEMPLATE
        try:
            identity = model_identity(model_dir, template)
        except OSError as error:
            raise ConfigError(f"cannot read evaluator {path}: {error}") from None
        return cls(built, template, name=name or default_scorer_name(model_dir), tokenizer=tokenizer,
                   max_prompt_tokens=limit, identity=identity)

    # ------------------------------------------------------------------ prompts

    def _count_tokens(self, text: str) -> int:
        assert self.tokenizer is not None
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def problem_fits(self, problem: str) -> bool:
        """Whether the evaluator's input for `problem` with an empty solution fits its context (always, when the
        context is not known)."""
        if self.max_prompt_tokens is None or self.tokenizer is None:
            return True
        return self._count_tokens(self.template.prompt(problem, "")) <= self.max_prompt_tokens

    def build_prompt(self, problem: str, solution: str) -> str:
        """The evaluator's input for one solution, left-truncating the solution to fit the context."""
        prompt = self.template.prompt(problem, solution)
        if self.max_prompt_tokens is None or self._count_tokens(prompt) <= self.max_prompt_tokens:
            return prompt
        assert self.tokenizer is not None
        if self._count_tokens(self.template.prompt(problem, "")) > self.max_prompt_tokens:
            raise InputError(f"the problem alone does not fit the evaluator's context of {self.max_prompt_tokens} "
                             f"tokens: {problem[:80]!r}...", field="question")
        solution_ids = self.tokenizer(solution.strip(), add_special_tokens=False)["input_ids"]
        excess = self._count_tokens(prompt) - self.max_prompt_tokens
        # Token counts of the joined prompt differ slightly from the parts' (merges at the
        # seams), so drop the excess and re-check, widening the cut until the prompt fits.
        cut = excess
        while cut < len(solution_ids):
            kept = self.tokenizer.decode(solution_ids[cut:], skip_special_tokens=True)
            candidate = self.template.prompt(problem, kept)
            overflow = self._count_tokens(candidate) - self.max_prompt_tokens
            if overflow <= 0:
                self.truncated += 1
                return candidate
            cut += overflow
        self.truncated += 1
        return self.template.prompt(problem, "")

    # ------------------------------------------------------------------ scoring

    def score(self, problems: Sequence[str], solutions: Sequence[str], *, batch_size: int | None = None) -> list[float]:
        """The score in [0, 1] of each (problem, solution) pair; NaN where it is undefined (warned).

        Identical pairs are sent to the backend once. `batch_size` splits the prompts into
        backend calls of at most that many (default: one call, batched by the backend itself).
        """
        if len(problems) != len(solutions):
            raise ValueError(f"got {len(problems)} problems but {len(solutions)} solutions")
        if batch_size is not None and batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        prompts = [self.build_prompt(problem, solution) for problem, solution in zip(problems, solutions)]
        unique = list(dict.fromkeys(prompts))
        if not unique:
            return []
        step = batch_size or len(unique)
        candidates = (self.template.correct, self.template.incorrect)
        by_prompt: dict[str, float] = {}
        for start in range(0, len(unique), step):
            chunk = unique[start:start + step]
            rows = self.backend.next_token_logprobs(chunk, candidates)
            if len(rows) != len(chunk):
                raise ConfigError(f"backend returned {len(rows)} results for {len(chunk)} prompts")
            for prompt, row in zip(chunk, rows):
                by_prompt[prompt] = verdict_probability(float(row[candidates[0]]), float(row[candidates[1]]))
        undefined = sum(1 for value in by_prompt.values() if math.isnan(value))
        if undefined:
            warnings.warn(f"evaluator '{self.name}': {undefined} of {len(unique)} solutions got no probability "
                          "on either verdict; their scores are NaN (not scored)", RuntimeWarning, stacklevel=2)
        return [by_prompt[prompt] for prompt in prompts]
