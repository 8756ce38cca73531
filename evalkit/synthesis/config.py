"""The synthesis config: one YAML file, validated by pydantic, errors naming the bad field.

Sections follow the pipeline's steps (corpus, select, teacher, distill, generate, filter).
Model fields accept a path or name for transformers / a server, or `demo:teacher` /
`demo:base`, tiny models that `evalkit.synthesis.demo_corpus` builds under the output
directory so that the demo runs offline on a CPU.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from evalkit.config import StrictFields, read_yaml_config, validate_mapping
from evalkit.synthesis.prompts import STAGE_CHOICES, STAGES


def check_stage_choice(stages: list[str], mode: str) -> None:
    """The education stages named in a config exist, and the stage-choice mode is known."""
    unknown = [name for name in stages if name not in STAGES]
    if unknown:
        raise ValueError(f"unknown stages {unknown}; known: {list(STAGES)}")
    if mode not in STAGE_MODES:
        raise ValueError(f"stage must be one of {list(STAGE_MODES)}")


def _checked_train_options(options: dict[str, Any]) -> dict[str, Any]:
    """A `train` mapping as written, once its names, types and ranges pass as the `training` section of
    `evalkit train` does: a typo fails when the config is read, not at the step after paid teacher calls."""
    from evalkit.training.config import TrainingConfig

    TrainingConfig.model_validate(options)
    return options


TrainOptions = Annotated[dict[str, Any], AfterValidator(_checked_train_options)]
"""TrainSettings fields (learning_rate, max_steps, lora, ...), checked, kept as the mapping written."""


class CorpusSource(StrictFields):
    """One source of texts: a JSONL file, text files, a `datasets` dataset, or the built-in demo corpus."""

    kind: Literal["jsonl", "text", "hf", "demo"]
    path: str | None = Field(None, description="jsonl: the file; text: a file, a directory of *.txt / *.md, or a glob")
    field: str = Field("text", description="jsonl / hf: the field holding the text")
    dataset: str | None = Field(None, description="hf: the dataset name on the hub")
    subset: str | None = Field(None, description="hf: the dataset configuration")
    split: str = "train"
    limit: int | None = Field(None, ge=1, description="read at most this many records")

    @model_validator(mode="after")
    def _needs_location(self) -> CorpusSource:
        if self.kind in ("jsonl", "text") and not self.path:
            raise ValueError(f"a '{self.kind}' source needs 'path'")
        if self.kind == "hf" and not self.dataset:
            raise ValueError("an 'hf' source needs 'dataset'")
        return self


class CorpusConfig(StrictFields):
    sources: list[CorpusSource] = Field(min_length=1)
    unit: Literal["chars", "tokens"] = Field("chars", description="how chunk_size is measured")
    chunk_size: int = Field(1200, ge=16)
    tokenizer: str | None = Field(None, description="unit=tokens: tokenizer path or name (default: select.model)")
    min_chars: int = Field(40, ge=1, description="chunks shorter than this are dropped (and counted)")


class SelectConfig(StrictFields):
    """LESS-style influence selection (see `influence.py`)."""

    enabled: bool = True
    method: Literal["influence", "random"] = Field(
        "influence", description="influence: the texts most like the targets; random: a seeded random sample "
        "of the same size (the ablation)")
    model: str = "demo:base"
    targets: list[str] = Field(default_factory=lambda: ["gsm8k:train", "math:train"],
                               description="TASK:SPLIT of evalkit tasks, or a JSONL file with problem/solution fields")
    max_targets: int = Field(64, ge=1, description="target examples used (evenly spread over the targets)")
    data_dir: str | None = Field(None, description="where the target tasks' data is ('demo:data' = the demo world's)")
    lora_r: int = Field(32, ge=1)
    lora_alpha: int = Field(64, ge=1)
    lora_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])
    dims: int = Field(1024, ge=8, description="random-projection dimension")
    projection: Literal["rademacher", "gaussian"] = "rademacher"
    aggregate: Literal["mean", "max"] = "mean"
    center: bool = Field(True, description="subtract the candidate pool's mean feature before the cosine")
    keep_fraction: float = Field(0.5, gt=0.0, le=1.0)
    max_length: int = Field(256, ge=8, description="tokens per text for the gradient")
    seed: int = 0
    texts_per_block: int = Field(32, ge=1, description="texts whose gradients are projected together")
    device: str = Field("auto", description="auto (cuda, then mps, then cpu), or a torch device name")


class Pricing(StrictFields):
    prompt_per_1k: float = Field(0.0, ge=0.0, description="$ per 1000 prompt tokens")
    completion_per_1k: float = Field(0.0, ge=0.0, description="$ per 1000 completion tokens")


class SamplingSection(StrictFields):
    temperature: float = Field(0.7, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(512, ge=1)
    seed: int | None = 0


STAGE_MODES: tuple[str, ...] = (*STAGES, *STAGE_CHOICES, "source", "mixed")
"""How the education stage of each text is chosen (see `teacher.plan_requests`)."""

BACKEND_RETRY_OPTIONS = ("max_retries", "backoff_base", "backoff_max")
"""Retry options of the `openai` backend, which the teacher section sets from its own fields."""


class TeacherConfig(StrictFields):
    backend: Literal["hf", "vllm", "openai", "replay"] = "hf"
    options: dict[str, Any] = Field(default_factory=dict, description="backend constructor options (model, ...)")
    chat: bool = Field(False, description="send chat messages (instruct/hosted models) rather than plain text")
    sampling: SamplingSection = Field(default_factory=SamplingSection)
    stage: str = Field("random", description="a stage name, or per text: 'random' (JiuZhang3.0's choice), "
                       "'heuristic', 'round_robin', 'source'; or 'mixed' (every stage for every text)")
    stages: list[str] = Field(default_factory=lambda: list(STAGES))
    texts: Literal["selected", "all"] = "selected"
    limit: int | None = Field(None, ge=1, description="ask about at most this many texts")
    batch_size: int = Field(8, ge=1, description="requests in flight at once (each prompt counts as one teacher call)")
    max_calls: int | None = Field(None, ge=0)
    max_tokens: int | None = Field(None, ge=0, description="budget of prompt + completion tokens "
                                   "(checked before each request is sent, so the requests in flight may pass it)")
    max_retries: int = Field(4, ge=0, description="retries of a failed request (the openai backend retries "
                             "each request itself; 401 and other refusals are never retried)")
    backoff_base: float = Field(1.0, ge=0.0)
    backoff_max: float = Field(60.0, ge=0.0)
    pricing: Pricing = Field(default_factory=Pricing)

    @model_validator(mode="after")
    def _known_stages(self) -> TeacherConfig:
        check_stage_choice(self.stages, self.stage)
        if self.backend == "openai":
            doubled = [name for name in BACKEND_RETRY_OPTIONS if name in self.options]
            if doubled:
                raise ValueError(f"set teacher.{doubled[0]}, not teacher.options.{doubled[0]}: the teacher's retry "
                                 "settings are handed to the openai backend, which retries each request")
        return self


class DistillConfig(StrictFields):
    base_model: str = "demo:base"
    train: TrainOptions = Field(default_factory=dict, description="TrainSettings fields (learning_rate, max_steps, lora, ...)")
    stage_in_prompt: bool = True


class GenerateConfig(StrictFields):
    backend: Literal["hf", "vllm", "openai"] = "hf"
    model: str | None = Field(None, description="default: the distilled synthesizer (OUT/distill/<hash of the distill settings>/final)")
    options: dict[str, Any] = Field(default_factory=dict)
    sampling: SamplingSection = Field(default_factory=SamplingSection)
    n: int = Field(1, ge=1, description="exercises sampled per text")
    texts: Literal["selected", "all"] = "all"
    stage: str = "random"
    stages: list[str] = Field(default_factory=lambda: list(STAGES))
    batch_size: int = Field(16, ge=1)

    @model_validator(mode="after")
    def _known_stages(self) -> GenerateConfig:
        check_stage_choice(self.stages, self.stage)
        return self


class ConsistencySettings(StrictFields):
    """The answer-consistency filter: a model solves each problem `samples` times; a problem stays
    when at least `min_agreement` of its solutions reach the written answer (evalkit's grader)."""

    enabled: bool = True
    solver: str = Field("synthesizer", description="'synthesizer' (the distilled model), 'teacher' "
                        "(its backend and options; calls are cached apart from the teacher's), or a model for `backend`")
    backend: Literal["hf", "vllm", "openai"] = "hf"
    options: dict[str, Any] = Field(default_factory=dict)
    chat: bool = False
    samples: int = Field(4, ge=1)
    min_agreement: float = Field(0.5, gt=0.0, le=1.0)
    sampling: SamplingSection = Field(default_factory=lambda: SamplingSection(temperature=0.7, max_tokens=512, seed=0))
    batch_size: int = Field(16, ge=1)


class FilterSettings(StrictFields):
    min_problem_chars: int = Field(20, ge=0)
    max_problem_chars: int = Field(3000, ge=1)
    min_solution_chars: int = Field(10, ge=0)
    max_solution_chars: int = Field(8000, ge=1)
    near_dup_threshold: float = Field(0.8, gt=0.0, le=1.0, description="Jaccard of word shingles at which two "
                                      "problems with the same numbers and formulas are near-duplicates")
    shingle_words: int = Field(5, ge=1, description="the longest shingle, in words; shorter problems use shorter "
                               "ones (filters.shingle_size: one word per ten at threshold 0.8), so that one word "
                               "changed in a short problem is caught")
    minhash_perms: int = Field(64, ge=4)
    decontaminate: Literal["all"] | list[str] = Field(
        "all", description="'all' = every task in evalkit's registry with a test split, or a list of task names")
    ngram: int = Field(13, ge=1)
    data_dirs: list[str] = Field(default_factory=list, description="where to look for benchmark test data, in "
                                 "order, before $EVALKIT_DATA_DIR / ./data ('demo:data' = the demo world's)")
    check_computations: bool = Field(True, description="remove solutions that write a wrong `a op b = c` "
                                     "between plain numbers (recomputed exactly)")
    consistency: ConsistencySettings = Field(default_factory=ConsistencySettings)

    @field_validator("decontaminate")
    @classmethod
    def _known_benchmarks(cls, value: str | list[str]) -> str | list[str]:
        # a typo fails when the config is read, not after the teacher's paid calls
        if isinstance(value, list):
            from tasks import list_tasks

            unknown = [name for name in value if name not in list_tasks()]
            if unknown:
                raise ValueError(f"unknown task {unknown[0]!r}; known: {', '.join(list_tasks())}")
        return value


class EvaluateSettings(StrictFields):
    """Does the synthetic data help? A student fine-tuned on the task's real training problems,
    with and without the kept synthetic data (same steps, batch, learning rate and seed), is
    evaluated on the task's test split; `random_texts` repeats the chain with randomly chosen
    texts in place of the influence-selected ones, as an ablation."""

    task: str = "arith"
    data_dir: str | None = Field(None, description="where the task's data is ('demo:data' = the demo world's)")
    student: str = "demo:base"
    real_examples: int = Field(32, ge=1, description="the first N problems of the train split: the student's own data")
    synthetic_examples: int | None = Field(None, ge=1, description="use at most this many kept exercises (default: all)")
    prompt_format: str | None = Field(None, description="default: the task's")
    train: TrainOptions = Field(default_factory=dict, description="TrainSettings fields (learning_rate, max_steps, ...)")
    max_tokens: int = Field(128, ge=1, description="greedy decoding budget per test problem")
    batch_size: int = Field(64, ge=1, description="prompts per generation batch")
    test_limit: int | None = Field(None, ge=1)
    random_texts: bool = Field(True, description="also run the ablation with random instead of influence-selected texts")
    confidence: float = Field(0.95, gt=0.0, lt=1.0)
    resamples: int = Field(2000, ge=100)
    seed: int = 0


class DemoWorldSettings(StrictFields):
    """The built-in miniature world of `demo:` models and data (see `evalkit.synthesis.demo_world`)."""

    min_steps: int = Field(1, ge=1, description="operations per arithmetic problem, at least")
    max_steps: int = Field(1, ge=1, description="operations per arithmetic problem, at most")
    narratives: int = Field(240, ge=4, description="arithmetic narratives in the corpus")
    other_texts: int = Field(240, ge=0, description="texts on other mathematics in the corpus")
    train_problems: int = Field(1000, ge=8)
    test_problems: int = Field(200, ge=8)
    base_steps: int = Field(600, ge=1, description="language-model steps of demo:base")
    teacher_steps: int = Field(300, ge=1, description="fine-tuning steps that make demo:teacher")
    teacher_examples: int = Field(1600, ge=8, description="(prompt, exercise) pairs the teacher is trained on")
    seed: int = 0


class SynthConfig(StrictFields):
    corpus: CorpusConfig
    select: SelectConfig = Field(default_factory=SelectConfig)
    teacher: TeacherConfig = Field(default_factory=TeacherConfig)
    distill: DistillConfig = Field(default_factory=DistillConfig)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    filter: FilterSettings = Field(default_factory=FilterSettings)
    evaluate: EvaluateSettings | None = Field(None, description="the 'evaluate' step; absent = not run")
    demo: DemoWorldSettings = Field(default_factory=DemoWorldSettings)
    torch_threads: int | None = Field(None, ge=1, description="CPU threads torch may use while the steps run "
                                      "(tiny models run fastest on 1, especially on a busy machine); default: torch's")

    def section_hash(self, *names: str) -> str:
        """A short hash of the named sections, to tell whether a step's saved output is still valid."""
        sections = {name: getattr(self, name) for name in names}
        data = {name: None if section is None else section.model_dump(mode="json") for name, section in sections.items()}
        canonical = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse_synth_config(data: Any, *, source: str = "<config>", lines: Mapping[str, int] | None = None) -> SynthConfig:
    """Validate a mapping; every bad field is named with its dotted path (and line, from `lines`)."""
    return validate_mapping(SynthConfig, data, source=source, lines=lines)


def load_synth_config(path: str | Path) -> SynthConfig:
    """Read and validate a YAML synthesis config."""
    data, lines = read_yaml_config(path)
    return parse_synth_config(data, source=str(path), lines=lines)
