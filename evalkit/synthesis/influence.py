"""Step 2: influence-based selection of texts, in the manner of LESS (Xia et al. 2024).

A text is worth teaching from when training on it would move a small model the way training
on the target task does. That is estimated from loss gradients:

1. a small causal LM gets LoRA adapters (PEFT); only the adapter parameters are differentiated,
   which keeps the gradient small. PEFT initialises the adapters' B matrices to zero (then the A
   matrices get no gradient), so B is re-drawn here with a small seeded Gaussian: every adapter
   parameter then carries signal, as in LESS's warmed-up adapters;
2. per text, the gradient of the mean token loss is flattened and random-projected to `dims`
   dimensions with a seeded Rademacher or Gaussian matrix that is generated block by block and
   never held whole (Johnson-Lindenstrauss keeps inner products), then normalised to unit length;
3. the same features of target examples (benchmark train problems with solutions) give the
   target direction; a text's score is the cosine similarity with the mean target feature
   (`aggregate="mean"`) or the best similarity to any one target example (`"max"`).
Plain SGD gradients are used (LESS uses Adam-preconditioned ones, which need optimizer state).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import iter_jsonl
from evalkit.progress import make_progress

PROJECTION_BLOCK_ENTRIES = 1 << 22
"""Entries of the projection matrix generated at once (16 MB of float32)."""


@dataclass(frozen=True)
class InfluenceSettings:
    lora_r: int = 32
    lora_alpha: int = 64
    lora_modules: tuple[str, ...] = ("q_proj", "v_proj")
    dims: int = 1024
    projection: str = "rademacher"
    max_length: int = 256
    seed: int = 0
    texts_per_block: int = 32
    device: str = "auto"


def projection_block(seed: int, block: int, rows: int, dims: int, kind: str, device: str = "cpu"):
    """Rows `block*rows ...` of the projection matrix, regenerated identically on every call
    (on one device; CPU and GPU generators give different, equally valid, matrices)."""
    import torch

    generator = torch.Generator(device=device).manual_seed(seed * 1_000_003 + block)
    if kind == "rademacher":
        values = torch.randint(0, 2, (rows, dims), generator=generator, dtype=torch.int8, device=device).float() * 2 - 1
    elif kind == "gaussian":
        values = torch.randn((rows, dims), generator=generator, device=device)
    else:
        raise ConfigError(f"unknown projection {kind!r}; use 'rademacher' or 'gaussian'")
    return values / math.sqrt(dims)


def project(gradients, seed: int, dims: int, kind: str):
    """`gradients @ P` for the (D x dims) seeded projection P, generated in blocks of rows."""
    import torch

    count, total = gradients.shape
    rows = max(1, PROJECTION_BLOCK_ENTRIES // dims)
    device = gradients.device.type
    result = torch.zeros((count, dims), dtype=torch.float32, device=gradients.device)
    for block, start in enumerate(range(0, total, rows)):
        stop = min(total, start + rows)
        result += gradients[:, start:stop].float() @ projection_block(seed, block, stop - start, dims, kind, device)
    return result.cpu()


class GradientFeaturizer:
    """Projected, normalised LoRA-gradient features of texts under one small causal LM."""

    def __init__(self, model_path: str | Path, settings: InfluenceSettings) -> None:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from evalkit.backends.hf import resolve_device

        self.settings = settings
        self.device = resolve_device(settings.device)
        from evalkit.backends.model_location import loading_failure, model_load_errors

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        except model_load_errors() as error:
            raise loading_failure(model_path, "tokenizer (select.model)", error) from None
        try:
            base = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32)
        except model_load_errors() as error:
            raise loading_failure(model_path, "weights or config (select.model)", error) from None
        from evalkit.training.engine import check_lora_targets

        check_lora_targets(settings.lora_modules, [name for name, _ in base.named_modules()], model_path,
                           field="select.lora_modules")
        lora = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=0.0,
                          target_modules=list(settings.lora_modules), bias="none")
        torch.manual_seed(settings.seed)  # PEFT draws the A matrices from the global generator
        try:
            self.model = get_peft_model(base, lora)
        except ValueError as error:
            raise ConfigError(f"cannot attach LoRA to modules {list(settings.lora_modules)}: {error}") from None
        self.model.to(self.device)
        self.model.eval()
        generator = torch.Generator().manual_seed(settings.seed)
        self.parameters = []
        for name, parameter in sorted(self.model.named_parameters()):
            if not parameter.requires_grad:
                continue
            if "lora_B" in name:
                with torch.no_grad():
                    parameter.copy_(torch.randn(parameter.shape, generator=generator).to(parameter.device) * 0.02)
            self.parameters.append(parameter)
        self.dimension = sum(p.numel() for p in self.parameters)

    def gradient(self, text: str):
        """The flattened gradient of the text's mean token loss with respect to the adapters."""
        import torch

        ids = self.tokenizer(text, truncation=True, max_length=self.settings.max_length,
                             return_tensors="pt")["input_ids"].to(self.device)
        if ids.shape[1] < 2:
            return torch.zeros(self.dimension, device=self.device)
        loss = self.model(input_ids=ids, labels=ids).loss
        grads = torch.autograd.grad(loss, self.parameters)
        return torch.cat([g.reshape(-1) for g in grads]).detach()

    def features(self, texts: Sequence[str], *, description: str = "gradients",
                 show_progress: bool = True) -> np.ndarray:
        """A (len(texts) x dims) float32 array of unit-length projected gradients."""
        import torch

        settings = self.settings
        blocks = []
        progress = make_progress(disable=not show_progress)
        with progress:
            task = progress.add_task(description, total=len(texts))
            for start in range(0, len(texts), settings.texts_per_block):
                batch = texts[start:start + settings.texts_per_block]
                grads = torch.stack([self.gradient(text) for text in batch])
                projected = project(grads, settings.seed, settings.dims, settings.projection)
                norms = projected.norm(dim=1, keepdim=True).clamp(min=1e-12)
                blocks.append((projected / norms).numpy())
                progress.advance(task, len(batch))
        if not blocks:
            return np.zeros((0, settings.dims), dtype=np.float32)
        return np.concatenate(blocks).astype(np.float32)


def _unit_rows(features: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def influence_scores(text_features: np.ndarray, target_features: np.ndarray, aggregate: str = "mean",
                     center: bool = True) -> np.ndarray:
    """Cosine similarity of each text to the mean target feature, or the max over target examples.

    With `center`, the mean feature of the candidate texts is first subtracted from every
    feature. Loss gradients of a small model share one large common direction (measured: raw
    cosines of 0.85-0.95 between arithmetic problems and cooking recipes under the tiny test
    model), which hides the differences selection is about; centring on the pool removes it.
    """
    if target_features.shape[0] == 0:
        raise InputError("no target examples to score against")
    if text_features.shape[0] == 0:
        return np.zeros(0, dtype=np.float32)
    if center:
        pool_mean = text_features.mean(axis=0, keepdims=True)
        text_features = _unit_rows(text_features - pool_mean)
        target_features = _unit_rows(target_features - pool_mean)
    if aggregate == "mean":
        direction = target_features.mean(axis=0)
        direction = direction / max(float(np.linalg.norm(direction)), 1e-12)
        return text_features @ direction
    if aggregate == "max":
        return (text_features @ target_features.T).max(axis=1)
    raise ConfigError(f"unknown aggregate {aggregate!r}; use 'mean' or 'max'")


def top_fraction(ids: Sequence[str], scores: np.ndarray, fraction: float) -> list[str]:
    """The ids of the best `ceil(fraction * len)` scores; equal scores keep input order."""
    keep = min(len(ids), max(1, math.ceil(fraction * len(ids)))) if ids else 0
    order = sorted(range(len(ids)), key=lambda i: (-float(scores[i]), i))
    return [ids[i] for i in order[:keep]]


def score_summary(scores: np.ndarray) -> dict[str, float]:
    """Min, quartiles, 10th/90th percentiles, max and mean of the scores."""
    if len(scores) == 0:
        return {}
    points = {"min": 0, "p10": 10, "p25": 25, "median": 50, "p75": 75, "p90": 90, "max": 100}
    summary = {name: round(float(np.percentile(scores, q)), 6) for name, q in points.items()}
    summary["mean"] = round(float(np.mean(scores)), 6)
    return summary


def _spread(items: Sequence[Any], count: int) -> list[Any]:
    """`count` items evenly spaced over the sequence (all of them when it is short)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def _record_text(record: dict[str, Any], path: Path, line: int) -> str:
    for question, answer in (("problem", "solution"), ("question", "answer")):
        if isinstance(record.get(question), str):
            return f"{record[question]}\n{record.get(answer) or ''}".strip()
    if isinstance(record.get("text"), str):
        return record["text"]
    raise InputError("expected a 'problem', 'question' or 'text' string", path=path, line=line)


def target_file(spec: str) -> Path | None:
    """The JSONL file a `select.targets` entry names, or None when it names `TASK:SPLIT`."""
    return Path(spec) if spec.endswith(".jsonl") else None


def target_task(spec: str):
    """The task and split a `TASK:SPLIT` target names (SPLIT defaults to train): a `ConfigError` for
    an unknown task, an `InputError` for a split the task does not have."""
    from tasks import get_task

    name, _, split = spec.partition(":")
    task = get_task(name)
    task.file_for(split or "train")
    return task, split or "train"


def target_texts(specs: Sequence[str], max_targets: int, data_dir: str | Path | None = None) -> list[str]:
    """Target examples (problem + reference solution) from `TASK:SPLIT` specs or JSONL files,
    `max_targets` in all, spread evenly over each source."""
    if not specs:
        raise ConfigError("select.targets is empty: name at least one TASK:SPLIT or JSONL file")
    per_source = max(1, max_targets // len(specs))
    texts: list[str] = []
    for spec in specs:
        path = target_file(spec)
        if path is not None:
            items = [_record_text(record, path, line) for line, record in iter_jsonl(path)]
        else:
            task, split = target_task(spec)
            problems = task.load(split, data_dir=data_dir)
            items = [f"{p.question}\n{p.solution or p.reference}" for p in problems]
        texts.extend(_spread(items, per_source))
    return texts
