"""JiuZhang3.0-style synthesis of math training data (Zhou et al. 2024).

A strong teacher writes exercises (problem + step-by-step solution) from math texts with
education-stage prompts; a small synthesizer is distilled from those answers and then writes
exercises for the whole corpus; texts worth teaching are picked by gradient influence on the
target tasks; the output is deduplicated and decontaminated against the benchmark test sets.

Modules, one step each: `corpus`, `influence`, `prompts`, `teacher` (cache, retries, budget,
cost), `distill`, `generate`, `filters`, with `pipeline` running them and `config` / `cli`
as the user-facing surface. Heavy libraries (torch, transformers, peft) load only in the
steps that need them.
"""

from evalkit.synthesis.config import SynthConfig, load_synth_config, parse_synth_config
from evalkit.synthesis.pipeline import STEPS, SynthPipeline, run_synthesis

__all__ = ["STEPS", "SynthConfig", "SynthPipeline", "load_synth_config", "parse_synth_config", "run_synthesis"]
