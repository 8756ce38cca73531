"""The synthesis pipeline: six resumable steps whose outputs live under one directory.

    corpus    -> corpus.jsonl                 chunks with stable ids
    select    -> influence.jsonl              per-text influence score and whether it was kept
    teacher   -> teacher.jsonl                one parsed teacher answer per (text, stage)
                 cache/teacher.jsonl          every paid call, so nothing is paid twice
    distill   -> distill/<data hash>/final/   the fine-tuned synthesizer
    generate  -> generated.jsonl              the synthesizer's exercises
                 cache/synthesizer.jsonl
    filter    -> synthetic.jsonl, removed.jsonl
    all       -> steps/<step>.json (each step's counts), report.json (all of them, this run's timings)

Any subset of steps can run; a step reads what earlier steps left on disk and says which step
to run when that is missing. Corpus and selection are skipped when their config (and inputs)
are unchanged; teacher and generation always go through their caches, so a rerun pays nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from evalkit.backends.base import Backend, Completion, Prompt, SamplingParams
from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_json_object, read_jsonl, write_jsonl
from evalkit.synthesis.config import SamplingSection, SynthConfig
from evalkit.synthesis.corpus import Chunk, corpus_from_config

STEPS: tuple[str, ...] = ("corpus", "select", "teacher", "distill", "generate", "filter")


@dataclass(frozen=True)
class SynthPaths:
    """Where each step's output lives under the output directory."""

    root: Path

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
    def models(self) -> Path:
        return self.root / "models"

    def step_stats(self, step: str) -> Path:
        return self.root / "steps" / f"{step}.json"


def parse_steps(text: str | None) -> list[str]:
    """`"corpus,select"` -> those steps in pipeline order; None or "all" -> every step."""
    if text is None or text.strip() in ("", "all"):
        return list(STEPS)
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in STEPS]
    if unknown:
        raise ConfigError(f"unknown steps {unknown}; choose from {', '.join(STEPS)}")
    return [step for step in STEPS if step in names]


def resolve_model(spec: str, paths: SynthPaths) -> str:
    """A model path or name; `demo:NAME` builds the demo's tiny model under `DIR/models`."""
    if spec.startswith("demo:"):
        from evalkit.synthesis.demo_corpus import build_demo_model

        return str(build_demo_model(spec.split(":", 1)[1], paths.models))
    return spec


def sampling_params(section: SamplingSection) -> SamplingParams:
    return SamplingParams(temperature=section.temperature, top_p=section.top_p, max_tokens=section.max_tokens,
                          seed=section.seed)


class LazyBackend:
    """Builds the real backend on the first `generate` call, so a fully cached step loads no model."""

    def __init__(self, name: str, factory: Callable[[], Backend]) -> None:
        self.name = name
        self._factory = factory
        self._backend: Backend | None = None

    def generate(self, prompts: Sequence[Prompt], n: int, sampling: SamplingParams) -> list[list[Completion]]:
        if self._backend is None:
            self._backend = self._factory()
        return self._backend.generate(prompts, n, sampling)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


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


class SynthPipeline:
    """Runs the steps of one config into one output directory (see the module docstring)."""

    def __init__(self, config: SynthConfig, out: Path, *, show_progress: bool = True,
                 console: Console | None = None, backend_factory: Callable[[str, dict[str, Any]], Backend] | None = None) -> None:
        self.config = config
        self.paths = SynthPaths(Path(out))
        self.paths.root.mkdir(parents=True, exist_ok=True)
        self.show_progress = show_progress
        self.console = console or Console(stderr=True)
        self.backend_factory = backend_factory or _create_backend
        self.teacher_calls_this_run = 0

    # -- steps ------------------------------------------------------------------------------

    def step_corpus(self) -> dict[str, Any]:
        """Read the sources again every time (cheap) and rewrite the corpus only when its content
        changed: later steps key on the corpus file's digest, so edited sources are never missed."""
        config_hash = self.config.section_hash("corpus")
        tokenizer = resolve_model(self.config.select.model, self.paths) if self.config.corpus.unit == "tokens" \
            and not self.config.corpus.tokenizer else self.config.corpus.tokenizer
        result = corpus_from_config(self.config.corpus, tokenizer)
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
        from evalkit.synthesis import influence

        settings = self.config.select
        chunks = load_chunks(self.paths)
        input_hash = f"{self.config.section_hash('select')}:{_file_digest(self.paths.corpus)}"
        previous = _read_json(self.paths.step_stats("select"))
        if previous and previous.get("input_hash") == input_hash and (
                not settings.enabled or self.paths.influence.exists()):
            return {**previous, "skipped": "unchanged"}
        if not settings.enabled:
            return {"input_hash": input_hash, "enabled": False, "texts_scored": 0, "texts_selected": len(chunks)}
        featurizer = influence.GradientFeaturizer(resolve_model(settings.model, self.paths), influence.InfluenceSettings(
            lora_r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_modules=tuple(settings.lora_modules),
            dims=settings.dims, projection=settings.projection, max_length=settings.max_length, seed=settings.seed,
            texts_per_block=settings.texts_per_block, device=settings.device))
        targets = influence.target_texts(settings.targets, settings.max_targets, settings.data_dir)
        target_features = featurizer.features(targets, description="target gradients", show_progress=self.show_progress)
        text_features = featurizer.features([c.text for c in chunks], description="text gradients",
                                            show_progress=self.show_progress)
        scores = influence.influence_scores(text_features, target_features, settings.aggregate, settings.center)
        kept = set(influence.top_fraction([c.id for c in chunks], scores, settings.keep_fraction))
        write_jsonl(self.paths.influence, ({"id": c.id, "score": round(float(s), 6), "selected": c.id in kept}
                                           for c, s in zip(chunks, scores)))
        return {"input_hash": input_hash, "enabled": True, "texts_scored": len(chunks), "texts_selected": len(kept),
                "targets": len(targets), "gradient_dims": featurizer.dimension, "projected_dims": settings.dims,
                "aggregate": settings.aggregate, "score_distribution": influence.score_summary(scores)}

    def step_teacher(self) -> dict[str, Any]:
        from evalkit.synthesis import teacher

        settings = self.config.teacher
        chunks = selected_chunks(self.paths, settings.texts)[:settings.limit]
        options = dict(settings.options)
        if isinstance(options.get("model"), str):
            options["model"] = resolve_model(options["model"], self.paths)
        # the model as configured (not its resolved path), so a moved output directory keeps its cache
        model_id = f"{settings.backend}:{settings.options.get('model', '')}"
        backend = LazyBackend(settings.backend, lambda: self.backend_factory(settings.backend, options))
        caller = teacher.CachedCaller(
            backend, model_id, self.paths.teacher_cache,
            budget=teacher.Budget(settings.max_calls, settings.max_tokens),
            retry=teacher.RetryPolicy(settings.max_retries, settings.backoff_base, settings.backoff_max))
        records = teacher.ask_teacher(chunks, caller, mode=settings.stage, stages=settings.stages, chat=settings.chat,
                                      sampling=sampling_params(settings.sampling), batch_size=settings.batch_size,
                                      show_progress=self.show_progress)
        write_jsonl(self.paths.teacher, records)
        self.teacher_calls_this_run += caller.this_run.calls
        pricing = teacher.Pricing(settings.pricing.prompt_per_1k, settings.pricing.completion_per_1k)
        statuses = teacher.count_statuses(records)
        return {"texts": len(chunks), "requests": len(records), "teacher_ok": statuses.get("ok", 0),
                "teacher_malformed": statuses.get("malformed", 0), "teacher_skipped": statuses.get("skipped", 0),
                "teacher_calls": caller.total.calls, "teacher_calls_this_run": caller.this_run.calls,
                "cost": teacher.cost_report(caller, pricing)}

    def _distilled_dir(self, pairs: Sequence[tuple[str, str]]) -> Path:
        key = json.dumps({"base": self.config.distill.base_model, "train": self.config.distill.train, "pairs": pairs},
                         sort_keys=True, default=str)
        return self.paths.distill / hashlib.sha256(key.encode()).hexdigest()[:12]

    def step_distill(self) -> dict[str, Any]:
        from evalkit.synthesis.distill import distill_synthesizer, distillation_pairs

        _require(self.paths.teacher, "teacher")
        chunks = {chunk.id: chunk for chunk in load_chunks(self.paths)}
        pairs = distillation_pairs(read_jsonl(self.paths.teacher), chunks)
        out_dir = self._distilled_dir(pairs)
        result = distill_synthesizer(resolve_model(self.config.distill.base_model, self.paths), pairs, out_dir,
                                     self.config.distill.train, show_progress=self.show_progress)
        return {"train_pairs": len(pairs), "checkpoint": str(result.checkpoint), "steps": result.steps,
                "final_loss": result.final_loss}

    def _synthesizer_model(self) -> str:
        if self.config.generate.model:
            return resolve_model(self.config.generate.model, self.paths)
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
        backend = LazyBackend(settings.backend, lambda: self.backend_factory(settings.backend, options))
        caller = CachedCaller(backend, f"{settings.backend}:{checkpoint_fingerprint(model)}", self.paths.synthesizer_cache)
        chunks = selected_chunks(self.paths, settings.texts)
        records = synthesize(chunks, caller, mode=settings.stage, stages=settings.stages, n=settings.n,
                             sampling=sampling_params(settings.sampling), batch_size=settings.batch_size,
                             show_progress=self.show_progress)
        write_jsonl(self.paths.generated, records)
        statuses = count_statuses(records)
        return {"texts": len(chunks), "generated": len(records), "generated_well_formed": statuses.get("ok", 0),
                "synthesizer": model, "synthesizer_calls_this_run": caller.this_run.calls}

    def step_filter(self) -> dict[str, Any]:
        from evalkit.synthesis.filters import (
            ContaminationIndex,
            benchmark_texts,
            filter_exercises,
        )

        settings = self.config.filter
        _require(self.paths.generated, "generate")
        records = read_jsonl(self.paths.generated)
        index = None
        if settings.decontaminate:
            index = ContaminationIndex(benchmark_texts(settings.decontaminate, settings.data_dir), settings.ngram)
        outcome = filter_exercises(records, bounds=settings.model_dump(), index=index,
                                   threshold=settings.near_dup_threshold, shingle_words=settings.shingle_words,
                                   num_perm=settings.minhash_perms)
        write_jsonl(self.paths.synthetic, ({"problem": r["problem"], "solution": r["solution"], "answer": r["answer"],
                                            "source_id": r["source_id"], "stage": r["stage"]} for r in outcome.kept))
        write_jsonl(self.paths.removed, outcome.removed)
        return {"kept": len(outcome.kept), **outcome.counts, "benchmarks": list(settings.decontaminate),
                "benchmark_problems": index.size if index else 0, "ngram": settings.ngram}

    # -- driver -----------------------------------------------------------------------------

    def run(self, steps: Sequence[str] = STEPS) -> dict[str, Any]:
        """Run `steps` in order, save each step's stats, and write and return `report.json`."""
        timings: dict[str, float] = {}
        for step in steps:
            self.console.print(f"[bold]synth:[/] {step}")
            started = time.perf_counter()
            stats = getattr(self, f"step_{step}")()
            timings[step] = round(time.perf_counter() - started, 3)
            _write_json(self.paths.step_stats(step), {**stats, "seconds": timings[step]})
        report = self.report(timings)
        _write_json(self.paths.report, report)
        return report

    def report(self, timings: dict[str, float]) -> dict[str, Any]:
        """The counts of every step that has run (now or before), and this run's timings."""
        stats = {step: _read_json(self.paths.step_stats(step)) or {} for step in STEPS}
        select, teacher_stats = stats["select"], stats["teacher"]
        filtered, generated = stats["filter"], stats["generate"]
        return {
            "corpus_chunks": stats["corpus"].get("chunks"),
            "texts_scored": select.get("texts_scored"),
            "texts_selected": select.get("texts_selected"),
            "influence_scores": select.get("score_distribution"),
            "teacher_calls": teacher_stats.get("teacher_calls"),
            "teacher_calls_this_run": self.teacher_calls_this_run,
            "teacher_ok": teacher_stats.get("teacher_ok"),
            "teacher_malformed": teacher_stats.get("teacher_malformed"),
            "teacher_skipped": teacher_stats.get("teacher_skipped"),
            "train_pairs": stats["distill"].get("train_pairs"),
            "synthesizer": generated.get("synthesizer"),
            "generated": generated.get("generated"),
            "kept": filtered.get("kept"),
            "removed_malformed": filtered.get("removed_malformed"),
            "removed_length": filtered.get("removed_length"),
            "removed_duplicates": filtered.get("removed_duplicates"),
            "removed_contaminated": filtered.get("removed_contaminated"),
            "cost": teacher_stats.get("cost"),
            "timings_this_run": timings,
            "steps": stats,
        }


def _create_backend(name: str, options: dict[str, Any]) -> Backend:
    from evalkit.backends import create_backend

    return create_backend(name, **options)


def run_synthesis(config: SynthConfig, out: Path, steps: Sequence[str] = STEPS, *,
                  show_progress: bool = True) -> dict[str, Any]:
    """Run the synthesis steps of `config` into `out`; returns the report."""
    return SynthPipeline(config, out, show_progress=show_progress).run(steps)
