"""Step 4: distil the teacher into a small synthesizer.

Each well-formed teacher answer becomes one training pair: the prompt is the synthesizer's
short prompt with the source text (and its stage), the completion the canonical
`Problem: ...\nSolution: ...` text. The synthesizer is then fine-tuned from a small base model
with the training engine (`evalkit.training.engine.finetune`), which resumes on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.synthesis.corpus import Chunk
from evalkit.synthesis.prompts import format_exercise, synthesizer_prompt


def distillation_pairs(teacher_records: Sequence[Mapping[str, Any]],
                       chunks_by_id: Mapping[str, Chunk]) -> list[tuple[str, str]]:
    """(prompt, completion) for every well-formed teacher answer whose source text is known."""
    pairs = []
    for record in teacher_records:
        if record.get("status") != "ok":
            continue
        chunk = chunks_by_id.get(record["source_id"])
        if chunk is None:
            continue
        pairs.append((synthesizer_prompt(chunk.text, record["stage"]),
                      format_exercise(record["problem"], record["solution"])))
    return pairs


def _engine():
    try:
        from evalkit.training import engine
    except ImportError as error:
        raise ConfigError(f"the distill step needs the training engine (evalkit.training.engine): {error}") from None
    return engine


def train_settings(options: Mapping[str, Any]):
    """`TrainSettings` from the config's `distill.train` mapping (`lora` may be a mapping or null)."""
    engine = _engine()
    values = dict(options)
    lora = values.pop("lora", None)
    try:
        if isinstance(lora, Mapping):
            lora_values = dict(lora)
            if "target_modules" in lora_values:
                lora_values["target_modules"] = tuple(lora_values["target_modules"])
            values["lora"] = engine.LoraSettings(**lora_values)
        elif lora is not None:
            raise ConfigError(f"distill.train.lora must be a mapping or null, got {lora!r}")
        return engine.TrainSettings(**values)
    except TypeError as error:
        raise ConfigError(f"bad distill.train settings: {error}") from None


def distill_synthesizer(base_model: str | Path, pairs: Sequence[tuple[str, str]], out_dir: Path,
                        options: Mapping[str, Any], *, show_progress: bool = True):
    """Fine-tune the synthesizer on the pairs; returns the engine's `TrainResult` (checkpoint in `final/`)."""
    if not pairs:
        raise ConfigError("no well-formed teacher answers to distil from; run the teacher step first "
                          "or loosen its budget")
    engine = _engine()
    examples = [engine.TrainExample(prompt=prompt, completion=completion) for prompt, completion in pairs]
    return engine.finetune(base_model, examples, out_dir, train_settings(options), resume=True,
                           show_progress=show_progress)
