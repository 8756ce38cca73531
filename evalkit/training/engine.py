"""The fine-tuning engine: prompt/completion examples in, a checkpoint directory out.

One function, `finetune`, trains a causal language model on `TrainExample`s (TRL's `SFTTrainer`
for the `"lm"` objective, a transformers `Trainer` with our own loss for the pair objectives) and
writes everything a later reader needs into one output directory:

- `train_config.json`  the base model (resolved path and content identity), the settings, the data's
                       sha256, the run's fingerprint, and `source`: what the caller says the data came
                       from (the training problems, the config)
- `data.jsonl`         the training examples exactly as given (plus `eval.jsonl` when evaluating)
- `metrics.jsonl`      one JSON line per logging step: `step`, `epoch`, `loss`, `lr`, `grad_norm`, ...
- `checkpoints/`       `checkpoint-N/` every `save_steps` steps (model, optimizer, scheduler, RNG); the
                       latest `keep_checkpoints` (2 by default; None keeps all) are kept, older ones deleted
- `final/`             the trained model and its tokenizer (LoRA merged in), written atomically
- `result.json`        steps, final loss, and the step a resumed run started from

Objectives (`TrainSettings.objective`):

- `"lm"`: token-level cross-entropy on the completion tokens only, averaged over the completion
  tokens of an optimizer step. Prompt tokens (and padding) get the label -100, so the model learns
  to produce the completion, never the prompt. With `append_eos` the tokenizer's EOS token ends
  each completion, so the model learns to stop. TRL's `SFTTrainer` trains it on our tokenisation
  (below): it gets token ids and a completion mask, builds the labels, batches and computes the
  loss (in chunks, equal to the plain cross-entropy up to float rounding); `SFT_PINNED` pins every
  SFTConfig default that would change what is trained (no truncation, packing or padding-free
  batching, no added EOS, the plain NLL loss).
- `"pairwise"`: the margin variant of the solution evaluator. Each example is a pair that
  shares one completion (the " correct" verdict) under two prompts: `prompt` shows a correct
  solution and `rejected_prompt` an incorrect solution of the same problem. With
  `s(x) = sum over the completion's tokens t of log p(t | x, earlier completion tokens)`,
  the loss of a pair is `-log sigmoid(s(prompt) - s(rejected_prompt))`, averaged over the
  pairs of a batch: the verdict must be more likely for the correct solution than for the
  incorrect one, by as large a margin as possible. No EOS is appended for this objective.
- `"margin"`: the solution evaluator's margin loss of Liu et al. (2023). Pairs as above, each
  also naming the other verdict (`alternative`, " incorrect"). With
  `log S(x) = log p(c | x) - log(p(c | x) + p(i | x))`, where c and i are the first tokens of
  the two verdicts after the prompt x (exactly the score `reranker.SolutionEvaluator` reads),
  the loss of a pair is `max(0, log S(rejected_prompt) - log S(prompt) + margin)`, averaged.
- `"joint"`: the verdict's cross-entropy on single solutions plus a ranking loss on pairs, in one
  batch. Every example names its other verdict (`alternative`); an example without
  `rejected_prompt` is a single solution whose completion is its true verdict, one with it is a
  pair as above. With `d(x) = log p(c | x) - log p(i | x)` (the log-odds of the score `S`, c
  the completion's first token and i the alternative's), a single's loss is `-log S(x)` (the
  two-way cross-entropy of the verdict) and a pair's is `-log sigmoid(d(prompt) - d(rejected_prompt))`;
  the loss of a batch is the mean over its singles plus the mean over its pairs. The singles
  teach which problems a solution is likely right on, the pairs which of one problem's
  solutions is right: a small evaluator trained on cross-entropy alone learns the first and
  ranks a problem's own solutions near chance (`scripts/evaluator_ablation.py`).

No TRL trainer computes the pair objectives or the joint one, so they keep a `Trainer` subclass: TRL's
`RewardTrainer` scores a sequence with a classification head (another model than this generative
evaluator, whose score is read at the verdict token), and DPO-style trainers compare two
completions of one prompt against a reference model, where these pairs share the completion.

Tokenisation: the prompt is tokenised with the tokenizer's special tokens (a BOS token where
the tokenizer adds one, unless the prompt text already starts with it, as chat-template text
does), the completion without them, and the two id lists are concatenated. An example longer
than `max_length` tokens is left out of training, and every such example is listed by index
in `train_config.json` and printed, never dropped silently; a run in which no example fits
is an error.

Several processes: launched with `accelerate launch` (DDP, DeepSpeed, FSDP; see
`configs/accelerate/`), the trainer shards the batches; only the main process writes files,
and all processes return the same `TrainResult`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalkit.backends.model_location import loading_failure, model_load_errors
from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import (
    JsonlAppender,
    dumps_line,
    read_json_object,
    read_jsonl,
    write_jsonl,
)
from evalkit.paths import file_in_the_way
from evalkit.store.lock import LOCK_FILE
from evalkit.training.base_model import BaseModelRef, as_base_model, same_base_model
from evalkit.text_safety import for_terminal

OBJECTIVES = ("lm", "pairwise", "margin", "joint")
PAIR_OBJECTIVES = ("pairwise", "margin")
"""Objectives whose every example is a (correct, incorrect) pair."""
VERDICT_OBJECTIVES = ("margin", "joint")
"""Objectives that read the other verdict's token (`TrainExample.alternative`) of every example."""
OWN_TRAINER_OBJECTIVES = (*PAIR_OBJECTIVES, "joint")
"""Objectives trained by evalkit's own `Trainer` subclass (no TRL trainer computes them)."""
IGNORE_INDEX = -100
CONFIG_FILE = "train_config.json"
RESULT_NEUTRAL_SETTINGS = ("keep_checkpoints",)
"""Settings that cannot change what is trained: left out of the run's fingerprint, so a resume may change them."""
DATA_FILE = "data.jsonl"
EVAL_DATA_FILE = "eval.jsonl"
METRICS_FILE = "metrics.jsonl"
RESULT_FILE = "result.json"
CHECKPOINTS_DIR = "checkpoints"
FINAL_DIR = "final"
_CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")


@dataclass(frozen=True)
class TrainExample:
    """One training example: loss on `completion`, never on `prompt`.

    `rejected_prompt` is used by the pair objectives only: the prompt under which the same
    completion should be *less* likely than under `prompt`; `alternative` by the `"margin"`
    objective only: the other verdict (see the module docstring).
    """

    prompt: str
    completion: str
    rejected_prompt: str | None = None
    alternative: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"prompt": self.prompt, "completion": self.completion}
        if self.rejected_prompt is not None:
            data["rejected_prompt"] = self.rejected_prompt
        if self.alternative is not None:
            data["alternative"] = self.alternative
        return data


@dataclass(frozen=True)
class LoraSettings:
    """LoRA adapters (PEFT) on `target_modules`; merged into the base weights when saving `final/`."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters of one fine-tuning run (per-device batch size; `max_steps` overrides `epochs`).

    `bf16` trains in bfloat16 mixed precision (GPUs); `gradient_checkpointing` trades compute
    for activation memory. Both are off by default, which is what a CPU wants.
    """

    learning_rate: float = 1e-5
    epochs: float = 1.0
    max_steps: int | None = None
    batch_size: int = 8
    grad_accum: int = 1
    max_length: int = 1024
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    lora: LoraSettings | None = None
    seed: int = 0
    save_steps: int | None = None
    keep_checkpoints: int | None = 2
    logging_steps: int = 10
    append_eos: bool = True
    objective: str = "lm"
    bf16: bool = False
    gradient_checkpointing: bool = False
    margin: float = 1.0

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        positive = {"batch_size": self.batch_size, "grad_accum": self.grad_accum, "max_length": self.max_length,
                    "logging_steps": self.logging_steps}
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"{name} must be >= 1, got {value}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(f"max_steps must be >= 1 or None, got {self.max_steps}")
        if self.save_steps is not None and self.save_steps < 1:
            raise ConfigError(f"save_steps must be >= 1 or None, got {self.save_steps}")
        if self.keep_checkpoints is not None and self.keep_checkpoints < 1:
            raise ConfigError(f"keep_checkpoints must be >= 1 or None, got {self.keep_checkpoints}")
        if self.epochs <= 0 or self.learning_rate <= 0:
            raise ConfigError("epochs and learning_rate must be positive")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ConfigError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.lora is not None:
            data["lora"]["target_modules"] = list(self.lora.target_modules)
        return data


@dataclass(frozen=True)
class TrainResult:
    """Where the trained model is, how many optimizer steps it took, and its last logged loss."""

    checkpoint: Path
    steps: int
    final_loss: float
    log_path: Path


@dataclass(frozen=True)
class EncodedExample:
    """Token ids of one example; `labels` is -100 on prompt tokens."""

    input_ids: list[int]
    labels: list[int]


@dataclass(frozen=True)
class EncodedData:
    """The tokenised training set and the indices of examples left out for being too long."""

    features: list[dict[str, list[int]]]
    too_long: list[int] = field(default_factory=list)


# --- tokenisation and batching (pure functions of the tokenizer and the text) -----------------

def _prompt_ids(tokenizer, prompt: str) -> list[int]:
    bos = tokenizer.bos_token
    carries_bos = bool(bos) and prompt.startswith(bos)
    return list(tokenizer(prompt, add_special_tokens=not carries_bos)["input_ids"])


def encode_example(tokenizer, prompt: str, completion: str, *, append_eos: bool) -> EncodedExample:
    """Prompt ids + completion ids (+ EOS); labels copy the completion part and mask the prompt with -100."""
    prompt_ids = _prompt_ids(tokenizer, prompt)
    completion_ids = list(tokenizer(completion, add_special_tokens=False)["input_ids"])
    if append_eos:
        if tokenizer.eos_token_id is None:
            raise ConfigError("append_eos is set but the tokenizer has no EOS token")
        completion_ids.append(tokenizer.eos_token_id)
    if not completion_ids:
        raise InputError("completion is empty: there is nothing to train on", field="completion")
    return EncodedExample(prompt_ids + completion_ids, [IGNORE_INDEX] * len(prompt_ids) + completion_ids)


def _first_token(tokenizer, text: str) -> int:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if not ids:
        raise InputError(f"the verdict {text!r} has no tokens", field="alternative")
    return int(ids[0])


def encode_dataset(tokenizer, examples: Sequence[TrainExample], settings: TrainSettings) -> EncodedData:
    """Tokenise every example for the settings' objective; too-long examples are listed, not kept."""
    features: list[dict[str, list[int]]] = []
    too_long: list[int] = []
    for index, example in enumerate(examples):
        if settings.objective in OWN_TRAINER_OBJECTIVES:
            rows = [encode_example(tokenizer, example.prompt, example.completion, append_eos=False)]
            if example.rejected_prompt is not None:
                rows.append(encode_example(tokenizer, example.rejected_prompt, example.completion, append_eos=False))
            if max(len(row.input_ids) for row in rows) > settings.max_length:
                too_long.append(index)
                continue
            feature = {"chosen_input_ids": rows[0].input_ids, "chosen_labels": rows[0].labels}
            if len(rows) == 2:
                feature |= {"rejected_input_ids": rows[1].input_ids, "rejected_labels": rows[1].labels}
            if settings.objective in VERDICT_OBJECTIVES:
                feature["alternative_id"] = [_first_token(tokenizer, example.alternative or "")]
            features.append(feature)
        else:
            encoded = encode_example(tokenizer, example.prompt, example.completion, append_eos=settings.append_eos)
            if len(encoded.input_ids) > settings.max_length:
                too_long.append(index)
                continue
            features.append({"input_ids": encoded.input_ids, "labels": encoded.labels})
    return EncodedData(features, too_long)


def pad_batch(rows: Sequence[tuple[list[int], list[int]]], pad_id: int) -> dict[str, Any]:
    """Right-pad `(input_ids, labels)` rows into `input_ids`, `attention_mask` and `labels` tensors."""
    import torch

    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for row, (ids, row_labels) in enumerate(rows):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        labels[row, : len(row_labels)] = torch.tensor(row_labels, dtype=torch.long)
        attention[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def sft_columns(features: Sequence[dict[str, list[int]]]) -> dict[str, list[list[int]]]:
    """`lm` features as the columns TRL's `SFTTrainer` takes as already tokenised data: `input_ids`, and
    `completion_mask` (1 on the tokens the loss is on, 0 on the prompt), from which it builds the labels."""
    return {"input_ids": [item["input_ids"] for item in features],
            "completion_mask": [[int(label != IGNORE_INDEX) for label in item["labels"]] for item in features]}


@dataclass(frozen=True)
class PairCollator:
    """Batches the features of evalkit's own trainer as one tensor: the single solutions first (the
    `"joint"` objective's examples without a rejected prompt), then the P chosen rows of the pairs, then
    their P rejected rows; `single_count` says how many rows are singles."""

    pad_id: int

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        singles = [item for item in features if "rejected_input_ids" not in item]
        pairs = [item for item in features if "rejected_input_ids" in item]
        ordered = singles + pairs
        rows = [(item["chosen_input_ids"], item["chosen_labels"]) for item in ordered]
        rows += [(item["rejected_input_ids"], item["rejected_labels"]) for item in pairs]
        batch = pad_batch(rows, self.pad_id)
        out = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"], "pair_labels": batch["labels"],
               "single_count": torch.tensor(len(singles), dtype=torch.long)}
        if "alternative_id" in features[0]:
            alternative = [item["alternative_id"][0] for item in ordered]
            alternative += [item["alternative_id"][0] for item in pairs]
            out["alternative_ids"] = torch.tensor(alternative, dtype=torch.long)
        return out


def completion_logprobs(logits, labels):
    """Per row: the sum of log p(label token) over the positions whose label is not -100.

    `logits[:, t]` predicts token `t + 1`, so logits and labels are shifted by one against each other.
    """
    import torch

    shifted_logits = logits[:, :-1, :].float()
    shifted_labels = labels[:, 1:]
    mask = shifted_labels != IGNORE_INDEX
    safe_labels = shifted_labels.masked_fill(~mask, 0)
    token_logprobs = torch.log_softmax(shifted_logits, dim=-1).gather(-1, safe_labels.unsqueeze(-1)).squeeze(-1)
    return (token_logprobs * mask).sum(dim=-1)


def verdict_log_odds(logits, labels, alternative_ids):
    """Per row, `d = log p(c) - log p(i)` at the first completion position, where c is the row's first
    completion token and i its `alternative_ids` entry (the other verdict's first token)."""
    import torch

    has_label = labels != IGNORE_INDEX
    first = has_label.float().argmax(dim=1)  # position of the first completion token
    rows = torch.arange(labels.shape[0], device=labels.device)
    verdict_logits = logits[rows, first - 1].float()
    return verdict_logits[rows, labels[rows, first]] - verdict_logits[rows, alternative_ids]


def verdict_log_scores(logits, labels, alternative_ids):
    """Per row, `log S = log p(c) - log(p(c) + p(i))` (see `verdict_log_odds`), i.e. `log sigmoid(d)`."""
    import torch

    return torch.nn.functional.logsigmoid(verdict_log_odds(logits, labels, alternative_ids))


def verdict_margin_loss(logits, labels, alternative_ids, margin: float):
    """Liu et al.'s margin loss `max(0, log S(incorrect solution) - log S(correct solution) + margin)`, averaged
    over pairs; rows are [chosen..., rejected...]."""
    import torch

    chosen, rejected = verdict_log_scores(logits, labels, alternative_ids).chunk(2)
    return torch.relu(rejected - chosen + margin).mean()


def joint_verdict_loss(logits, labels, alternative_ids, single_count: int):
    """The `"joint"` objective: `-log S` averaged over the first `single_count` rows (single solutions, each
    with its true verdict as completion) plus `-log sigmoid(d_chosen - d_rejected)` averaged over the pairs
    in the remaining rows ([chosen..., rejected...]); a part with no rows adds nothing."""
    import torch

    log_odds = verdict_log_odds(logits, labels, alternative_ids)
    singles, paired = log_odds[:single_count], log_odds[single_count:]
    loss = log_odds.new_zeros(())
    if single_count:
        loss = loss - torch.nn.functional.logsigmoid(singles).mean()
    if paired.numel():
        chosen, rejected = paired.chunk(2)
        loss = loss - torch.nn.functional.logsigmoid(chosen - rejected).mean()
    return loss


def pairwise_margin_loss(logits, labels):
    """`-log sigmoid(s_chosen - s_rejected)`, averaged over pairs; rows are [chosen..., rejected...]."""
    import torch

    scores = completion_logprobs(logits, labels)
    chosen, rejected = scores.chunk(2)
    return -torch.nn.functional.logsigmoid(chosen - rejected).mean()


# --- files of one training run ---------------------------------------------------------------

def examples_sha256(examples: Sequence[TrainExample]) -> str:
    """A digest of the examples in order, as written to `data.jsonl`."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(dumps_line(example.to_dict()).encode("utf-8"))
    return digest.hexdigest()


def run_fingerprint(base_model: BaseModelRef | str | Path, settings: TrainSettings, train_sha: str,
                    eval_sha: str | None) -> str:
    """What decides a run's result: the base model (a local directory by its content, see
    `evalkit.training.base_model`), the settings and the data. A resume must match it."""
    key = base_model.key if isinstance(base_model, BaseModelRef) else str(base_model)
    deciding = {name: value for name, value in settings.to_dict().items() if name not in RESULT_NEUTRAL_SETTINGS}
    identity = {"base_model": key, "settings": deciding, "train": train_sha, "eval": eval_sha}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def last_complete_checkpoint(checkpoints_dir: Path) -> Path | None:
    """The highest-numbered `checkpoint-N` whose `trainer_state.json` (written last) exists."""
    if not checkpoints_dir.is_dir():
        return None
    complete = [
        (int(match.group(1)), path) for path in checkpoints_dir.iterdir()
        if (match := _CHECKPOINT_NAME.match(path.name)) and (path / "trainer_state.json").exists()
    ]
    return max(complete)[1] if complete else None


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    _write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _trim_metrics(path: Path, last_step: int) -> None:
    """Keep only the metric lines up to `last_step`: a resumed run logs the later steps again."""
    if path.exists():
        write_jsonl(path, [record for record in read_jsonl(path, tolerate_partial_tail=True)
                           if int(record.get("step", 0)) <= last_step])


def last_logged_loss(metrics_path: Path) -> float | None:
    """The `loss` of the last metrics line that has one."""
    if not metrics_path.exists():
        return None
    losses = [record["loss"] for record in read_jsonl(metrics_path, tolerate_partial_tail=True) if "loss" in record]
    return float(losses[-1]) if losses else None


def _check_examples(train: Sequence[TrainExample], settings: TrainSettings) -> None:
    if not train:
        raise InputError("no training examples")
    for index, example in enumerate(train):
        if not isinstance(example, TrainExample):
            raise InputError(f"example {index} is a {type(example).__name__}, not a TrainExample")
        if settings.objective in VERDICT_OBJECTIVES and not example.alternative:
            raise InputError(f"example {index} has no alternative verdict, which the {settings.objective} objective "
                             "needs", field="alternative")
        if example.rejected_prompt is not None and not example.rejected_prompt.strip():
            raise InputError(f"example {index} has an empty rejected_prompt", field="rejected_prompt")
        if settings.objective in PAIR_OBJECTIVES and not example.rejected_prompt:
            raise InputError(f"example {index} has no rejected_prompt, which the {settings.objective} objective needs",
                             field="rejected_prompt")


RUN_FILES = frozenset({CONFIG_FILE, DATA_FILE, EVAL_DATA_FILE, METRICS_FILE, RESULT_FILE, CHECKPOINTS_DIR, FINAL_DIR,
                       LOCK_FILE})
"""The names `finetune` writes into its output directory (each may also appear as `NAME.tmp` mid-write),
and the lock of the `evalkit train` command that works in it."""


def foreign_files(out_dir: Path, known: frozenset[str] | set[str]) -> list[str]:
    """The entries of `out_dir` that are none of `known` (nor an interrupted `NAME.tmp` write of one)."""
    if not out_dir.is_dir():
        return []
    return sorted(path.name for path in out_dir.iterdir()
                  if path.name not in known and path.name.removesuffix(".tmp") not in known)


def check_out_dir(out_dir: Path, base: BaseModelRef, other_files: Sequence[str] = (), *,
                  run_config: str = CONFIG_FILE) -> None:
    """Refuse an output directory that is (or is inside) the base model's directory, or that holds files
    that are not a training run's (`RUN_FILES` + `other_files`) while it holds no `run_config` (a
    relative path) to show it is one."""
    out_dir = Path(out_dir)
    in_the_way = file_in_the_way(out_dir)
    if in_the_way is not None:
        raise ConfigError(f"the output directory {out_dir} {in_the_way}: give another --out (a new or empty directory)")
    resolved = out_dir.expanduser().resolve()
    if base.directory is not None and (resolved == base.directory or base.directory in resolved.parents):
        raise ConfigError(f"the output directory {out_dir} is {'' if resolved == base.directory else 'inside '}"
                          f"the base model's directory {base.given}: give another --out")
    if (out_dir / run_config).exists():
        return
    strangers = foreign_files(out_dir, RUN_FILES | set(other_files))
    if strangers:
        shown = ", ".join(strangers[:5]) + (f" and {len(strangers) - 5} more" if len(strangers) > 5 else "")
        raise ConfigError(f"the output directory {out_dir} holds files that are not a training run's ({shown}): "
                          "give another --out (an empty or new directory)")


def changed_inputs(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Which inputs of a training run differ between `train_config.json` on disk and now, in words."""
    changes = []
    stored_settings = stored.get("settings") or {}
    differing = sorted(name for name in set(stored_settings) | set(current["settings"])
                       if name not in RESULT_NEUTRAL_SETTINGS and stored_settings.get(name) != current["settings"].get(name))
    if differing:
        changes.append(f"the settings changed ({', '.join(differing)})")
    if stored.get("train_sha256") != current["train_sha256"]:
        counts = (f" ({stored.get('train_examples')} examples on disk, {current['train_examples']} now)"
                  if stored.get("train_examples") != current["train_examples"] else "")
        changes.append(f"the training data changed{counts}")
    if stored.get("eval_sha256") != current["eval_sha256"]:
        changes.append("the evaluation data changed")
    if not same_base_model(stored, current):
        if stored.get("base_model") == current["base_model"]:
            changes.append(f"the base model changed ({current['base_model']} holds another model than the one "
                           "this run was trained from)")
        else:
            changes.append(f"the base model changed ({stored.get('base_model')} on disk, {current['base_model']} now)")
    return changes


def _claim_out_dir(out_dir: Path, fingerprint: str, identity: dict[str, Any], resume: bool, is_main: bool, *,
                   legacy_fingerprint: str | None = None) -> None:
    """Refuse an output directory that holds a different run, saying which input changed; start over
    when `resume` is False. A run recorded before base models had a content identity (no
    `base_model_identity` on disk) is accepted under its old fingerprint, `legacy_fingerprint`
    (the base model's path string in place of its content)."""
    config_path = out_dir / CONFIG_FILE
    if not resume and is_main:
        for name in (CHECKPOINTS_DIR, FINAL_DIR, FINAL_DIR + ".tmp"):
            shutil.rmtree(out_dir / name, ignore_errors=True)
        for name in (METRICS_FILE, RESULT_FILE, CONFIG_FILE):
            (out_dir / name).unlink(missing_ok=True)
        return
    if config_path.exists():
        stored = read_json_object(config_path)
        legacy = "base_model_identity" not in stored and stored.get("fingerprint") == legacy_fingerprint
        if stored.get("fingerprint") != fingerprint and not legacy:
            unknown = f"an input changed (fingerprint {stored.get('fingerprint')} on disk, {fingerprint} now)"
            changes = changed_inputs(stored, identity) or [unknown]
            raise ConfigError(
                f"{out_dir} holds a training run of other inputs: {'; '.join(changes)}. Train into another "
                f"--out, or delete {out_dir} to start over there."
            )


# --- the Trainer pieces ---------------------------------------------------------------------

def process_state():
    """accelerate's view of this process (rank, world size), set up the way the `Trainer` sets it up.

    Without a GPU the state must be created with `cpu=True`: under a multi-process launcher
    that is what makes the processes join one gloo process group instead of each believing
    it runs alone.
    """
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def _callbacks(metrics_path: Path, show_progress: bool):
    from transformers import TrainerCallback

    from evalkit.progress import make_progress

    class MetricsLogCallback(TrainerCallback):
        """Appends every `Trainer` log (main process only) to `metrics.jsonl`; the last step is always logged, so
        that the final loss is the last step's (its logging window's mean), not the one `logging_steps` before."""

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step >= state.max_steps:
                control.should_log = True
            return control

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero or not logs:
                return
            record: dict[str, Any] = {"step": state.global_step, "epoch": state.epoch}
            for key, value in logs.items():
                record["lr" if key == "learning_rate" else key] = value
            with JsonlAppender(metrics_path) as appender:
                appender.write(record)

    class RichProgressCallback(TrainerCallback):
        """A rich progress bar over optimizer steps, showing the last logged loss."""

        def __init__(self) -> None:
            self.progress = None
            self.task = None

        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                self.progress = make_progress(disable=not show_progress)
                self.progress.start()
                self.task = self.progress.add_task("training", total=state.max_steps, completed=state.global_step)

        def on_step_end(self, args, state, control, **kwargs):
            if self.progress is not None:
                self.progress.update(self.task, completed=state.global_step)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if self.progress is not None and logs and "loss" in logs:
                self.progress.update(self.task, description=f"training (loss {logs['loss']:.4f})")

        def on_train_end(self, args, state, control, **kwargs):
            if self.progress is not None:
                self.progress.stop()
                self.progress = None

    return [MetricsLogCallback(), RichProgressCallback()]


def tied_parameter_names(model: Any) -> frozenset[str]:
    """The names under which a model reaches a parameter it also holds under an earlier name (the
    output embedding tied to the input one): a checkpoint stores each such tensor once."""
    every = {name for name, _ in model.named_parameters(remove_duplicate=False)}
    return frozenset(every - {name for name, _ in model.named_parameters()})


class _TiedWeightsAreNotMissing:
    """Mixed into a `Trainer`: a resumed checkpoint lacks the tied output embedding by design (it is
    the input embedding); transformers would warn that it is missing on every resume."""

    def _issue_warnings_after_load(self, load_result: Any) -> None:
        tied = tied_parameter_names(self.model)
        missing = [key for key in load_result.missing_keys if key not in tied]
        if len(missing) < len(load_result.missing_keys):
            self.model.tie_weights()
            load_result = load_result._replace(missing_keys=missing)
        super()._issue_warnings_after_load(load_result)


def _own_trainer_class(objective: str, margin: float = 1.0):
    from transformers import Trainer

    class VerdictTrainer(_TiedWeightsAreNotMissing, Trainer):
        """A `Trainer` whose loss is the objective's: `pairwise_margin_loss`, `verdict_margin_loss` or
        `joint_verdict_loss`."""

        loss_is_scaled_for_ga = False  # a mean over pairs: the Trainer divides by grad_accum itself

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.pop("pair_labels")
            alternative_ids = inputs.pop("alternative_ids", None)
            single_count = int(inputs.pop("single_count"))
            outputs = model(**inputs)
            if objective == "joint":
                loss = joint_verdict_loss(outputs.logits, labels, alternative_ids, single_count)
            elif objective == "margin":
                loss = verdict_margin_loss(outputs.logits, labels, alternative_ids, margin)
            else:
                loss = pairwise_margin_loss(outputs.logits, labels)
            return (loss, outputs) if return_outputs else loss

    return VerdictTrainer


def _completion_trainer_class():
    from trl import SFTTrainer

    class CompletionTrainer(_TiedWeightsAreNotMissing, SFTTrainer):
        """TRL's `SFTTrainer`, less the model card it writes next to each checkpoint: `checkpoints/` holds
        checkpoints only."""

        def create_model_card(self, *args, **kwargs) -> None:
            return None

    return CompletionTrainer


SFT_PINNED = {
    "max_length": None,  # overlong examples are left out and listed before training, never truncated
    "packing": False,
    "padding_free": False,
    "pad_to_multiple_of": None,
    "completion_only_loss": True,
    "assistant_only_loss": False,
    "shuffle_dataset": False,
    "loss_type": "nll",
    "eos_token": None,  # `append_eos` adds the EOS token in our tokenisation; TRL adds none to tokenised data
    "dataset_kwargs": None,  # TRL builds the labels from `completion_mask`
    "dataset_num_proc": None,
    "use_liger_kernel": False,
    "label_smoothing_factor": 0.0,
}
"""The `SFTConfig` fields whose TRL defaults would change what the `"lm"` objective trains, pinned."""


def _training_arguments(settings: TrainSettings, checkpoints_dir: Path, has_eval: bool):
    """`TrainingArguments` for the pair objectives, TRL's `SFTConfig` (with `SFT_PINNED`) for `"lm"`."""
    import torch
    from transformers import TrainingArguments

    if settings.objective == "lm":
        from trl import SFTConfig

        arguments_class, pinned = SFTConfig, SFT_PINNED
    else:
        arguments_class, pinned = TrainingArguments, {}
    return arguments_class(
        **pinned,
        output_dir=str(checkpoints_dir),
        learning_rate=settings.learning_rate,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps if settings.max_steps is not None else -1,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        warmup_steps=settings.warmup_ratio,
        weight_decay=settings.weight_decay,
        lr_scheduler_type="linear",
        optim="adamw_torch",
        seed=settings.seed,
        data_seed=settings.seed,
        logging_strategy="steps",
        logging_steps=settings.logging_steps,
        save_strategy="steps" if settings.save_steps else "no",
        save_steps=settings.save_steps or 500,
        save_total_limit=settings.keep_checkpoints,
        eval_strategy="steps" if has_eval and settings.save_steps else "no",
        eval_steps=settings.save_steps if has_eval and settings.save_steps else None,
        bf16=settings.bf16,
        gradient_checkpointing=settings.gradient_checkpointing,
        remove_unused_columns=False,
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        use_cpu=not torch.cuda.is_available(),
        ddp_find_unused_parameters=False,
    )


def check_lora_targets(targets: Sequence[str], module_names: Sequence[str], model: str | Path, *,
                       field: str = "lora.target_modules") -> None:
    """Refuse LoRA `target_modules` that name no module of the model (PEFT matches a module whose
    dotted name is the target or ends in `.target`), listing the names the model's layers have.
    `field` is the config field the targets came from, for the message."""
    unknown = [target for target in targets
               if not any(name == target or name.endswith("." + target) for name in module_names)]
    if unknown:
        last_names = {name.rsplit(".", 1)[-1] for name in module_names if name}
        known = sorted(name for name in last_names if not name.isdigit())
        raise ConfigError(f"field '{field}': {', '.join(map(repr, unknown))} names no module of the "
                          f"model {model} (its modules: {', '.join(known)})")


def check_trainer_fits(settings: TrainSettings, *, processes: int, visible_gpus: int) -> None:
    """Refuse, before the run directory is claimed, what TRL's `SFTTrainer` (the `"lm"` objective)
    cannot do, in our words: several GPUs seen by one process (the `Trainer` would wrap the model
    in `nn.DataParallel`, which TRL refuses from inside)."""
    if settings.objective == "lm" and processes == 1 and visible_gpus > 1:
        raise ConfigError(f"{visible_gpus} GPUs are visible to one training process: launch with `accelerate launch` "
                          "(see configs/accelerate/) to use them all, or make one visible with CUDA_VISIBLE_DEVICES=0")


USUAL_OUTPUT_LAYER = "lm_head"
"""The output layer's module name in most causal LMs; a config is checked against it before any model loads."""


def adapts_output_layer(objective: str, targets: Sequence[str], output_layer: str | None) -> bool:
    """Whether LoRA `targets` put an adapter on the output layer (`output_layer`, the last part of its
    module name) under the `"lm"` objective, which cannot train it: TRL's `SFTTrainer` reads that
    layer's weight directly (and refuses such an adapter from inside)."""
    return objective == "lm" and output_layer is not None and output_layer in targets


def check_lora_output_layer(settings: TrainSettings, output_layer: str | None) -> None:
    """Refuse a LoRA adapter on the model's output layer for the `"lm"` objective (`adapts_output_layer`)."""
    if settings.lora is not None and adapts_output_layer(settings.objective, settings.lora.target_modules,
                                                         output_layer):
        raise ConfigError(f"field 'lora.target_modules': {output_layer!r} (the model's output layer) cannot take a "
                          "LoRA adapter with the lm objective; leave it out")


def _load_model(base_model: str | Path, settings: TrainSettings):
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

    set_seed(settings.seed)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    except model_load_errors() as error:
        raise loading_failure(base_model, "tokenizer", error) from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    try:
        model = AutoModelForCausalLM.from_pretrained(str(base_model), dtype="auto")
    except model_load_errors() as error:
        raise loading_failure(base_model, "weights or config", error) from None
    if settings.lora is not None:
        from peft import LoraConfig, get_peft_model

        check_lora_targets(settings.lora.target_modules, [name for name, _ in model.named_modules()], base_model)
        output = model.get_output_embeddings()
        check_lora_output_layer(settings, next((name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                                                if output is not None and module is output), None))
        model = get_peft_model(model, LoraConfig(
            r=settings.lora.r, lora_alpha=settings.lora.alpha, lora_dropout=settings.lora.dropout,
            target_modules=list(settings.lora.target_modules), task_type="CAUSAL_LM",
        ))
    return model, tokenizer


def _save_final(trainer, tokenizer, out_dir: Path, result: dict[str, Any]) -> None:
    """Write `final/` (LoRA merged) through a temporary directory, so a half-saved model never counts."""
    staging = out_dir / (FINAL_DIR + ".tmp")
    if trainer.is_world_process_zero():
        shutil.rmtree(staging, ignore_errors=True)
    model = trainer.model
    if hasattr(model, "merge_and_unload"):
        if trainer.is_world_process_zero():
            model.merge_and_unload().save_pretrained(staging)
    else:
        trainer.save_model(str(staging))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(staging)
        _write_json(out_dir / RESULT_FILE, result)
        os.replace(staging, out_dir / FINAL_DIR)
    trainer.accelerator.wait_for_everyone()


def _result_from_disk(out_dir: Path) -> TrainResult:
    saved = read_json_object(out_dir / RESULT_FILE)
    return TrainResult(checkpoint=out_dir / FINAL_DIR, steps=int(saved["steps"]),
                       final_loss=float(saved["final_loss"]), log_path=out_dir / METRICS_FILE)


def _make_trainer(model, tokenizer, settings: TrainSettings, checkpoints_dir: Path, encoded: EncodedData,
                  encoded_eval: EncodedData | None, callbacks):
    """TRL's `SFTTrainer` on the tokenised data for `"lm"` (its collator, given the pad id, leaves the model's
    config as it is), our own `Trainer` and `PairCollator` for the pair and joint objectives."""
    args = _training_arguments(settings, checkpoints_dir, encoded_eval is not None)
    pad_id = tokenizer.pad_token_id
    if settings.objective in OWN_TRAINER_OBJECTIVES:
        return _own_trainer_class(settings.objective, settings.margin)(
            model=model, args=args, data_collator=PairCollator(pad_id), train_dataset=encoded.features,
            eval_dataset=encoded_eval.features if encoded_eval else None, processing_class=tokenizer,
            callbacks=callbacks)
    import datasets
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    bars_were_off = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()  # TRL's label building would print a bar per run, --quiet or not
    try:
        return _completion_trainer_class()(
            model=model, args=args, data_collator=DataCollatorForLanguageModeling(pad_token_id=pad_id),
            train_dataset=datasets.Dataset.from_dict(sft_columns(encoded.features)),
            eval_dataset=datasets.Dataset.from_dict(sft_columns(encoded_eval.features)) if encoded_eval else None,
            processing_class=tokenizer, callbacks=callbacks)
    finally:
        if not bars_were_off:
            datasets.enable_progress_bars()


# --- the entry point ------------------------------------------------------------------------

def finetune(base_model: str | Path | BaseModelRef, train: Sequence[TrainExample], out_dir: Path,
             settings: TrainSettings, *, eval_examples: Sequence[TrainExample] | None = None, resume: bool = True,
             show_progress: bool = True, record: Mapping[str, Any] | None = None,
             other_files: Sequence[str] = (), caller_files: Mapping[str, str] | None = None) -> TrainResult:
    """Fine-tune `base_model` on `train`; return the final checkpoint (see the module docstring).

    With `resume=True` a second call with the same inputs returns at once when `final/`
    exists, and otherwise continues from the last complete checkpoint; inputs that differ
    from those recorded in `out_dir` (the base model's content included) are refused, naming
    what changed. `resume=False` deletes earlier outputs first. `out_dir` may not be the base
    model's directory, nor hold files other than a run's own and `other_files` (the caller's,
    e.g. a stage's data summary). `record` (the training problems, the config) is written into
    `train_config.json` under `source`, so the run says what it was trained on. `caller_files` (name:
    text, e.g. a stage's data summary) are written into `out_dir` once its inputs are accepted, so
    a refused call leaves the run it found as it was.
    """
    from rich.console import Console
    from transformers.trainer_callback import PrinterCallback

    out_dir = Path(out_dir)
    _check_examples(train, settings)
    base = as_base_model(base_model)
    check_out_dir(out_dir, base, other_files)
    eval_examples = list(eval_examples or [])
    state = process_state()
    import torch

    check_trainer_fits(settings, processes=state.num_processes, visible_gpus=torch.cuda.device_count())
    train_sha = examples_sha256(train)
    eval_sha = examples_sha256(eval_examples) if eval_examples else None
    fingerprint = run_fingerprint(base, settings, train_sha, eval_sha)
    identity = {**base.to_dict(), "settings": settings.to_dict(), "train_examples": len(train),
                "train_sha256": train_sha, "eval_examples": len(eval_examples), "eval_sha256": eval_sha}
    if state.is_main_process:
        out_dir.mkdir(parents=True, exist_ok=True)
    _claim_out_dir(out_dir, fingerprint, identity, resume, state.is_main_process,
                   legacy_fingerprint=run_fingerprint(base.given, settings, train_sha, eval_sha))
    if state.is_main_process:
        for name, text in (caller_files or {}).items():
            _write_text(out_dir / name, text)
    state.wait_for_everyone()
    if resume and (out_dir / FINAL_DIR).is_dir() and (out_dir / RESULT_FILE).exists():
        return _result_from_disk(out_dir)

    model, tokenizer = _load_model(base.location, settings)
    encoded = encode_dataset(tokenizer, train, settings)
    encoded_eval = encode_dataset(tokenizer, eval_examples, settings) if eval_examples else None
    console = Console(stderr=True, quiet=not state.is_main_process)
    if encoded.too_long:
        console.print(f"[yellow]left out {len(encoded.too_long)} of {len(train)} examples longer than "
                      f"max_length={settings.max_length} tokens[/] (indices in {for_terminal(out_dir / CONFIG_FILE)})")
    if not encoded.features:
        raise InputError(f"every training example is longer than max_length={settings.max_length} tokens")

    checkpoints_dir = out_dir / CHECKPOINTS_DIR
    resume_from = last_complete_checkpoint(checkpoints_dir) if resume else None
    if resume and resume_from is None and (out_dir / METRICS_FILE).exists():
        console.print(f"[yellow]{for_terminal(out_dir)} holds an interrupted run without a complete checkpoint "
                      f"(`save_steps` {'is not set' if settings.save_steps is None else f'= {settings.save_steps}'}"
                      "): training starts again from step 0[/]")
    if state.is_main_process:
        write_jsonl(out_dir / DATA_FILE, (example.to_dict() for example in train))
        if eval_examples:
            write_jsonl(out_dir / EVAL_DATA_FILE, (example.to_dict() for example in eval_examples))
        _write_json(out_dir / CONFIG_FILE, {
            **identity, "fingerprint": fingerprint, "too_long": encoded.too_long, "world_size": state.num_processes,
            "source": dict(record or {}),
        })
        resumed_step = int(resume_from.name.split("-")[1]) if resume_from else 0
        if resume_from is None:
            (out_dir / METRICS_FILE).unlink(missing_ok=True)
        else:
            _trim_metrics(out_dir / METRICS_FILE, resumed_step)
    state.wait_for_everyone()

    trainer = _make_trainer(model, tokenizer, settings, checkpoints_dir, encoded, encoded_eval,
                            _callbacks(out_dir / METRICS_FILE, show_progress))
    trainer.remove_callback(PrinterCallback)
    if resume_from is not None:
        console.print(f"resuming {for_terminal(out_dir)} from {for_terminal(resume_from.name)}")
    output = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    if encoded_eval is not None:
        trainer.evaluate()
    final_loss = last_logged_loss(out_dir / METRICS_FILE) if trainer.is_world_process_zero() else None
    if final_loss is None:
        final_loss = float(output.training_loss)
    result = {"steps": int(trainer.state.global_step), "final_loss": final_loss,
              "resumed_from_step": int(resume_from.name.split("-")[1]) if resume_from else 0,
              "fingerprint": fingerprint}
    _save_final(trainer, tokenizer, out_dir, result)
    return _result_from_disk(out_dir)
