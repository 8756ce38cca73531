"""The two-way solution evaluator: a solution is scored by how well it and its problem explain each other.

A causal language model is fine-tuned (`evalkit.training.engine.finetune`, the `"lm"` objective) on
solutions graded right, the training problems' reference solutions and the generator's own samples
graded right, in both directions: to write the solution after the problem (forward) and to write
the problem back after the solution (backward). Its score for a solution `s` of a problem `q` is

    exp( mean log p(s | q) + mean log p(q | s) )

the product of two per-token (geometric-mean) probabilities, in (0, 1], never underflowing however
long the texts. The forward term is low where a line of the solution does not follow (an arithmetic
slip); the backward term is low where the solution does not fit the problem: a number read wrong,
a step skipped or done twice, mistakes a solution consistent with itself can make and a whole
answer cluster can share. A verdict evaluator (`reranker.evaluator`) has to learn that comparison
from labels; here it is the model's own attempt to write the problem back, conditioned on the
solution. Within one problem the question is fixed, so only the solutions' terms rank its samples.

This is not the evaluator of Liu et al. (2023), which reads a verdict; checking a solution by going
back to its problem is the idea of backward verification (Weng et al. 2023, self-verification;
Jiang et al. 2023, FOBAR), here learned by fine-tuning instead of prompted.
`scripts/two_way_evaluator.py` measures it against the verdict evaluator on the CPU demo's runs.

`TwoWayEvaluator` has what `reranker.scoring.score_run` uses of an evaluator (`name`, `identity`,
`truncated`, `max_prompt_tokens`, `problem_fits`, `score`), so its scores go through the same store,
resume and selection code. A text longer than the model's context is cut: the conditioning text
(the problem forward, the solution backward) loses its beginning, then the scored text its end;
each cut is counted in `truncated`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.hashing import update_with_directory
from evalkit.training.engine import IGNORE_INDEX, TrainExample, completion_logprobs, encode_example, pad_batch

KIND_FILE = "evaluator_kind.json"
"""Written into a two-way evaluator's model directory by `evalkit.training` (`write_kind_file`), so that
`load_evaluator` (and so `evalkit rerank` and the demo) scores with the kind of evaluator it was trained as."""
TWO_WAY = "two_way"
VERDICT = "verdict"
FORWARD_TEMPLATE = "Problem:\n{problem}\n\nSolution:"
BACKWARD_TEMPLATE = "Solution:\n{solution}\n\nProblem:"


@dataclass(frozen=True)
class TwoWayTemplate:
    """The two prompts of the two-way evaluator; each direction's completion is the other text after one space."""

    forward: str = FORWARD_TEMPLATE
    backward: str = BACKWARD_TEMPLATE

    def __post_init__(self) -> None:
        if "{problem}" not in self.forward or "{solution}" in self.forward:
            raise ValueError("the forward template must contain {problem} and not {solution}")
        if "{solution}" not in self.backward or "{problem}" in self.backward:
            raise ValueError("the backward template must contain {solution} and not {problem}")

    def forward_pair(self, problem: str, solution: str) -> tuple[str, str]:
        """(prompt, completion): the solution written after the problem."""
        return self.forward.replace("{problem}", problem.strip()), " " + solution.strip()

    def backward_pair(self, problem: str, solution: str) -> tuple[str, str]:
        """(prompt, completion): the problem written back after the solution."""
        return self.backward.replace("{solution}", solution.strip()), " " + problem.strip()


DEFAULT_TWO_WAY_TEMPLATE = TwoWayTemplate()


def two_way_examples(right: Iterable[tuple[str, str]], template: TwoWayTemplate = DEFAULT_TWO_WAY_TEMPLATE,
                     ) -> list[TrainExample]:
    """Training examples from `(problem, solution graded right)` pairs: each pair once forward and once
    backward, identical pairs once, in order."""
    examples: list[TrainExample] = []
    for problem, solution in dict.fromkeys((problem.strip(), solution.strip()) for problem, solution in right):
        if not problem or not solution:
            continue
        for prompt, completion in (template.forward_pair(problem, solution), template.backward_pair(problem, solution)):
            examples.append(TrainExample(prompt=prompt, completion=completion))
    return examples


def two_way_score(forward_mean_logprob: float, backward_mean_logprob: float) -> float:
    """exp(forward + backward mean token log-probability); NaN when either is NaN."""
    if math.isnan(forward_mean_logprob) or math.isnan(backward_mean_logprob):
        return math.nan
    return math.exp(min(0.0, forward_mean_logprob + backward_mean_logprob))


def fit_to_context(prompt_ids: list[int], completion_ids: list[int], limit: int | None,
                   keep_first: bool) -> tuple[list[int], list[int], bool]:
    """Prompt and completion ids cut to at most `limit` tokens together: the prompt loses tokens from its
    start (after its first token when `keep_first`, a BOS), then, if the completion alone is too long,
    the completion loses its end. Returns the ids and whether anything was cut."""
    if limit is None or len(prompt_ids) + len(completion_ids) <= limit:
        return prompt_ids, completion_ids, False
    head = prompt_ids[:1] if keep_first and prompt_ids else []
    room = max(limit - len(completion_ids) - len(head), 0)
    body = prompt_ids[len(head):]
    kept_prompt = head + (body[len(body) - room:] if room else [])
    if not kept_prompt:
        kept_prompt = prompt_ids[:1]
    kept_completion = completion_ids[: max(limit - len(kept_prompt), 1)]
    return kept_prompt, kept_completion, True


class TwoWayEvaluator:
    """Scores solutions with a two-way evaluator model (see the module docstring), on a transformers model."""

    def __init__(self, model: Any, tokenizer: Any, *, template: TwoWayTemplate = DEFAULT_TWO_WAY_TEMPLATE,
                 name: str = "two-way", identity: str | None = None, batch_size: int = 32,
                 max_prompt_tokens: int | None = None) -> None:
        if not name or not name.strip():
            raise ConfigError("the evaluator's name (the scorer name in scores.jsonl) must not be empty")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
        self.name = name
        self.identity = identity
        self.batch_size = batch_size
        self.max_prompt_tokens = max_prompt_tokens
        self.truncated = 0

    @classmethod
    def from_pretrained(cls, path: str | Path, *, name: str | None = None, device: str = "cpu",
                        batch_size: int = 32, template: TwoWayTemplate = DEFAULT_TWO_WAY_TEMPLATE,
                        ) -> TwoWayEvaluator:
        """Load the model in the local directory `path` (a `final/` folder of `evalkit.training`)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from reranker.evaluator import default_scorer_name, model_context_length

        model_dir = Path(path).expanduser()
        if not (model_dir / "config.json").is_file():
            raise ConfigError(f"two-way evaluator not found: {path} has no config.json (give the local directory "
                              "of a fine-tuned model, e.g. .../final)")
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
            model = AutoModelForCausalLM.from_pretrained(str(model_dir)).to(device).eval()
        except (OSError, ValueError, RuntimeError) as error:
            raise ConfigError(f"cannot load two-way evaluator {path}: {str(error).splitlines()[0]}") from None
        digest = hashlib.sha256(repr(("two-way", template.forward, template.backward)).encode())
        update_with_directory(digest, model_dir)
        return cls(model, tokenizer, template=template, name=name or default_scorer_name(model_dir),
                   identity=digest.hexdigest()[:16], batch_size=batch_size,
                   max_prompt_tokens=model_context_length(model.config))

    def problem_fits(self, problem: str) -> bool:
        """Always: a text too long for the context is cut, never refused (see the module docstring)."""
        return True

    def _encode(self, prompt: str, completion: str) -> tuple[list[int], list[int]]:
        encoded = encode_example(self.tokenizer, prompt, completion, append_eos=False)
        split = sum(1 for label in encoded.labels if label == IGNORE_INDEX)
        prompt_ids, completion_ids = encoded.input_ids[:split], encoded.input_ids[split:]
        bos = getattr(self.tokenizer, "bos_token_id", None)
        keep_first = bos is not None and bool(prompt_ids) and prompt_ids[0] == bos
        prompt_ids, completion_ids, cut = fit_to_context(prompt_ids, completion_ids, self.max_prompt_tokens,
                                                         keep_first)
        self.truncated += int(cut)
        return prompt_ids + completion_ids, [IGNORE_INDEX] * len(prompt_ids) + completion_ids

    def _mean_logprobs(self, rows: Sequence[tuple[list[int], list[int]]]) -> list[float]:
        import torch

        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        device = next(self.model.parameters()).device
        means: list[float] = []
        for start in range(0, len(rows), self.batch_size):
            batch = pad_batch(rows[start:start + self.batch_size], pad_id)
            with torch.no_grad():
                logits = self.model(input_ids=batch["input_ids"].to(device),
                                    attention_mask=batch["attention_mask"].to(device)).logits
            sums = completion_logprobs(logits, batch["labels"].to(device)).cpu()
            counts = (batch["labels"][:, 1:] != IGNORE_INDEX).sum(dim=-1)
            means.extend(float(total) / int(count) if int(count) else math.nan for total, count in zip(sums, counts))
        return means

    def score(self, problems: Sequence[str], solutions: Sequence[str], *, batch_size: int | None = None) -> list[float]:
        """The score in (0, 1] of each (problem, solution) pair; identical pairs are computed once."""
        if len(problems) != len(solutions):
            raise ValueError(f"got {len(problems)} problems but {len(solutions)} solutions")
        if batch_size is not None:
            if batch_size < 1:
                raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
            self.batch_size = batch_size
        pairs = list(zip((problem.strip() for problem in problems), (solution.strip() for solution in solutions)))
        unique = list(dict.fromkeys(pairs))
        if not unique:
            return []
        forward = self._mean_logprobs([self._encode(*self.template.forward_pair(*pair)) for pair in unique])
        backward = self._mean_logprobs([self._encode(*self.template.backward_pair(*pair)) for pair in unique])
        by_pair = {pair: two_way_score(f, b) for pair, f, b in zip(unique, forward, backward)}
        return [by_pair[pair] for pair in pairs]


def write_kind_file(model_dir: str | Path, template: TwoWayTemplate = DEFAULT_TWO_WAY_TEMPLATE) -> None:
    """Mark `model_dir` as a two-way evaluator with its template (same content on every call)."""
    import json

    text = json.dumps({"kind": TWO_WAY, "forward": template.forward, "backward": template.backward}, indent=2) + "\n"
    (Path(model_dir) / KIND_FILE).write_text(text, encoding="utf-8")


def evaluator_kind(model_dir: str | Path) -> tuple[str, TwoWayTemplate | None]:
    """The kind of evaluator in `model_dir` (`two_way` with its template where `KIND_FILE` says so, else
    `verdict`); a ConfigError naming the file when it is unreadable or names another kind."""
    import json

    path = Path(model_dir).expanduser() / KIND_FILE
    if not path.exists() and not path.is_symlink():
        return VERDICT, None
    if not path.is_file():
        raise ConfigError(f"{path}: not a readable evaluator kind file (not a regular file)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("kind") != TWO_WAY:
            raise ValueError(f"expected kind {TWO_WAY!r}")
        return TWO_WAY, TwoWayTemplate(forward=str(data["forward"]), backward=str(data["backward"]))
    except (OSError, ValueError, KeyError) as error:
        raise ConfigError(f"{path}: not a readable evaluator kind file ({error})") from None


def load_evaluator(path: str | Path, *, backend: str = "hf", name: str | None = None, **options: Any):
    """The evaluator in the local directory `path`: a `TwoWayEvaluator` where its kind file says so (hf
    backend only; `device` and `batch_size` are its options), else a `SolutionEvaluator` through `backend`."""
    from reranker.evaluator import SolutionEvaluator

    kind, template = evaluator_kind(path)
    if kind == VERDICT:
        return SolutionEvaluator.from_pretrained(path, backend=backend, name=name, **options)
    if backend != "hf":
        raise ConfigError(f"{path} is a two-way evaluator, which scores on the hf backend only (got {backend!r})")
    unknown = sorted(set(options) - {"device", "batch_size"})
    if unknown:
        raise ConfigError(f"{path} is a two-way evaluator: option(s) {', '.join(unknown)} do not apply to it")
    from evalkit.backends.hf import resolve_device

    device = resolve_device(options.get("device") or "cpu")
    return TwoWayEvaluator.from_pretrained(path, name=name, device=device, batch_size=options.get("batch_size") or 32,
                                           template=template or DEFAULT_TWO_WAY_TEMPLATE)
