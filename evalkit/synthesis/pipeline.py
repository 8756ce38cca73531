"""The synthesis pipeline: resumable steps whose outputs live under one directory.

    corpus    -> corpus.jsonl                 chunks with stable ids
    select    -> influence.jsonl              per-text influence score (or the random draw) and whether it was kept
    teacher   -> teacher.jsonl                one parsed teacher answer per (text, stage)
                 cache/teacher.jsonl          every paid call, so nothing is paid twice
    distill   -> distill/<data hash>/final/   the fine-tuned synthesizer
    generate  -> generated.jsonl              the synthesizer's exercises
                 cache/synthesizer.jsonl
    filter    -> synthetic.jsonl, removed.jsonl (each removal with its filter and reason)
                 cache/consistency.jsonl      the solver's answers for the answer-consistency filter
    evaluate  -> evaluate/                    students trained with and without the data, their test runs;
                 ablation-random-texts/       the same chain with random texts (when asked)
    all       -> steps/<step>.json (each step's counts), report.json (all of them, this run's timings)

Any subset of steps can run; a step reads what earlier steps left on disk and says which step
to run when that is missing. Corpus and selection are skipped when their config (and inputs)
are unchanged; model calls always go through their caches, so a rerun pays nothing; training
resumes from its checkpoints. `evaluate` runs only when the config has an `evaluate` section.

Generation (teacher, synthesizer, solver) streams through the backend as evaluation runs do
(`CachedCaller.run` over `stream_requests`): at most `batch_size` requests in flight, each
answer cached the moment it arrives.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rich.console import Console

from evalkit.backends.base import (
    Backend,
    Completion,
    Prompt,
    SampleRequest,
    SampleResult,
    SamplingParams,
    stream_requests,
)
from evalkit.errors import ConfigError, InputError
from evalkit.hashing import file_sha256
from evalkit.jsonl import read_json_object, read_jsonl, write_jsonl
from evalkit.synthesis.config import SamplingSection, SynthConfig
from evalkit.synthesis.corpus import Chunk, corpus_from_config
from evalkit.synthesis.demo_world import DATA_SPEC, WorldSizes
from evalkit.text_safety import for_terminal

STEPS: tuple[str, ...] = ("corpus", "select", "teacher", "distill", "generate", "filter", "evaluate")
CHAIN: tuple[str, ...] = STEPS[:-1]
"""The steps that make the data (everything but `evaluate`)."""

ABLATION_DIR = "ablation-random-texts"


@dataclass(frozen=True)
class SynthPaths:
    """Where each step's output lives under the output directory.

    `shared` (an ablation's parent run) holds the demo world and models both runs use.
    """

    root: Path
    shared: Path | None = None

    @property
    def corpus(self) -> Path:
        return self.root / "corpus.jsonl"

    @property
    def influence(self) -> Path:
        return self.root / "influence.jsonl"

    @property
    def teacher(self) -> Path:
        return self.root / "teacher.jsonl"

    @property
    def teacher_cache(self) -> Path:
        return self.root / "cache" / "teacher.jsonl"

    @property
    def synthesizer_cache(self) -> Path:
        return self.root / "cache" / "synthesizer.jsonl"

    @property
    def consistency_cache(self) -> Path:
        return self.root / "cache" / "consistency.jsonl"

    @property
    def distill(self) -> Path:
        return self.root / "distill"

    @property
    def generated(self) -> Path:
        return self.root / "generated.jsonl"

    @property
    def synthetic(self) -> Path:
        return self.root / "synthetic.jsonl"

    @property
    def removed(self) -> Path:
        return self.root / "removed.jsonl"

    @property
    def report(self) -> Path:
        return self.root / "report.json"

    @property
    def world(self) -> Path:
        return (self.shared or self.root) / "world"

    @property
    def models(self) -> Path:
        return self.world / "models"

    @property
    def evaluate(self) -> Path:
        return self.root / "evaluate"

    @property
    def ablation(self) -> Path:
        return self.root / ABLATION_DIR

    @property
    def steps(self) -> Path:
        """Each step's counts (`step_stats`); the folder also marks a synthesis's output directory."""
        return self.root / "steps"

    def step_stats(self, step: str) -> Path:
        return self.steps / f"{step}.json"

    def step_output(self, step: str) -> Path | None:
        """The file of a step's results that later steps read (None for distill, whose synthesizer is
        named in its stats, and evaluate)."""
        return {"corpus": self.corpus, "select": self.influence, "teacher": self.teacher,
                "generate": self.generated, "filter": self.synthetic}.get(step)


@dataclass(frozen=True)
class Staleness:
    """Why a step's saved results are out of date: its inputs or config sections that changed since it
    ran (`changed`), and the earlier steps it reads that are stale themselves (`stale_inputs`)."""

    changed: tuple[str, ...]
    stale_inputs: tuple[str, ...] = ()

    @property
    def reasons(self) -> list[str]:
        """What `report.json` lists under `stale_steps`: `corpus.jsonl`, `the config's filter section`,
        `step select (stale)`."""
        return [*self.changed, *(f"step {step} (stale)" for step in self.stale_inputs)]

    def describe(self) -> str:
        """In words, for the terminal: `corpus.jsonl changed after it ran; it reads what select wrote, which is stale`."""
        parts = [f"{' and '.join(self.changed)} changed after it ran"] if self.changed else []
        if self.stale_inputs:
            parts.append(f"it reads what {' and '.join(self.stale_inputs)} wrote, which is stale")
        return "; ".join(parts)


DISTILLED = "distilled synthesizer"
"""The name under which a step that uses the distill step's model records it among its inputs."""

STEP_SECTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "corpus": ("corpus",), "select": ("select",), "teacher": ("teacher",), "distill": ("distill",),
    "generate": ("generate",), "filter": ("filter", "teacher"), "evaluate": ("evaluate", "teacher")})
"""The config sections each step reads (the filter's answer check and the evaluation ask the teacher): a
step that ran under other settings of them than the config has now is stale, like one whose input
files changed."""


def parse_steps(text: str | None) -> list[str]:
    """`"corpus,select"` -> those steps in pipeline order; None or "all" -> every step."""
    if text is None or text.strip() in ("", "all"):
        return list(STEPS)
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in STEPS]
    if unknown:
        raise ConfigError(f"unknown steps {unknown}; choose from {', '.join(STEPS)}")
    return [step for step in STEPS if step in names]


def resolve_model(spec: str, paths: SynthPaths, world: WorldSizes, *, show_progress: bool = False,
                  console: Console | None = None) -> str:
    """A model path or name; `demo:NAME` builds the demo world's tiny model under `world/models` (saying
    so on `console`), and `builtin:tiny` is evalkit's built-in tiny model (as for `evalkit run`)."""
    if spec.startswith("demo:"):
        from evalkit.synthesis.demo_world import build_world_model

        def announce(model: str) -> None:
            if console is not None:
                console.print(f"[bold]synth:[/] building the demo world's {model} model (once: it is kept in "
                              f"{for_terminal(paths.models)})", highlight=False)

        return str(build_world_model(spec.split(":", 1)[1], paths.models, world, show_progress=show_progress,
                                     announce=announce))
    from evalkit.pipeline.builtin_models import builtin_model_dir

    built = builtin_model_dir(spec)
    return str(built) if built is not None else spec


def resolve_data_dir(spec: str | None, paths: SynthPaths, world: WorldSizes) -> str | None:
    """A data directory; `demo:data` writes the demo world's task data under `world/data`."""
    if spec == DATA_SPEC:
        from evalkit.synthesis.demo_world import write_world_data

        return str(write_world_data(paths.world, world))
    return spec


def sampling_params(section: SamplingSection) -> SamplingParams:
    return SamplingParams(temperature=section.temperature, top_p=section.top_p, max_tokens=section.max_tokens,
                          seed=section.seed)


class LazyBackend:
    """Builds the real backend on the first `generate` or `stream` call, so a fully cached step loads no model."""

    def __init__(self, name: str, factory: Callable[[], Backend]) -> None:
        self.name = name
        self._factory = factory
        self._backend: Backend | None = None

    def _built(self) -> Backend:
        if self._backend is None:
            self._backend = self._factory()
        return self._backend

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        return self._built().generate(prompts, n, sampling)

    def stream(self, requests: Iterable[SampleRequest], n: int, sampling: SamplingParams, *,
               window: int | None = None) -> Iterator[SampleResult]:
        """The real backend's streaming (its own `stream`, else `generate` a window at a time); the
        backend is built only once there is a request to send."""
        pending = iter(requests)
        first = next(pending, None)
        if first is None:
            return
        yield from stream_requests(self._built(), chain([first], pending), n, sampling, window=window)


def _local_content(model: object) -> str:
    """`@` and the content identity of a local model directory (`evalkit.hashing.directory_identity`),
    or "" for a hub or API model name."""
    if isinstance(model, str) and Path(model).is_dir():
        from evalkit.hashing import directory_identity

        return "@" + directory_identity(model)
    return ""


def token_counter(backend: str, model: object) -> tuple[Callable[[str], int] | None, str]:
    """Count prompt tokens with the model's own tokenizer when it is a local directory; else None
    (the caller's estimate of 4 characters a token)."""
    if backend in ("hf", "vllm") and isinstance(model, str) and Path(model).is_dir():
        try:
            from transformers import AutoTokenizer

            from evalkit.backends.model_location import model_load_errors

            tokenizer = AutoTokenizer.from_pretrained(model)
        except (ImportError, *model_load_errors()):
            return None, "estimate (4 characters a token)"
        return (lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])), "tokenizer"
    return None, "estimate (4 characters a token)"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    return read_json_object(path) if path.exists() else None


def _require(path: Path, step: str) -> None:
    if not path.exists():
        raise InputError(f"missing; run the '{step}' step first (--steps {step})", path=path)


def load_chunks(paths: SynthPaths) -> list[Chunk]:
    _require(paths.corpus, "corpus")
    return [Chunk.from_dict(record) for record in read_jsonl(paths.corpus)]


def selected_chunks(paths: SynthPaths, which: str) -> list[Chunk]:
    """All chunks, or those the select step kept (all of them when selection was disabled)."""
    chunks = load_chunks(paths)
    if which == "all":
        return chunks
    stats = _read_json(paths.step_stats("select"))
    if stats is None:
        raise InputError("missing; run the 'select' step first (--steps select)", path=paths.step_stats("select"))
    if not stats.get("enabled", True):
        return chunks
    kept = {record["id"] for record in read_jsonl(paths.influence) if record.get("selected")}
    return [chunk for chunk in chunks if chunk.id in kept]


def random_selection(ids: Sequence[str], fraction: float, seed: int) -> set[str]:
    """As many ids as `influence.top_fraction` keeps, drawn uniformly with a seed (the ablation)."""
    import math

    keep = min(len(ids), max(1, math.ceil(fraction * len(ids)))) if ids else 0
    return set(random.Random(seed).sample(list(ids), keep))


def stage_counts(records: Sequence[dict[str, Any]]) -> dict[str, int]:
    from evalkit.synthesis.filters import stage_distribution

    return stage_distribution(records)


class SynthPipeline:
    """Runs the steps of one config into one output directory (see the module docstring)."""

    def __init__(self, config: SynthConfig, out: Path, *, show_progress: bool = True,
                 console: Console | None = None, backend_factory: Callable[[str, dict[str, Any]], Backend] | None = None,
                 shared: Path | None = None) -> None:
        self.config = config
        self.paths = SynthPaths(Path(out), Path(shared) if shared is not None else None)
        self.paths.steps.mkdir(parents=True, exist_ok=True)  # before any step: this folder is a synthesis's
        self.show_progress = show_progress
        self.console = console or Console(stderr=True)
        self.backend_factory = backend_factory or _create_backend
        self.world = WorldSizes.from_settings(config.demo)
        self.teacher_calls_this_run = 0

    def model(self, spec: str) -> str:
        return resolve_model(spec, self.paths, self.world, show_progress=self.show_progress, console=self.console)

    def data_dir(self, spec: str | None) -> str | None:
        return resolve_data_dir(spec, self.paths, self.world)

    def _uses_demo_corpus(self) -> bool:
        return any(source.kind == "demo" for source in self.config.corpus.sources)

    # -- steps ------------------------------------------------------------------------------

    def step_corpus(self) -> dict[str, Any]:
        """Read the sources again every time (cheap) and rewrite the corpus only when its content
        changed: later steps key on the corpus file's digest, so edited sources are never missed."""
        config_hash = self.config.section_hash("corpus")
        tokenizer = self.model(self.config.select.model) if self.config.corpus.unit == "tokens" \
            and not self.config.corpus.tokenizer else self.config.corpus.tokenizer
        result = corpus_from_config(self.config.corpus, tokenizer, world=self.world)
        if not result.chunks:
            raise InputError("the corpus sources gave no text chunks (all empty or shorter than corpus.min_chars)")
        records = [chunk.to_dict() for chunk in result.chunks]
        content_hash = hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()[:16]
        previous = _read_json(self.paths.step_stats("corpus"))
        if previous and previous.get("content_hash") == content_hash and self.paths.corpus.exists():
            return {**previous, "skipped": "unchanged"}
        write_jsonl(self.paths.corpus, records)
        return {"config_hash": config_hash, "content_hash": content_hash, "texts_read": result.texts_read,
                "chunks": len(result.chunks), "dropped_short": result.dropped_short,
                "duplicate_chunks": result.duplicate_chunks}

    def step_select(self) -> dict[str, Any]:
        settings = self.config.select
        chunks = load_chunks(self.paths)
        input_hash = (f"{self.config.section_hash('select')}:{file_sha256(self.paths.corpus)[:16]}"
                      f"{_local_content(self.model(settings.model)) if settings.enabled and settings.method != 'random' else ''}")
        previous = _read_json(self.paths.step_stats("select"))
        if previous and previous.get("input_hash") == input_hash and (
                not settings.enabled or self.paths.influence.exists()):
            return {**previous, "skipped": "unchanged"}
        if not settings.enabled:
            return {"input_hash": input_hash, "enabled": False, "texts_scored": 0, "texts_selected": len(chunks)}
        if settings.method == "random":
            kept = random_selection([c.id for c in chunks], settings.keep_fraction, settings.seed)
            write_jsonl(self.paths.influence, ({"id": c.id, "score": None, "selected": c.id in kept} for c in chunks))
            stats = {"input_hash": input_hash, "enabled": True, "method": "random", "texts_scored": 0,
                     "texts_selected": len(kept), "seed": settings.seed}
        else:
            stats = self._influence_selection(chunks, input_hash)
            kept = {record["id"] for record in read_jsonl(self.paths.influence) if record["selected"]}
        selected = [c for c in chunks if c.id in kept]
        stats["selected_stages"] = stage_counts([{"stage": c.stage_hint} for c in selected])
        if self._uses_demo_corpus():
            from evalkit.synthesis.demo_world import narrative_share

            stats["selected_arithmetic_share"] = round(narrative_share([c.text for c in selected], self.world), 4)
            stats["corpus_arithmetic_share"] = round(narrative_share([c.text for c in chunks], self.world), 4)
        return stats

    def _influence_selection(self, chunks: Sequence[Chunk], input_hash: str) -> dict[str, Any]:
        from evalkit.synthesis import influence

        settings = self.config.select
        featurizer = influence.GradientFeaturizer(self.model(settings.model), influence.InfluenceSettings(
            lora_r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_modules=tuple(settings.lora_modules),
            dims=settings.dims, projection=settings.projection, max_length=settings.max_length, seed=settings.seed,
            texts_per_block=settings.texts_per_block, device=settings.device))
        targets = influence.target_texts(settings.targets, settings.max_targets, self.data_dir(settings.data_dir))
        target_features = featurizer.features(targets, description="target gradients", show_progress=self.show_progress)
        text_features = featurizer.features([c.text for c in chunks], description="text gradients",
                                            show_progress=self.show_progress)
        scores = influence.influence_scores(text_features, target_features, settings.aggregate, settings.center)
        kept = set(influence.top_fraction([c.id for c in chunks], scores, settings.keep_fraction))
        write_jsonl(self.paths.influence, ({"id": c.id, "score": round(float(s), 6), "selected": c.id in kept}
                                           for c, s in zip(chunks, scores)))
        return {"input_hash": input_hash, "enabled": True, "method": "influence", "texts_scored": len(chunks),
                "texts_selected": len(kept), "targets": len(targets), "gradient_dims": featurizer.dimension,
                "projected_dims": settings.dims, "aggregate": settings.aggregate,
                "score_distribution": influence.score_summary(scores)}

    def _backend(self, name: str, options: dict[str, Any]) -> LazyBackend:
        return LazyBackend(name, lambda: self.backend_factory(name, options))

    def _teacher_options(self) -> dict[str, Any]:
        settings = self.config.teacher
        options = dict(settings.options)
        if isinstance(options.get("model"), str):
            options["model"] = self.model(options["model"])
        if settings.backend == "openai":
            options.update(max_retries=settings.max_retries, backoff_base=settings.backoff_base,
                           backoff_max=settings.backoff_max)
        return options

    def step_teacher(self) -> dict[str, Any]:
        from evalkit.synthesis import teacher

        settings = self.config.teacher
        chunks = selected_chunks(self.paths, settings.texts)[:settings.limit]
        options = self._teacher_options()
        # the model as configured (not its resolved path), so a moved output directory keeps its cache,
        # with the content of a local model directory, so a model rewritten at the same path is asked anew
        model_id = f"{settings.backend}:{settings.options.get('model', '')}{_local_content(options.get('model'))}"
        count_tokens, counting = token_counter(settings.backend, options.get("model"))
        # The openai backend retries each request itself (and never a refused one); other
        # backends are retried here, re-sending only the requests without an answer.
        retry = teacher.RetryPolicy(0 if settings.backend == "openai" else settings.max_retries,
                                    settings.backoff_base, settings.backoff_max)
        caller = teacher.CachedCaller(
            self._backend(settings.backend, options), model_id, self.paths.teacher_cache,
            budget=teacher.Budget(settings.max_calls, settings.max_tokens), retry=retry,
            **({"count_tokens": count_tokens} if count_tokens else {}))
        try:
            records = teacher.ask_teacher(chunks, caller, mode=settings.stage, stages=settings.stages,
                                          chat=settings.chat, sampling=sampling_params(settings.sampling),
                                          batch_size=settings.batch_size, show_progress=self.show_progress)
        finally:
            self.teacher_calls_this_run += caller.this_run.calls
        write_jsonl(self.paths.teacher, records)
        pricing = teacher.Pricing(settings.pricing.prompt_per_1k, settings.pricing.completion_per_1k)
        statuses = teacher.count_statuses(records)
        return {"texts": len(chunks), "requests": len(records), "teacher_ok": statuses.get("ok", 0),
                "teacher_malformed": statuses.get("malformed", 0), "teacher_skipped": statuses.get("skipped", 0),
                "teacher_calls": caller.total.calls, "teacher_calls_this_run": caller.this_run.calls,
                "teacher_tokens": caller.total.tokens, "token_counting": counting,
                "stages": stage_counts(records), "cost": teacher.cost_report(caller, pricing)}

    def _distilled_dir(self, pairs: Sequence[tuple[str, str]]) -> Path:
        key = json.dumps({"base": self.config.distill.base_model, "train": self.config.distill.train, "pairs": pairs},
                         sort_keys=True, default=str)
        return self.paths.distill / hashlib.sha256(key.encode()).hexdigest()[:12]

    def step_distill(self) -> dict[str, Any]:
        from evalkit.synthesis.distill import distill_synthesizer, distillation_pairs

        _require(self.paths.teacher, "teacher")
        chunks = {chunk.id: chunk for chunk in load_chunks(self.paths)}
        answers = read_jsonl(self.paths.teacher)
        pairs = distillation_pairs(answers, chunks)
        if not pairs and answers:
            from evalkit.synthesis.teacher import count_statuses

            counts = ", ".join(f"{count} {status}" for status, count in sorted(count_statuses(answers).items()))
            raise InputError(f"none of the {len(answers)} teacher answers can be distilled ({counts}); each "
                             "record says why (status, reason): fix the teacher's prompt or model and rerun the "
                             "teacher step", path=self.paths.teacher)
        out_dir = self._distilled_dir(pairs)
        result = distill_synthesizer(self.model(self.config.distill.base_model), pairs, out_dir,
                                     self.config.distill.train, show_progress=self.show_progress)
        return {"train_pairs": len(pairs), "checkpoint": str(result.checkpoint), "steps": result.steps,
                "final_loss": result.final_loss}

    def _synthesizer_model(self) -> str:
        if self.config.generate.model:
            return self.model(self.config.generate.model)
        stats = _read_json(self.paths.step_stats("distill"))
        if stats is None or not Path(stats["checkpoint"]).exists():
            raise InputError("no distilled synthesizer; run the 'distill' step first or set generate.model",
                             path=self.paths.step_stats("distill"))
        return stats["checkpoint"]

    def step_generate(self) -> dict[str, Any]:
        from evalkit.synthesis.generate import checkpoint_fingerprint, synthesize
        from evalkit.synthesis.teacher import CachedCaller, count_statuses

        settings = self.config.generate
        model = self._synthesizer_model()
        options = {**settings.options, "model": model}
        caller = CachedCaller(self._backend(settings.backend, options), f"{settings.backend}:{checkpoint_fingerprint(model)}",
                              self.paths.synthesizer_cache)
        chunks = selected_chunks(self.paths, settings.texts)
        records = synthesize(chunks, caller, mode=settings.stage, stages=settings.stages, n=settings.n,
                             sampling=sampling_params(settings.sampling), batch_size=settings.batch_size,
                             show_progress=self.show_progress)
        write_jsonl(self.paths.generated, records)
        statuses = count_statuses(records)
        return {"texts": len(chunks), "generated": len(records), "generated_well_formed": statuses.get("ok", 0),
                "synthesizer": model, "synthesizer_calls_this_run": caller.this_run.calls,
                "synthesizer_calls": caller.total.calls, "synthesizer_tokens": caller.total.tokens,
                "stages": stage_counts(records)}

    def _solver(self) -> tuple[str, dict[str, Any], str, bool]:
        """The consistency filter's (backend, options, cache model id, chat)."""
        from evalkit.synthesis.generate import checkpoint_fingerprint

        settings = self.config.filter.consistency
        if settings.solver == "synthesizer":
            model = self._synthesizer_model()
            return (settings.backend, {**settings.options, "model": model},
                    f"{settings.backend}:{checkpoint_fingerprint(model)}", settings.chat)
        if settings.solver == "teacher":
            teacher = self.config.teacher
            return (teacher.backend, self._teacher_options(), f"{teacher.backend}:{teacher.options.get('model', '')}",
                    teacher.chat)
        model = self.model(settings.solver)
        return settings.backend, {**settings.options, "model": model}, f"{settings.backend}:{settings.solver}", settings.chat

    def _check_consistency(self, outcome) -> dict[str, Any]:
        from evalkit.synthesis.filters import apply_consistency, consistency_verdicts
        from evalkit.synthesis.prompts import solve_prompt
        from evalkit.synthesis.teacher import CachedCaller

        settings = self.config.filter.consistency
        backend, options, model_id, chat = self._solver()
        caller = CachedCaller(self._backend(backend, options), model_id, self.paths.consistency_cache)
        prompts = [solve_prompt(record["problem"], chat=chat) for record in outcome.kept]
        outcomes = caller.run(prompts, settings.samples, sampling_params(settings.sampling),
                              batch_size=settings.batch_size, description="consistency", show_progress=self.show_progress)
        solutions = [[completion.text for completion in result.completions] for result in outcomes]
        checked = len(outcome.kept)
        verdicts = consistency_verdicts([record["answer"] for record in outcome.kept], solutions,
                                        min_agreement=settings.min_agreement,
                                        questions=[record["problem"] for record in outcome.kept])
        apply_consistency(outcome, verdicts)
        return {"solver": model_id, "solver_is_teacher": settings.solver == "teacher",
                "samples": settings.samples, "min_agreement": settings.min_agreement,
                "checked": checked, "kept": len(outcome.kept), "solver_calls_this_run": caller.this_run.calls,
                "solver_calls": caller.total.calls}

    def step_filter(self) -> dict[str, Any]:
        from evalkit.synthesis.filters import (
            ContaminationIndex,
            LengthBounds,
            benchmark_set,
            check_computations,
            static_filters,
        )

        settings = self.config.filter
        _require(self.paths.generated, "generate")
        records = read_jsonl(self.paths.generated)
        data_dirs = [self.data_dir(spec) for spec in settings.data_dirs]
        benchmarks = benchmark_set(settings.decontaminate, [d for d in data_dirs if d])
        for name, reason in sorted(benchmarks.unavailable.items()):
            self.console.print(f"[yellow]not checked for contamination:[/] {for_terminal(name)} ({for_terminal(reason)})",
                               highlight=False)
        index = ContaminationIndex(benchmarks.texts, settings.ngram)
        bounds = LengthBounds(settings.min_problem_chars, settings.max_problem_chars, settings.min_solution_chars,
                              settings.max_solution_chars)
        outcome = static_filters(records, bounds=bounds, index=index, threshold=settings.near_dup_threshold,
                                 shingle_words=settings.shingle_words, num_perm=settings.minhash_perms)
        if settings.check_computations:
            check_computations(outcome)
        consistency = self._check_consistency(outcome) if settings.consistency.enabled and outcome.kept else None
        write_jsonl(self.paths.synthetic, ({"id": f"synthetic/{index_}", "problem": r["problem"],
                                            "solution": r["solution"], "answer": r["answer"],
                                            "source_id": r["source_id"], "stage": r["stage"],
                                            **({"agreement": r["agreement"]} if "agreement" in r else {})}
                                           for index_, r in enumerate(outcome.kept)))
        write_jsonl(self.paths.removed, outcome.removed)
        return {"generated": len(records), "kept": len(outcome.kept), **outcome.counts,
                "contamination": {"ngram": settings.ngram, "benchmarks_checked": benchmarks.checked,
                                  "benchmarks_unavailable": benchmarks.unavailable,
                                  "benchmark_problems": index.size,
                                  "records_matching": dict(outcome.matched_benchmarks)},
                "consistency": consistency, "kept_stages": stage_counts(outcome.kept),
                "removed_examples": _removal_examples(outcome.removed)}

    def step_evaluate(self) -> dict[str, Any]:
        from evalkit.synthesis import evaluate
        from evalkit.synthesis.distill import train_settings
        from evalkit.training import finetune, ssft_examples

        settings = self.config.evaluate
        if settings is None:
            raise ConfigError("the 'evaluate' step needs an 'evaluate' section in the config")
        import tasks

        _require(self.paths.synthetic, "filter")
        data_dir = self.data_dir(settings.data_dir)
        prompt_format = settings.prompt_format or tasks.get_task(settings.task).default_prompt_format
        real = ssft_examples(evaluate.real_problems(settings.task, data_dir, settings.real_examples),
                             prompt_format=prompt_format)
        plans = [evaluate.StudentPlan("baseline", None), evaluate.StudentPlan("with_synthetic", self.paths.synthetic)]
        ablation: dict[str, Any] | None = None
        if settings.random_texts:
            ablation = self._run_random_texts_ablation()
            plans.append(evaluate.StudentPlan("random_texts", self.paths.ablation / "synthetic.jsonl"))
        evaluate.check_plans(plans)
        student = self.model(settings.student)
        train = train_settings({"seed": settings.seed, **settings.train})
        results: dict[str, dict[str, bool]] = {}
        sizes: dict[str, int] = {}
        for plan in plans:
            synthetic = evaluate.synthetic_examples(plan.synthetic, settings.synthetic_examples, prompt_format) \
                if plan.synthetic else []
            sizes[plan.name] = len(real) + len(synthetic)
            self.console.print(f"[bold]synth:[/] student {for_terminal(plan.name)}: {len(real)} real + {len(synthetic)} synthetic "
                               "examples")
            trained = finetune(student, [*real, *synthetic], self.paths.evaluate / "students" / plan.name, train,
                               show_progress=self.show_progress)
            results[plan.name] = self._test(plan.name, trained.checkpoint, settings, data_dir)
        teacher_model = self.config.teacher.options.get("model")
        if self.config.teacher.backend in ("hf", "vllm") and isinstance(teacher_model, str):
            results["teacher"] = self._test("teacher", Path(self.model(teacher_model)), settings, data_dir)
        summary = evaluate.summarize(results, sizes, confidence=settings.confidence, resamples=settings.resamples,
                                     seed=settings.seed)
        summary["student"] = settings.student
        summary["student_training"] = train.to_dict()
        if self._uses_demo_corpus():
            from evalkit.synthesis.demo_world import exercise_quality

            summary["synthetic_quality"] = {plan.name: exercise_quality(read_jsonl(plan.synthetic))
                                            for plan in plans if plan.synthetic and plan.synthetic.exists()}
            removed = [record for record in read_jsonl(self.paths.removed) if "problem" in record]
            summary["removed_quality"] = {name: exercise_quality([r for r in removed if r["removed"] == name])
                                          for name in sorted({r["removed"] for r in removed})}
        if ablation is not None:
            summary["random_texts_run"] = ablation
        return summary

    def _test(self, name: str, model_dir: Path, settings, data_dir: str | None) -> dict[str, bool]:
        from evalkit.synthesis import evaluate

        config = evaluate.evaluation_run_config(name, model_dir, settings.task, max_tokens=settings.max_tokens,
                                                batch_size=settings.batch_size, limit=settings.test_limit,
                                                seed=settings.seed)
        return evaluate.correct_on_test(self.paths.evaluate / "runs" / name, config, data_dir, self.console,
                                        self.show_progress)

    def _run_random_texts_ablation(self) -> dict[str, Any]:
        """The same chain with `select.method: random` in a sub-folder (sharing the world and models,
        not the teacher's cache: each arm pays for its own texts). Its teacher calls are reported
        in the evaluation's `random_texts_run`, not in this run's `teacher_calls*`."""
        config = self.config.model_copy(update={
            "select": self.config.select.model_copy(update={"method": "random"}), "evaluate": None})
        self.console.print(f"[bold]synth:[/] ablation: the chain again with random texts, in {for_terminal(self.paths.ablation)}")
        pipeline = SynthPipeline(config, self.paths.ablation, show_progress=self.show_progress, console=self.console,
                                 backend_factory=self.backend_factory, shared=self.paths.shared or self.paths.root)
        report = pipeline.run(CHAIN)
        keys = ("texts_selected", "selected_arithmetic_share", "teacher_calls", "teacher_calls_this_run",
                "teacher_tokens", "train_pairs", "generated", "kept", "removed_malformed", "removed_length",
                "removed_contaminated", "removed_duplicates", "removed_miscalculated", "removed_inconsistent", "kept_stages")
        return {key: report.get(key) for key in keys}

    # -- driver -----------------------------------------------------------------------------

    def run(self, steps: Sequence[str] = STEPS) -> dict[str, Any]:
        """Run `steps` in order, save each step's stats, and write and return `report.json`."""
        if self.config.evaluate is None:
            steps = [step for step in steps if step != "evaluate"]
        timings: dict[str, float] = {}
        with torch_threads(self.config.torch_threads):
            for step in steps:
                self.console.print(f"[bold]synth:[/] {step}")
                started = time.perf_counter()
                stats = getattr(self, f"step_{step}")()
                timings[step] = round(time.perf_counter() - started, 3)
                _write_json(self.paths.step_stats(step), {**stats, "seconds": timings[step],
                                                          "inputs": self._input_digests(step),
                                                          "sections": self._section_digest(step)})
        report = self.report(timings)
        _write_json(self.paths.report, report)
        return report

    def step_reads(self, step: str) -> list[str]:
        """The earlier steps whose results `step` reads under this config: their files (`step_output`),
        and, for distill, its synthesizer (when generate.model does not replace it)."""
        config = self.config
        uses_distilled = not config.generate.model
        consistency = config.filter.consistency
        reads = {
            "select": ["corpus"],
            "teacher": ["corpus", *(["select"] if config.teacher.texts == "selected" else [])],
            "distill": ["corpus", "teacher"],
            "generate": ["corpus", *(["select"] if config.generate.texts == "selected" else []),
                         *(["distill"] if uses_distilled else [])],
            "filter": ["generate", *(["distill"] if consistency.enabled and consistency.solver == "synthesizer"
                                     and uses_distilled else [])],
            "evaluate": ["filter"],
        }
        return reads.get(step, [])

    def _input_digests(self, step: str) -> dict[str, str | None]:
        """What `step` reads of earlier steps (`step_reads`), as it is now: the SHA-256 of each file
        (None for one that is not there), and the distilled synthesizer's folder (its name hashes
        what it was trained on)."""
        digests: dict[str, str | None] = {}
        for earlier in self.step_reads(step):
            output = self.paths.step_output(earlier)
            if output is not None:
                digests[output.name] = file_sha256(output) if output.is_file() else None
            elif earlier == "distill":
                checkpoint = (_read_json(self.paths.step_stats(earlier)) or {}).get("checkpoint")
                digests[DISTILLED] = str(checkpoint) if checkpoint else None
        return digests

    def _section_digest(self, step: str) -> str:
        """A hash of the config sections `step` reads (`STEP_SECTIONS`)."""
        return self.config.section_hash(*STEP_SECTIONS[step])

    def stale_steps(self) -> dict[str, Staleness]:
        """The steps that ran (now or before) whose results are out of date, each with why: inputs or
        config sections that changed since it ran, or an earlier step it reads that is stale itself
        (so a step run alone with a new result leaves every step after it that depends on it stale)."""
        stale: dict[str, Staleness] = {}
        for step in STEPS:
            stats = _read_json(self.paths.step_stats(step)) or {}
            recorded = stats.get("inputs")
            if not isinstance(recorded, dict):
                continue
            current = self._input_digests(step)
            changed = sorted(name for name, digest in recorded.items() if current.get(name, digest) != digest)
            sections = stats.get("sections")
            if isinstance(sections, str) and sections != self._section_digest(step):
                changed.append(f"the config's {' or '.join(STEP_SECTIONS[step])} section")
            upstream = tuple(earlier for earlier in self.step_reads(step) if earlier in stale)
            if changed or upstream:
                stale[step] = Staleness(tuple(changed), upstream)
        return stale

    def report(self, timings: dict[str, float]) -> dict[str, Any]:
        """The counts of every step that has run (now or before) on the current outputs of the steps
        before it, and this run's timings. A stale step (its inputs changed since it ran: an earlier
        step was rerun alone, or the config sections it reads were edited) is listed under
        `stale_steps` and its figures are left out, so that the report never mixes two chains."""
        stale = self.stale_steps()
        for step, why in stale.items():
            self.console.print(f"[yellow]stale:[/] {step}: {for_terminal(why.describe())}", highlight=False)
        if stale:
            self.console.print(f"[yellow]stale:[/] the figures of {', '.join(stale)} are left out of the report until "
                               f"they run again (--steps {','.join(stale)})", highlight=False)
        stats = {step: {} if step in stale else (_read_json(self.paths.step_stats(step)) or {}) for step in STEPS}
        select, teacher_stats = stats["select"], stats["teacher"]
        filtered, generated = stats["filter"], stats["generate"]
        report: dict[str, Any] = {
            "corpus_chunks": stats["corpus"].get("chunks"),
            "selection": select.get("method", "influence" if select.get("enabled") else None),
            "texts_scored": select.get("texts_scored"),
            "texts_selected": select.get("texts_selected"),
            "selected_arithmetic_share": select.get("selected_arithmetic_share"),
            "influence_scores": select.get("score_distribution"),
            "teacher_calls": teacher_stats.get("teacher_calls"),
            "teacher_calls_this_run": self.teacher_calls_this_run,
            "teacher_tokens": teacher_stats.get("teacher_tokens"),
            "teacher_ok": teacher_stats.get("teacher_ok"),
            "teacher_malformed": teacher_stats.get("teacher_malformed"),
            "teacher_skipped": teacher_stats.get("teacher_skipped"),
            "teacher_stages": teacher_stats.get("stages"),
            "train_pairs": stats["distill"].get("train_pairs"),
            "synthesizer": generated.get("synthesizer"),
            "generated": generated.get("generated"),
            "kept": filtered.get("kept"),
            "removed_malformed": filtered.get("removed_malformed"),
            "removed_length": filtered.get("removed_length"),
            "removed_contaminated": filtered.get("removed_contaminated"),
            "removed_duplicates": filtered.get("removed_duplicates"),
            "removed_miscalculated": filtered.get("removed_miscalculated"),
            "removed_inconsistent": filtered.get("removed_inconsistent"),
            "filters": {key: filtered.get(key) for key in ("contamination", "consistency", "removed_examples")}
            if filtered else None,
            "kept_stages": filtered.get("kept_stages"),
            "efficiency": _efficiency(teacher_stats, generated, filtered),
            "cost": teacher_stats.get("cost"),
            "timings_this_run": timings,
            "steps": stats,
            "stale_steps": {step: why.reasons for step, why in stale.items()},
        }
        if stats["evaluate"]:
            report["evaluation"] = {key: value for key, value in stats["evaluate"].items() if key != "seconds"}
        return report


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Let torch use `count` intra-op threads inside the block (unchanged when None)."""
    if count is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _removal_examples(removed: Sequence[dict[str, Any]], per_filter: int = 3) -> dict[str, list[dict[str, Any]]]:
    """A few removed records per filter (problem and reason), so report.json shows what went and why."""
    examples: dict[str, list[dict[str, Any]]] = {}
    for record in removed:
        shown = examples.setdefault(record["removed"], [])
        if len(shown) < per_filter:
            shown.append({key: record[key] for key in ("problem", "answer", "detail", "matched") if key in record})
    return examples


def _efficiency(teacher: dict[str, Any], generated: dict[str, Any], filtered: dict[str, Any]) -> dict[str, Any] | None:
    """The paper's efficiency argument in numbers: teacher calls and tokens against the data produced.
    When the teacher is also the consistency filter's solver, those calls count against the data too."""
    calls, kept = teacher.get("teacher_calls"), filtered.get("kept")
    if not calls or kept is None:
        return None
    consistency = filtered.get("consistency") or {}
    checking = consistency.get("solver_calls", 0) if consistency.get("solver_is_teacher") else 0
    return {"teacher_calls": calls, "teacher_tokens": teacher.get("teacher_tokens"),
            "teacher_checking_calls": checking, "synthesizer_calls": generated.get("synthesizer_calls"),
            "generated": generated.get("generated"), "kept": kept,
            "kept_per_teacher_call": round(kept / (calls + checking), 3)}


def _create_backend(name: str, options: dict[str, Any]) -> Backend:
    from evalkit.backends import create_backend

    return create_backend(name, **options)


def run_synthesis(config: SynthConfig, out: Path, steps: Sequence[str] = STEPS, *,
                  show_progress: bool = True) -> dict[str, Any]:
    """Run the synthesis steps of `config` into `out`; returns the report."""
    return SynthPipeline(config, out, show_progress=show_progress).run(steps)
