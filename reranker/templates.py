"""How a solution is shown to the solution evaluator, and the two verdicts it chooses between.

The evaluator is a causal language model fine-tuned to continue the prompt below with one of
two verdict strings; its score for a solution is p(correct) / (p(correct) + p(incorrect)) read
from the next-token distribution. Training (`evalkit.training`) and scoring (`reranker`) both
build prompts here, so the two always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_TEMPLATE = (
    "Here is a math problem: {problem}\n"
    "Here is a candidate solution: {solution}\n"
    "The above candidate solution is"
)
VERDICT_CORRECT = " correct"
VERDICT_INCORRECT = " incorrect"
_FIELD = re.compile(r"\{(problem|solution)\}")


@dataclass(frozen=True)
class EvaluatorTemplate:
    """A prompt template with `{problem}` and `{solution}` fields, and the two verdict strings."""

    template: str = DEFAULT_TEMPLATE
    correct: str = VERDICT_CORRECT
    incorrect: str = VERDICT_INCORRECT

    def __post_init__(self) -> None:
        for field_name in ("{problem}", "{solution}"):
            if field_name not in self.template:
                raise ValueError(f"evaluator template must contain {field_name}")
        if not self.correct or not self.incorrect or self.correct == self.incorrect:
            raise ValueError("the two verdicts must be different non-empty strings")

    def prompt(self, problem: str, solution: str) -> str:
        """The evaluator's input for one solution, filled in one pass: braces or field names inside
        the problem or solution text are kept as they are."""
        values = {"problem": problem.strip(), "solution": solution.strip()}
        return _FIELD.sub(lambda match: values[match.group(1)], self.template)

    def verdict(self, correct: bool) -> str:
        """The training target for a solution that is (or is not) correct."""
        return self.correct if correct else self.incorrect
