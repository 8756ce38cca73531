"""Tests of `reranker.two_way`: the two-way evaluator's examples, score, context cut, and scoring a run."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from evalkit.jsonl import read_jsonl
from reranker.scoring import score_run
from reranker.two_way import (
    TwoWayEvaluator,
    TwoWayTemplate,
    fit_to_context,
    two_way_examples,
    two_way_score,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_rerank import PROBLEM_0, PROBLEM_1, solution, write_run  # noqa: E402


def test_each_right_solution_gives_a_forward_and_a_backward_example_once():
    examples = two_way_examples([(" Ann has 3. How many? ", "3 + 0 = 3.\n"), ("Ann has 3. How many?", "3 + 0 = 3."),
                                 ("", "4"), ("Bob has 2.", "  ")])
    assert [(example.prompt, example.completion) for example in examples] == [
        ("Problem:\nAnn has 3. How many?\n\nSolution:", " 3 + 0 = 3."),
        ("Solution:\n3 + 0 = 3.\n\nProblem:", " Ann has 3. How many?"),
    ]


def test_a_template_without_its_field_or_with_the_other_one_is_refused():
    with pytest.raises(ValueError, match="forward"):
        TwoWayTemplate(forward="Solve it:")
    with pytest.raises(ValueError, match="backward"):
        TwoWayTemplate(backward="{problem} {solution}")


def test_two_way_score_is_the_product_of_the_per_token_probabilities():
    assert two_way_score(-0.5, -0.25) == pytest.approx(math.exp(-0.75))
    assert two_way_score(0.0, 0.0) == 1.0
    assert math.isnan(two_way_score(math.nan, -1.0))
    assert two_way_score(-2000.0, -2000.0) == 0.0  # no overflow or error far out


@pytest.mark.parametrize(("prompt", "completion", "limit", "keep_first", "expected"), [
    ([1, 2, 3], [7, 8], None, False, ([1, 2, 3], [7, 8], False)),
    ([1, 2, 3], [7, 8], 5, False, ([1, 2, 3], [7, 8], False)),
    ([1, 2, 3, 4], [7, 8], 4, False, ([3, 4], [7, 8], True)),  # the prompt loses its start
    ([0, 2, 3, 4], [7, 8], 4, True, ([0, 4], [7, 8], True)),  # ... but keeps a BOS
    ([1, 2, 3], [7, 8, 9, 10], 3, False, ([1], [7, 8], True)),  # then the completion loses its end
])
def test_a_text_too_long_for_the_context_is_cut_as_documented(prompt, completion, limit, keep_first, expected):
    kept_prompt, kept_completion, cut = fit_to_context(prompt, completion, limit, keep_first)
    assert (kept_prompt, kept_completion, cut) == expected
    if limit is not None:
        assert len(kept_prompt) + len(kept_completion) <= limit


def _mean_completion_logprob(model, tokenizer, prompt: str, completion: str) -> float:
    """One unpadded forward pass: the mean log-probability of the completion's tokens after the prompt."""
    import torch

    prompt_ids = tokenizer(prompt)["input_ids"]
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt_ids + completion_ids])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
    values = [logprobs[len(prompt_ids) + i - 1, token].item() for i, token in enumerate(completion_ids)]
    return sum(values) / len(values)


def test_batched_padded_scores_equal_one_pass_per_text(tiny_model_dir):
    evaluator = TwoWayEvaluator.from_pretrained(tiny_model_dir, batch_size=3)
    problems = ["What is 2 + 3?", "What is 2 + 3?", "Ann has 4 apples and finds 5 more. How many now?",
                "What is 2 + 3?"]
    solutions = ["2 + 3 = 5. The answer is \\boxed{5}.", "2 + 3 = 6. The answer is \\boxed{6}.",
                 "4 + 5 = 9. The answer is \\boxed{9}.", "2 + 3 = 5. The answer is \\boxed{5}."]
    scores = evaluator.score(problems, solutions)
    assert scores[0] == scores[3]
    template = evaluator.template
    for problem, solution_text, score in zip(problems, solutions, scores):
        forward = _mean_completion_logprob(evaluator.model, evaluator.tokenizer,
                                           *template.forward_pair(problem, solution_text))
        backward = _mean_completion_logprob(evaluator.model, evaluator.tokenizer,
                                            *template.backward_pair(problem, solution_text))
        assert score == pytest.approx(math.exp(forward + backward), rel=1e-4)
        assert 0.0 < score <= 1.0
    assert evaluator.truncated == 0
    assert evaluator.identity and evaluator.name == tiny_model_dir.name


def test_a_context_too_short_cuts_and_counts_instead_of_failing(tiny_model_dir):
    evaluator = TwoWayEvaluator.from_pretrained(tiny_model_dir)
    evaluator.max_prompt_tokens = 12
    scores = evaluator.score(["Ann has 4 apples and finds 5 more. How many apples does Ann have now?"],
                             ["Ann finds 5 more, so 4 + 5 = 9. The answer is \\boxed{9}."])
    assert 0.0 < scores[0] <= 1.0
    assert evaluator.truncated == 2  # both directions


def test_score_run_files_the_two_way_scores_like_any_evaluator(tmp_path, tiny_model_dir):
    run_dir = write_run(tmp_path, [PROBLEM_0, PROBLEM_1])
    evaluator = TwoWayEvaluator.from_pretrained(tiny_model_dir, name="two-way")
    summary = score_run(run_dir, evaluator, method="all", show_progress=False)
    assert summary.scorer == "two-way"
    lines = read_jsonl(run_dir / "scores.jsonl")
    for p, spec in enumerate([PROBLEM_0, PROBLEM_1]):
        answered = [i for i, cluster in enumerate(spec["clusters"]) if cluster >= 0]
        assert [i for i, value in enumerate(lines[p]["scores"]) if value is not None] == answered
        direct = evaluator.score([f"Question number {p}?"] * len(answered),
                                 [solution(p, i, spec["scores"][i]) for i in answered])
        assert [lines[p]["scores"][i] for i in answered] == pytest.approx(direct, rel=1e-6)


def test_a_missing_model_is_one_clear_error(tmp_path):
    from evalkit.errors import ConfigError

    with pytest.raises(ConfigError, match="no config.json"):
        TwoWayEvaluator.from_pretrained(tmp_path)


def test_load_evaluator_scores_with_the_kind_the_model_was_trained_as(tmp_path, tiny_model_dir):
    import shutil

    from evalkit.errors import ConfigError
    from reranker.evaluator import SolutionEvaluator
    from reranker.two_way import KIND_FILE, load_evaluator, write_kind_file

    assert isinstance(load_evaluator(tiny_model_dir, device="cpu"), SolutionEvaluator)
    model_dir = tmp_path / "two-way"
    shutil.copytree(tiny_model_dir, model_dir)
    write_kind_file(model_dir)
    loaded = load_evaluator(model_dir, name="tw", device="cpu", batch_size=4)
    assert isinstance(loaded, TwoWayEvaluator) and loaded.name == "tw" and loaded.batch_size == 4
    with pytest.raises(ConfigError, match="hf backend only"):
        load_evaluator(model_dir, backend="vllm")
    (model_dir / KIND_FILE).write_text('{"kind": "oracle"}')
    with pytest.raises(ConfigError, match=KIND_FILE):
        load_evaluator(model_dir)
    (model_dir / KIND_FILE).unlink()
    (model_dir / KIND_FILE).mkdir()  # not silently a verdict evaluator
    with pytest.raises(ConfigError, match="not a regular file"):
        load_evaluator(model_dir)


def test_a_device_this_machine_lacks_is_one_line_for_a_two_way_evaluator(tmp_path, tiny_model_dir):
    import shutil

    import torch

    from evalkit.errors import ConfigError
    from reranker.two_way import load_evaluator, write_kind_file

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    model_dir = tmp_path / "two-way"
    shutil.copytree(tiny_model_dir, model_dir)
    write_kind_file(model_dir)
    with pytest.raises(ConfigError, match="device 'cuda' is not available on this machine"):
        load_evaluator(model_dir, device="cuda")


def test_evalkit_rerank_scores_with_a_two_way_evaluator_and_says_so(tmp_path, tiny_model_dir):
    import shutil

    import typer
    from typer.testing import CliRunner

    from reranker.cli import rerank_command
    from reranker.two_way import write_kind_file

    app = typer.Typer()
    app.command("rerank")(rerank_command)
    app.command("noop")(lambda: None)
    model_dir = tmp_path / "two-way"
    shutil.copytree(tiny_model_dir, model_dir)
    write_kind_file(model_dir)
    run_dir = write_run(tmp_path, [PROBLEM_0, PROBLEM_1])
    result = CliRunner().invoke(app, ["rerank", str(run_dir), "--evaluator", str(model_dir), "--top-k", "2",
                                      "--scorer-name", "tw", "--device", "cpu"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "two-way (its evaluator_kind.json)" in result.output
    lines = read_jsonl(run_dir / "scores.jsonl")
    assert {line["scorer"] for line in lines} == {"tw"}
    scored = [value for line in lines for value in line["scores"] if value is not None]
    assert len(scored) == 12 and all(0.0 < value <= 1.0 for value in scored)
