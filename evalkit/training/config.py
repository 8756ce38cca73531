"""Configs of `evalkit train ssft|evaluator|sequential`: YAML files validated by pydantic.

Errors name the file and every bad field (`configs/train-ssft.yaml: field 'training.batch_size':
Input should be greater than or equal to 1`), like the run configs of `evalkit/config.py`.
The sections:

- `problems`: which training problems (task, split, data directory, filters), the prompt
  format the generator is trained and sampled with, and optional synthetic JSONL files.
- `training`: the fine-tuning settings (`evalkit.training.engine.TrainSettings`), LoRA included.
- `sampling` / `evaluator_data`: how the evaluator's training samples are drawn from the current
  model and turned into examples.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from evalkit.config import (BackendConfig, FilterConfig, GradingConfig, StrictFields, check_known_names, read_yaml_config,
                            validate_mapping)
from evalkit.errors import ConfigError
from evalkit.training.engine import USUAL_OUTPUT_LAYER, LoraSettings, TrainSettings, adapts_output_layer


class LoraConfig(StrictFields):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"], min_length=1)


class TrainingConfig(StrictFields):
    """The fields of `TrainSettings`, validated."""

    learning_rate: float = Field(1e-5, gt=0.0)
    epochs: float = Field(1.0, gt=0.0)
    max_steps: int | None = Field(None, ge=1, description="overrides epochs when set")
    batch_size: int = Field(8, ge=1, description="per device")
    grad_accum: int = Field(1, ge=1)
    max_length: int = Field(1024, ge=8)
    warmup_ratio: float = Field(0.0, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    objective: Literal["lm", "pairwise", "margin", "joint"] = "lm"  # before `lora`, whose check reads it
    lora: LoraConfig | None = None
    seed: int = 0
    save_steps: int | None = Field(None, ge=1)
    keep_checkpoints: int | None = Field(2, ge=1, description="the latest checkpoint-N directories kept; null keeps all")
    logging_steps: int = Field(10, ge=1)
    append_eos: bool = True
    margin: float = Field(1.0, gt=0.0, description="margin of the margin objective, in log-score units")
    bf16: bool = False
    gradient_checkpointing: bool = False

    @field_validator("lora")
    @classmethod
    def _no_adapter_on_the_output_layer(cls, lora: LoraConfig | None, info: ValidationInfo) -> LoraConfig | None:
        if lora is not None and adapts_output_layer(info.data.get("objective", "lm"), lora.target_modules,
                                                    USUAL_OUTPUT_LAYER):
            raise ValueError(f"{USUAL_OUTPUT_LAYER!r} (the output layer) cannot take a LoRA adapter with the lm "
                             "objective: TRL's SFT trainer reads its weight directly, so the adapter would never "
                             "train; leave it out")
        return lora

    def to_settings(self) -> TrainSettings:
        data = self.model_dump()
        lora = data.pop("lora")
        return TrainSettings(**data, lora=LoraSettings(**{**lora, "target_modules": tuple(lora["target_modules"])})
                             if lora else None)


class ProblemsConfig(StrictFields):
    """Training problems and the prompt format (the same one for SSFT and for sampling)."""

    task: str | None = Field(None, description="task name (math, gsm8k, ...); None = synthetic data only")
    split: str = "train"
    data_dir: str | None = None
    data_source: str | None = None
    prompt: str = Field("zero_shot_cot", description="prompt format name")
    filters: FilterConfig = Field(default_factory=FilterConfig)
    synthetic: list[str] = Field(default_factory=list, description="JSONL files of {problem, solution, answer}")

    @model_validator(mode="after")
    def _some_data(self) -> ProblemsConfig:
        if self.task is None and not self.synthetic:
            raise ValueError("give a task, synthetic files, or both")
        return self


class SamplingStageConfig(StrictFields):
    """How the current generator samples its training problems for the evaluator's data."""

    n: int = Field(8, ge=1, description="samples per problem")
    temperature: float = Field(0.7, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(512, ge=1)
    seed: int | None = 0
    backend: BackendConfig = Field(default_factory=lambda: BackendConfig(name="hf"),
                                   description="the model option is set to the checkpoint being sampled")
    batch_problems: int = Field(16, ge=1)
    grading: GradingConfig = Field(default_factory=GradingConfig)
    max_problems: int | None = Field(None, ge=1, description="sample only the first N training problems "
                                     "(after the filters); None = all of them")


class EvaluatorDataConfig(StrictFields):
    balance: bool = Field(True, description="downsample the larger class (lm objective; the joint objective's "
                          "single solutions)")
    max_per_problem: int | None = Field(None, ge=1)
    max_pairs_per_problem: int | None = Field(None, ge=1, description="pairwise, margin and joint objectives")
    keep_unjudged: bool = Field(False, description="keep samples without a gradable answer as incorrect")
    deduplicate: bool = Field(True, description="identical solution texts of one problem count once; false keeps "
                              "every sample, so solutions the model writes often weigh more")
    pairing: Literal["round_robin", "all"] = Field("round_robin", description="pairwise, margin and joint "
                                                   "objectives: round_robin pairs max(correct, incorrect) per "
                                                   "problem, all every correct x incorrect combination")
    seed: int = 0


def _evaluator_training_default() -> TrainingConfig:
    return TrainingConfig(append_eos=False)


class EvaluatorStageConfig(StrictFields):
    """Sampling, data and training of the solution evaluator."""

    samples_run: str | None = Field(None, description="an already graded run directory of the generator on "
                                    "training problems; None = sample one with `sampling`")
    sampling: SamplingStageConfig = Field(default_factory=SamplingStageConfig)
    kind: Literal["verdict", "two_way"] = Field("verdict", description="verdict: the paper's evaluator, "
                                                "p(correct) after the solution, from right and wrong samples; "
                                                "two_way: reranker.two_way, trained (lm objective) on the right "
                                                "samples and the problems' reference solutions in both directions")
    data: EvaluatorDataConfig = Field(default_factory=EvaluatorDataConfig)
    training: TrainingConfig = Field(default_factory=_evaluator_training_default)

    @model_validator(mode="after")
    def _two_way_is_lm(self) -> EvaluatorStageConfig:
        if self.kind == "two_way" and self.training.objective != "lm":
            raise ValueError(f"kind two_way trains with the lm objective, not {self.training.objective!r}")
        return self


class SSFTConfig(StrictFields):
    """`evalkit train ssft`: fine-tune `model` on reference solutions."""

    model: str = Field(description="base model: a hub name or a local directory")
    out: str | None = None
    problems: ProblemsConfig
    training: TrainingConfig = Field(default_factory=TrainingConfig)


class EvaluatorConfig(StrictFields):
    """`evalkit train evaluator`: fine-tune the evaluator from `model` on `model`'s own graded samples."""

    model: str
    out: str | None = None
    problems: ProblemsConfig
    evaluator: EvaluatorStageConfig = Field(default_factory=EvaluatorStageConfig)

    @model_validator(mode="after")
    def _sampling_needs_task(self) -> EvaluatorConfig:
        if self.evaluator.samples_run is None and self.problems.task is None:
            raise ValueError("sampling the generator needs problems.task (or give evaluator.samples_run)")
        return self


class SequentialConfig(StrictFields):
    """`evalkit train sequential`: SSFT -> evaluator -> SSFT, each stage from the previous checkpoint."""

    model: str
    out: str | None = None
    problems: ProblemsConfig
    ssft: TrainingConfig = Field(default_factory=TrainingConfig)
    evaluator: EvaluatorStageConfig = Field(default_factory=EvaluatorStageConfig)
    ssft_again: TrainingConfig | None = Field(None, description="stage 3 settings; None = the same as ssft")

    @model_validator(mode="after")
    def _checks(self) -> SequentialConfig:
        if self.problems.task is None:
            raise ValueError("the evaluator stage samples the task's problems: problems.task is required")
        if self.evaluator.samples_run is not None:
            raise ValueError("evaluator.samples_run cannot be used here: stage 2 samples the stage-1 model")
        return self


CONFIG_KINDS: dict[str, type[_Strict]] = {"ssft": SSFTConfig, "evaluator": EvaluatorConfig,
                                          "sequential": SequentialConfig}


def parse_train_config(kind: str, data: Any, *, source: str = "<config>", lines: Mapping[str, int] | None = None):
    """Validate a mapping as the config of `evalkit train <kind>` (`lines`: where the file writes each field)."""
    if kind not in CONFIG_KINDS:
        raise ConfigError(f"unknown training kind {kind!r}; known: {', '.join(CONFIG_KINDS)}")
    return validate_mapping(CONFIG_KINDS[kind], data, source=source, lines=lines)


def load_train_config(kind: str, path: str | Path):
    """Read and validate a YAML config of `evalkit train <kind>`."""
    data, lines = read_yaml_config(path)
    config = parse_train_config(kind, data, source=str(path), lines=lines)
    problems = getattr(config, "problems", None)
    if problems is not None:  # before any stage starts
        check_known_names(str(path), {"problems.task": ("task", problems.task),
                                      "problems.prompt": ("prompt", problems.prompt)})
    return config


def resolve_out(config_out: str | None, cli_out: Path | None, source: str) -> Path:
    """The output directory: `--out` first, then the config's `out`; one of them is required."""
    if cli_out is not None:
        return Path(cli_out)
    if config_out:
        return Path(config_out)
    raise ConfigError(f"{source}: no output directory: set `out:` in the config or pass --out")
