"""Fine-tuning: the engine (`finetune`), its data builders, and the sequential SSFT -> evaluator -> SSFT chain.

Importing this package is cheap: torch, transformers, trl and peft load when training starts.
"""

from evalkit.training.data import (
    EvaluatorCounts,
    EvaluatorData,
    boxed_solution,
    build_evaluator_data,
    evaluator_examples,
    evaluator_pair_examples,
    ssft_examples,
    ssft_examples_from_jsonl,
)
from evalkit.training.engine import (
    LoraSettings,
    TrainExample,
    TrainResult,
    TrainSettings,
    finetune,
)
from evalkit.training.sequential import (
    EvaluatorStageResult,
    SequentialResult,
    run_sequential,
)

__all__ = [
    "EvaluatorCounts", "EvaluatorData", "EvaluatorStageResult", "LoraSettings", "SequentialResult", "TrainExample",
    "TrainResult", "TrainSettings", "boxed_solution", "build_evaluator_data", "evaluator_examples",
    "evaluator_pair_examples", "finetune", "run_sequential", "ssft_examples", "ssft_examples_from_jsonl",
]
