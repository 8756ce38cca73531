"""Tests of `reranker.evaluator`: verdict probabilities, prompts, batching and truncation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from evalkit.errors import ConfigError, InputError
from reranker.evaluator import SolutionEvaluator, verdict_probability
from reranker.templates import EvaluatorTemplate

PROBLEMS = [
    "What is 2 + 3?",
    "Solve $3x + 1 = 10$ for $x$.",
    "Ava has 12 apples and buys 7 more. How many apples does Ava have now?",
    "What is 2 + 3?",
    "There are 4 boxes with 6 coins in each box. How many coins are there in total?",
    "Ben shares 24 marbles equally among 3 friends. How many marbles does each friend get?",
    "What is 9 - 4?",
    "Solve $2x - 4 = 6$ for $x$.",
    "Grace had 30 books and gave away 12. How many books are left?",
]
SOLUTIONS = [
    "2 + 3 = 5. The answer is $\\boxed{5}$.",
    "Subtract to get $3x = 9$, so $x = 3$. The answer is $\\boxed{3}$.",
    "Ava has 12 + 7 = 19 apples. The answer is $\\boxed{19}$.",
    "It is 6. The answer is $\\boxed{6}$.",
    "There are 4 \\times 6 = 24 coins. The answer is $\\boxed{24}$.",
    "Each friend gets \\frac{24}{3} = 8 marbles. The answer is $\\boxed{8}$.",
    "9 - 4 = 5, so the answer is $\\boxed{5}$.",
    "Subtract to get $2x = 10$, so $x = 5$. The answer is $\\boxed{5}$.",
    "Grace has 30 - 12 = 18 books left, which is a long way of saying that the answer is $\\boxed{18}$.",
]


class RecordingBackend:
    """A fake backend: records every call and returns the log-probabilities it was given."""

    def __init__(self, logprobs: Sequence[tuple[float, float]] | None = None,
                 template: EvaluatorTemplate | None = None) -> None:
        self.logprobs = list(logprobs or [])
        self.template = template or EvaluatorTemplate()
        self.calls: list[tuple[list[str], tuple[str, ...]]] = []

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> list[dict[str, float]]:
        start = sum(len(batch) for batch, _ in self.calls)
        self.calls.append((list(prompts), tuple(candidates)))
        rows = []
        for offset in range(len(prompts)):
            correct, incorrect = self.logprobs[(start + offset) % len(self.logprobs)] if self.logprobs else (-1, -2)
            rows.append({candidates[0]: correct, candidates[1]: incorrect})
        return rows

    @property
    def prompts(self) -> list[str]:
        return [prompt for batch, _ in self.calls for prompt in batch]


# ------------------------------------------------------------------ verdict_probability


def test_verdict_probability_is_the_two_way_softmax():
    assert verdict_probability(math.log(0.3), math.log(0.1)) == pytest.approx(0.75, abs=1e-12)
    assert verdict_probability(-1.0, -1.0) == pytest.approx(0.5)


def test_verdict_probability_is_stable_far_in_the_tails():
    # plain exp() would underflow to 0/0 here
    assert verdict_probability(-2000.0, -2001.0) == pytest.approx(1 / (1 + math.exp(-1)), abs=1e-12)
    assert verdict_probability(-5000.0, -10.0) == 0.0
    assert verdict_probability(0.0, -math.inf) == 1.0
    assert verdict_probability(-math.inf, -3.0) == 0.0


def test_verdict_probability_of_two_impossible_verdicts_is_nan():
    assert math.isnan(verdict_probability(-math.inf, -math.inf))
    assert math.isnan(verdict_probability(math.nan, -1.0))


# ------------------------------------------------------------------ with a fake backend


def test_prompt_sent_is_exactly_the_filled_template():
    template = EvaluatorTemplate(template="Q: {problem}\nA: {solution}\nVerdict:", correct=" Yes", incorrect=" No")
    backend = RecordingBackend(template=template)
    evaluator = SolutionEvaluator(backend, template)
    evaluator.score(["What is {x}?  "], ["  It is {solution} 4."])
    assert backend.prompts == ["Q: What is {x}?\nA: It is {solution} 4.\nVerdict:"]
    assert backend.calls[0][1] == (" Yes", " No")


def test_scores_follow_the_backend_logprobs_and_identical_pairs_are_scored_once():
    backend = RecordingBackend([(math.log(0.2), math.log(0.6)), (math.log(0.9), math.log(0.1))])
    evaluator = SolutionEvaluator(backend)
    scores = evaluator.score(["p", "p", "q"], ["s", "s", "t"])
    assert len(backend.prompts) == 2
    assert scores == pytest.approx([0.25, 0.25, 0.9])


def test_batch_size_splits_backend_calls():
    backend = RecordingBackend()
    SolutionEvaluator(backend).score(PROBLEMS, SOLUTIONS, batch_size=4)
    # PROBLEMS[0] and [3] differ in their solutions, so all 9 pairs are distinct
    assert [len(batch) for batch, _ in backend.calls] == [4, 4, 1]


def test_undefined_score_is_nan_with_a_warning_not_a_crash():
    backend = RecordingBackend([(-math.inf, -math.inf), (-1.0, -1.0)])
    with pytest.warns(RuntimeWarning, match="no probability on either verdict"):
        scores = SolutionEvaluator(backend).score(["a", "b"], ["x", "y"])
    assert math.isnan(scores[0]) and scores[1] == pytest.approx(0.5)


def test_bad_arguments_are_refused():
    evaluator = SolutionEvaluator(RecordingBackend())
    with pytest.raises(ValueError):
        evaluator.score(["a"], ["x", "y"])
    with pytest.raises(ConfigError):
        evaluator.score(["a"], ["x"], batch_size=0)
    with pytest.raises(ConfigError):
        SolutionEvaluator(RecordingBackend(), name=" ")


def test_from_pretrained_refuses_a_missing_directory(tmp_path):
    with pytest.raises(ConfigError, match="evaluator model not found"):
        SolutionEvaluator.from_pretrained(tmp_path / "no-such-evaluator")


# ------------------------------------------------------------------ with the tiny model


@pytest.fixture(scope="module")
def hf_backend(tiny_model_dir):
    from evalkit.backends.hf import HFBackend

    return HFBackend(tiny_model_dir, device="cpu", batch_size=8)


def test_tiny_tokenizer_gives_the_default_verdicts_different_first_tokens(hf_backend):
    first = hf_backend.candidate_token_ids([EvaluatorTemplate().correct, EvaluatorTemplate().incorrect])
    assert first[0] != first[1]


def test_scores_equal_an_independent_softmax_of_the_two_logits(tiny_model_dir, hf_backend):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    template = EvaluatorTemplate()
    scores = SolutionEvaluator(hf_backend, template).score(PROBLEMS, SOLUTIONS)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    correct_id = tokenizer(template.correct, add_special_tokens=False)["input_ids"][0]
    incorrect_id = tokenizer(template.incorrect, add_special_tokens=False)["input_ids"][0]
    for problem, solution, score in zip(PROBLEMS, SOLUTIONS, scores):
        ids = tokenizer(template.prompt(problem, solution), return_tensors="pt")["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, -1]
        expected = torch.softmax(logits[[correct_id, incorrect_id]].double(), dim=0)[0].item()
        assert 0.0 <= score <= 1.0
        assert score == pytest.approx(expected, abs=1e-4)


def test_batching_does_not_change_scores(hf_backend):
    evaluator = SolutionEvaluator(hf_backend)
    by_batch = {size: evaluator.score(PROBLEMS, SOLUTIONS, batch_size=size) for size in (1, 3, 8)}
    for size in (3, 8):
        assert by_batch[size] == pytest.approx(by_batch[1], abs=1e-5)
    # the scores differ between solutions, so equality above is not trivial
    assert max(by_batch[1]) - min(by_batch[1]) > 1e-4


def test_from_pretrained_builds_the_hf_backend(tiny_model_dir, hf_backend):
    loaded = SolutionEvaluator.from_pretrained(tiny_model_dir, device="cpu", batch_size=2)
    assert loaded.name == tiny_model_dir.name
    assert loaded.max_prompt_tokens == 1024
    expected = SolutionEvaluator(hf_backend).score(PROBLEMS[:3], SOLUTIONS[:3])
    assert loaded.score(PROBLEMS[:3], SOLUTIONS[:3]) == pytest.approx(expected, abs=1e-5)


def test_long_solution_is_cut_from_the_left_keeping_its_end(hf_backend):
    limit = 80
    evaluator = SolutionEvaluator(hf_backend, max_prompt_tokens=limit)
    padding = " ".join(f"step {i}: we add {i} and {i + 1}." for i in range(60))
    solution = f"{padding} Finally the answer is $\\boxed{{42}}$."
    prompt = evaluator.build_prompt("What is 6 times 7?", solution)
    tokens = hf_backend.tokenizer(prompt, add_special_tokens=True)["input_ids"]
    assert len(tokens) <= limit
    assert prompt.startswith("Here is a math problem: What is 6 times 7?\n")
    assert prompt.endswith("Finally the answer is $\\boxed{42}$.\nThe above candidate solution is")
    assert "step 0:" not in prompt
    assert evaluator.truncated == 1
    # the full-context evaluator would refuse nothing here, and the truncated one still scores
    [score] = evaluator.score(["What is 6 times 7?"], [solution])
    assert 0.0 <= score <= 1.0
    short = evaluator.build_prompt("What is 6 times 7?", "It is $\\boxed{42}$.")
    assert short == EvaluatorTemplate().prompt("What is 6 times 7?", "It is $\\boxed{42}$.")


def test_problem_too_long_for_the_context_is_a_clear_error(hf_backend):
    evaluator = SolutionEvaluator(hf_backend, max_prompt_tokens=20)
    with pytest.raises(InputError, match="does not fit the evaluator's context of 20 tokens"):
        evaluator.score(["a very long problem " * 20], ["The answer is 1."])


def test_scores_of_trained_evaluators_are_filed_under_their_run_not_under_final(tmp_path):
    from reranker.evaluator import default_scorer_name

    assert default_scorer_name(tmp_path / "evaluator-a" / "final") == "evaluator-a"
    assert default_scorer_name(tmp_path / "evaluator-b" / "final") == "evaluator-b"
    assert default_scorer_name(tmp_path / "ev" / "checkpoints" / "checkpoint-40") == "ev/checkpoint-40"
    assert default_scorer_name(tmp_path / "my-evaluator") == "my-evaluator"


def test_a_directory_without_a_model_is_a_clear_error(tmp_path):
    import pytest as _pytest

    from evalkit.errors import ConfigError
    from reranker.evaluator import SolutionEvaluator

    with _pytest.raises(ConfigError, match="no config.json"):
        SolutionEvaluator.from_pretrained(tmp_path)
