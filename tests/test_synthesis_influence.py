"""LESS-style influence: projected LoRA gradients rank target-like texts above unrelated ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evalkit.synthesis.influence import (
    GradientFeaturizer,
    InfluenceSettings,
    influence_scores,
    project,
    score_summary,
    target_texts,
    top_fraction,
)

FIXTURE_DATA = Path(__file__).resolve().parent / "fixtures" / "tasks_data"

TARGETS = [
    "Mia has 12 apples and gives 5 to her friend. How many apples does she have left?\nShe has 12-5=7 apples. #### 7",
    "A box holds 6 rows of 4 eggs. How many eggs are in the box?\nThere are 6*4=24 eggs. #### 24",
    "Sam earns 15 dollars a day. How much does he earn in 8 days?\nHe earns 15*8=120 dollars. #### 120",
    "Solve 3x + 4 = 19 for x.\nSubtract 4 to get 3x = 15, so x = 5. The answer is $\\boxed{5}$.",
    "Lia shares 18 cookies equally among 3 friends. How many cookies does each get?\n18/3=6. #### 6",
]
MATH_LIKE = [
    "Leo buys 3 packs of 8 pencils. How many pencils does he have in total?",
    "Nina reads 20 pages a day. How many pages does she read in 6 days?",
    "There are 45 students and 9 buses. How many students ride on each bus?",
    "Omar had 50 marbles and lost 13 of them. How many marbles are left?",
    "Ava has 7 boxes with 5 shells in each box. How many shells are there?",
    "Solve 2x + 6 = 20 for x.",
]
UNRELATED = [
    "Preheat the oven. Whisk the eggs with sugar until pale, fold in the flour and bake until golden.",
    "Chop the onions finely and fry them slowly in butter with a pinch of salt until soft and sweet.",
    "Rinse the rice, simmer it gently with water and a bay leaf, then let it rest covered off the heat.",
    "Season the chicken with garlic, lemon and thyme, roast it, and baste it with the pan juices.",
    "Knead the dough for ten minutes, cover it with a cloth and leave it somewhere warm to rise.",
    "Slice the tomatoes, drizzle them with olive oil, scatter torn basil over them and serve at once.",
]


@pytest.fixture(scope="module")
def featurizer(tiny_model_dir: Path) -> GradientFeaturizer:
    return GradientFeaturizer(tiny_model_dir, InfluenceSettings(dims=1024, lora_r=32, seed=0, texts_per_block=5))


def test_target_like_texts_rank_above_recipes(featurizer: GradientFeaturizer):
    targets = featurizer.features(TARGETS, show_progress=False)
    texts = featurizer.features(MATH_LIKE + UNRELATED, show_progress=False)
    assert texts.shape == (12, 1024)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, rtol=1e-4)
    # Measured over several builds of the tiny model and adapter seeds: "mean" puts the math texts
    # 0.23-0.31 above the recipes on average and orders 27-36 of the 36 (math, recipe) pairs right.
    scores = influence_scores(texts, targets, "mean")
    math_scores, recipe_scores = scores[:6], scores[6:]
    assert math_scores.mean() > recipe_scores.mean() + 0.1, scores
    pairs_right = sum(m > r for m in math_scores for r in recipe_scores)
    assert pairs_right >= 24, pairs_right
    ids = [f"m{i}" for i in range(6)] + [f"r{i}" for i in range(6)]
    kept = top_fraction(ids, influence_scores(texts, targets, "mean"), 0.5)
    assert sum(identifier.startswith("m") for identifier in kept) >= 4


def test_features_are_deterministic(featurizer: GradientFeaturizer):
    first = featurizer.features(MATH_LIKE[:2], show_progress=False)
    second = featurizer.features(MATH_LIKE[:2], show_progress=False)
    np.testing.assert_array_equal(first, second)


def test_blockwise_projection_equals_the_full_matrix(monkeypatch):
    import torch

    from evalkit.synthesis import influence

    gradients = torch.randn(3, 1000, generator=torch.Generator().manual_seed(1))
    monkeypatch.setattr(influence, "PROJECTION_BLOCK_ENTRIES", 64 * 64)  # 64 rows per block: 16 blocks
    blocked = project(gradients, seed=3, dims=64, kind="rademacher")
    monkeypatch.setattr(influence, "PROJECTION_BLOCK_ENTRIES", 1000 * 64 * 4)
    full_rows = [influence.projection_block(3, b, 64, 64, "rademacher") for b in range(16)]
    full = torch.cat(full_rows)[:1000]
    # the last block has fewer rows: regenerate it with its own size, as `project` does
    full[960:] = influence.projection_block(3, 15, 40, 64, "rademacher")
    torch.testing.assert_close(blocked, gradients @ full, rtol=1e-4, atol=1e-4)
    values = set(torch.unique(influence.projection_block(0, 0, 8, 16, "rademacher") * 4).tolist())
    assert values == {-1.0, 1.0}


def test_mean_and_max_aggregation_on_known_features():
    targets = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    texts = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0]])
    mean = influence_scores(texts, targets, "mean", center=False)
    np.testing.assert_allclose(mean, [2 ** -0.5, 1.4 * 2 ** -0.5, 0.0], atol=1e-9)
    np.testing.assert_allclose(influence_scores(texts, targets, "max", center=False), [1.0, 0.8, 0.0])
    centred = influence_scores(texts, targets, "mean", center=True)
    assert centred[2] < centred[0] and centred[2] < centred[1]


def test_selection_helpers():
    assert top_fraction(["a", "b", "c", "d"], np.array([0.1, 0.9, 0.9, -1.0]), 0.5) == ["b", "c"]
    assert top_fraction(["a"], np.array([0.0]), 0.01) == ["a"]
    summary = score_summary(np.array([0.0, 1.0, 2.0, 3.0, 4.0]))
    assert summary["min"] == 0.0 and summary["median"] == 2.0 and summary["max"] == 4.0


def test_targets_from_tasks_and_files(tmp_path: Path):
    texts = target_texts(["gsm8k:train", "math:train"], max_targets=4, data_dir=FIXTURE_DATA)
    assert len(texts) == 3 and texts[0].startswith("Bo reads 10 pages")
    (tmp_path / "t.jsonl").write_text('{"question": "Q1?", "answer": "A1"}\n{"problem": "P2", "solution": "S2"}\n')
    assert target_texts([str(tmp_path / "t.jsonl")], max_targets=10) == ["Q1?\nA1", "P2\nS2"]


def test_lora_modules_that_name_no_module_are_refused(tiny_model_dir: Path):
    # before: a typo beside a good name (`q_proj`, `v_prj`) was silently dropped by PEFT, so the
    # influence gradients came from q_proj alone
    from evalkit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"field 'select.lora_modules': 'v_prj' names no module of the model"):
        GradientFeaturizer(tiny_model_dir, InfluenceSettings(dims=64, lora_r=4, lora_modules=("q_proj", "v_prj")))


def test_a_selection_model_that_cannot_be_loaded_is_one_line_naming_it(tmp_path: Path, tiny_model_dir: Path):
    # before: a folder that is not a model, or weights cut short, ended `evalkit synth` in a traceback
    import shutil

    from evalkit.errors import ConfigError

    not_a_model = tmp_path / "notmodel"
    not_a_model.mkdir()
    with pytest.raises(ConfigError, match=r"cannot load the tokenizer \(select.model\) of model '.*notmodel'"):
        GradientFeaturizer(not_a_model, InfluenceSettings(dims=64, lora_r=4))
    damaged = tmp_path / "damaged"
    shutil.copytree(tiny_model_dir, damaged)
    weights = damaged / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ConfigError, match=r"cannot load the weights or config \(select.model\) of model '.*damaged'"):
        GradientFeaturizer(damaged, InfluenceSettings(dims=64, lora_r=4))
