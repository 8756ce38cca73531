"""JiuZhang3.0-style synthesis of math training data (Zhou et al. 2024).

A strong teacher writes exercises (problem + step-by-step solution) from math texts with
prompts for JiuZhang3.0's eight education stages; texts worth teaching are picked by gradient
influence on the target tasks; a small synthesizer is distilled from the teacher's answers and
then writes exercises for the whole corpus; the output is filtered (format, length,
contamination against every registered benchmark, near-duplicates, written computations,
answer consistency); optionally students are trained with and without it to measure its worth.

Modules, one step each: `corpus`, `influence`, `prompts`, `teacher` (cache, retries, budget,
cost), `distill`, `generate`, `filters`, `evaluate`, with `pipeline` running them and `config` /
`cli` as the user-facing surface; `demo_world` builds the CPU demo's miniature world and
`demo_results` regenerates `results/synth-demo/`. Heavy libraries (torch, transformers, peft)
load only in the steps that need them.
"""

from evalkit.synthesis.config import SynthConfig, load_synth_config, parse_synth_config
from evalkit.synthesis.pipeline import STEPS, SynthPipeline, run_synthesis

__all__ = ["STEPS", "SynthConfig", "SynthPipeline", "load_synth_config", "parse_synth_config", "run_synthesis"]
