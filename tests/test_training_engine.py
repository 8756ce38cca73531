"""The fine-tuning engine on the tiny model: loss masking, learning, LoRA, resumption, seeds."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import torch

from evalkit.errors import ConfigError, InputError
from evalkit.jsonl import read_jsonl
from evalkit.training.engine import (
    IGNORE_INDEX,
    LoraSettings,
    TrainExample,
    TrainSettings,
    completion_logprobs,
    encode_dataset,
    encode_example,
    check_lora_output_layer,
    check_trainer_fits,
    PairCollator,
    finetune,
    joint_verdict_loss,
    pairwise_margin_loss,
    run_fingerprint,
    sft_columns,
    verdict_log_odds,
    verdict_log_scores,
    verdict_margin_loss,
)


@pytest.fixture(autouse=True)
def one_thread():
    """Matrices this small train several times faster on one thread on a 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def arithmetic_examples(count: int = 16) -> list[TrainExample]:
    return [TrainExample(f"Problem: {name} has {a} apples and buys {b} more. How many now?\nSolution:",
                         f" {name} has {a} + {b} = {a + b} apples. The answer is $\\boxed{{{a + b}}}$.")
            for name, a, b in [("Ava", 3 + i, 5 + 2 * i) for i in range(count)]]


FAST = {"learning_rate": 3e-3, "batch_size": 4, "logging_steps": 1}


def losses(metrics_path: Path) -> list[float]:
    return [record["loss"] for record in read_jsonl(metrics_path) if "loss" in record]


# --- tokenisation and losses (no training) ------------------------------------------------------

def test_prompt_tokens_get_label_minus_100(tokenizer):
    example = arithmetic_examples(1)[0]
    encoded = encode_example(tokenizer, example.prompt, example.completion, append_eos=True)
    prompt_ids = tokenizer(example.prompt)["input_ids"]
    completion_ids = tokenizer(example.completion, add_special_tokens=False)["input_ids"]
    assert prompt_ids[0] == tokenizer.bos_token_id
    assert encoded.input_ids == prompt_ids + completion_ids + [tokenizer.eos_token_id]
    assert encoded.labels[: len(prompt_ids)] == [IGNORE_INDEX] * len(prompt_ids)
    assert encoded.labels[len(prompt_ids):] == completion_ids + [tokenizer.eos_token_id]
    assert tokenizer.decode(encoded.labels[len(prompt_ids):-1]) == example.completion
    without_eos = encode_example(tokenizer, example.prompt, example.completion, append_eos=False)
    assert without_eos.labels[-1] != tokenizer.eos_token_id


def test_chat_text_with_its_own_bos_gets_no_second_one(tokenizer):
    encoded = encode_example(tokenizer, tokenizer.bos_token + "### User:\nHi\n", " ok", append_eos=False)
    assert encoded.input_ids.count(tokenizer.bos_token_id) == 1


def test_collator_masks_padding_too(tokenizer):
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    encoded = encode_dataset(tokenizer, arithmetic_examples(2) + [TrainExample("Q:", " 1")],
                             TrainSettings(max_length=512)).features
    columns = sft_columns(encoded)
    assert [[int(label != IGNORE_INDEX) for label in item["labels"]] for item in encoded] == columns["completion_mask"]
    rows = [{"input_ids": item["input_ids"], "labels": item["labels"]} for item in encoded]
    batch = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id)(rows)
    short = len(encoded[2]["input_ids"])
    assert batch["input_ids"].shape[0] == 3
    assert (batch["labels"][2, short:] == IGNORE_INDEX).all()
    assert (batch["attention_mask"][2, short:] == 0).all() and (batch["attention_mask"][2, :short] == 1).all()
    assert (batch["input_ids"][2, short:] == tokenizer.pad_token_id).all()


def test_what_trl_cannot_train_is_refused_in_one_line():
    # TRL's SFTTrainer raises a ValueError from deep inside for these; the old Trainer accepted them
    lm = TrainSettings(max_steps=1)
    with pytest.raises(ConfigError, match="accelerate launch"):
        check_trainer_fits(lm, processes=1, visible_gpus=4)
    check_trainer_fits(lm, processes=4, visible_gpus=4)  # launched with accelerate: one GPU each
    check_trainer_fits(lm, processes=1, visible_gpus=1)
    check_trainer_fits(TrainSettings(objective="margin"), processes=1, visible_gpus=4)  # our own pair Trainer
    on_output = TrainSettings(lora=LoraSettings(target_modules=("q_proj", "embed_out")))
    with pytest.raises(ConfigError, match="field 'lora.target_modules': 'embed_out' .the model's output layer"):
        check_lora_output_layer(on_output, "embed_out")  # the output layer by its name in this model
    check_lora_output_layer(on_output, "lm_head")
    check_lora_output_layer(TrainSettings(objective="margin", lora=LoraSettings(target_modules=("lm_head",))),
                            "lm_head")


def test_a_lora_adapter_on_the_output_layer_is_refused_when_the_model_loads(tmp_path, tiny_model_dir):
    settings = TrainSettings(max_steps=1, lora=LoraSettings(target_modules=("q_proj", "lm_head")))
    with pytest.raises(ConfigError, match="'lm_head' .the model's output layer"):
        finetune(tiny_model_dir, arithmetic_examples(2), tmp_path / "out", settings)


def test_a_run_in_which_no_example_fits_is_one_error(tmp_path, tiny_model_dir):
    long = TrainExample("Problem: " + "seven apples and " * 200, " The answer is 7.")
    with pytest.raises(InputError, match="every training example is longer than max_length=32 tokens"):
        finetune(tiny_model_dir, [long, long], tmp_path / "out", TrainSettings(max_steps=1, max_length=32))


def test_lm_objective_trains_through_trl_on_our_tokens_with_the_completion_only_loss(tmp_path, tiny_model_dir, capfd):
    # before: a transformers Trainer with a hand-written collator; now TRL's SFTTrainer, which must keep our
    # tokenisation (not its own), truncate nothing (its default max_length is 1024) and average the loss over
    # the completion tokens only
    from trl import SFTTrainer

    from evalkit.training.engine import _load_model, _make_trainer

    settings = TrainSettings(max_length=4096, batch_size=3)
    long_prompt = "Problem: " + "one two three four " * 100 + "\nSolution:"
    examples = arithmetic_examples(2) + [TrainExample("Q: 1 + 1?", " 2"), TrainExample(long_prompt, " 4")]
    model, tokenizer = _load_model(tiny_model_dir, settings)
    encoded = encode_dataset(tokenizer, examples, settings)
    assert encoded.too_long == [] and len(encoded.features[3]["input_ids"]) > 1024
    import datasets

    bars_were_off = datasets.are_progress_bars_disabled()  # another test in this process may have turned them off
    datasets.enable_progress_bars()  # as in a fresh process
    try:
        capfd.readouterr()
        trainer = _make_trainer(model, tokenizer, settings, tmp_path / "checkpoints", encoded, None, [])
        assert isinstance(trainer, SFTTrainer)
        assert "examples/s" not in capfd.readouterr().err  # no progress bar of TRL's data preparation
        assert not datasets.are_progress_bars_disabled()  # and the setting is back as it was
    finally:
        if bars_were_off:
            datasets.disable_progress_bars()
    assert [row["input_ids"] for row in trainer.train_dataset] == [item["input_ids"] for item in encoded.features]
    assert [row["labels"] for row in trainer.train_dataset] == [item["labels"] for item in encoded.features]

    batch = trainer.data_collator([trainer.train_dataset[index] for index in range(3)])
    with torch.no_grad():
        loss = trainer.compute_loss(trainer.model, dict(batch))
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    expected = torch.nn.functional.cross_entropy(logits[:, :-1].flatten(0, 1).float(), batch["labels"][:, 1:].flatten(),
                                                 ignore_index=IGNORE_INDEX)
    completion_tokens = sum(label != IGNORE_INDEX for item in encoded.features[:3] for label in item["labels"][1:])
    assert int((batch["labels"][:, 1:] != IGNORE_INDEX).sum()) == completion_tokens
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_too_long_examples_are_listed_not_kept(tokenizer):
    examples = [TrainExample("short", " one"), TrainExample("long " * 200, " two")]
    encoded = encode_dataset(tokenizer, examples, TrainSettings(max_length=64))
    assert encoded.too_long == [1] and len(encoded.features) == 1


def test_completion_logprobs_and_pairwise_margin():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 7, generator=generator)
    labels = torch.tensor([[IGNORE_INDEX, IGNORE_INDEX, 3, 5], [IGNORE_INDEX, 2, IGNORE_INDEX, IGNORE_INDEX]])
    logprobs = torch.log_softmax(logits, dim=-1)
    expected = torch.stack([logprobs[0, 1, 3] + logprobs[0, 2, 5], logprobs[1, 0, 2]])
    assert torch.allclose(completion_logprobs(logits, labels), expected)
    margin = expected[0] - expected[1]
    assert torch.allclose(pairwise_margin_loss(logits, labels), -torch.nn.functional.logsigmoid(margin))


def test_verdict_margin_loss_is_the_papers_hinge_on_normalised_verdict_scores():
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 5, 9, generator=generator)
    # rows: chosen 0, chosen 1, rejected 0, rejected 1; the verdict is the first labelled token
    labels = torch.full((4, 5), IGNORE_INDEX)
    labels[0, 3], labels[1, 2], labels[2, 4], labels[3, 3] = 4, 4, 4, 4
    alternative = torch.tensor([7, 7, 7, 7])
    log_probs = torch.log_softmax(logits, dim=-1)
    positions = [2, 1, 3, 2]
    expected = torch.stack([log_probs[r, p, 4] - torch.logaddexp(log_probs[r, p, 4], log_probs[r, p, 7])
                            for r, p in enumerate(positions)])
    assert torch.allclose(verdict_log_scores(logits, labels, alternative), expected)
    hinge = torch.relu(expected[2:] - expected[:2] + 0.5).mean()
    assert torch.allclose(verdict_margin_loss(logits, labels, alternative, 0.5), hinge)


def test_joint_loss_is_verdict_cross_entropy_on_singles_plus_ranking_on_pairs():
    generator = torch.Generator().manual_seed(2)
    logits = torch.randn(5, 4, 9, generator=generator)
    # rows: single 0 (verdict 4 against 7), single 1 (verdict 7 against 4), pair chosen, pair rejected, ...
    labels = torch.full((5, 4), IGNORE_INDEX)
    labels[0, 2], labels[1, 3], labels[2, 1], labels[3, 2], labels[4, 3] = 4, 7, 4, 4, 4
    alternative = torch.tensor([7, 4, 7, 7, 7])
    positions = [1, 2, 0, 1, 2]
    odds = torch.stack([logits[r, p, labels[r, p + 1]] - logits[r, p, alternative[r]] for r, p in enumerate(positions)])
    assert torch.allclose(verdict_log_odds(logits, labels, alternative), odds)
    assert torch.allclose(verdict_log_scores(logits, labels, alternative),
                          torch.nn.functional.logsigmoid(odds))
    # 3 singles and one pair (rows 3 and 4)
    singles = -torch.nn.functional.logsigmoid(odds[:3]).mean()
    ranking = -torch.nn.functional.logsigmoid(odds[3] - odds[4])
    assert torch.allclose(joint_verdict_loss(logits, labels, alternative, 3), singles + ranking)
    # a batch of singles only, or of pairs only, has one part
    assert torch.allclose(joint_verdict_loss(logits[:2], labels[:2], alternative[:2], 2),
                          -torch.nn.functional.logsigmoid(odds[:2]).mean())
    assert torch.allclose(joint_verdict_loss(logits[1:5], labels[1:5], alternative[1:5], 0),
                          -torch.nn.functional.logsigmoid(odds[1:3] - odds[3:5]).mean())


def test_pair_collator_puts_singles_first_then_chosen_then_rejected_rows():
    single = {"chosen_input_ids": [1, 2, 3], "chosen_labels": [-100, -100, 3], "alternative_id": [8]}
    pair = {"chosen_input_ids": [1, 4], "chosen_labels": [-100, 4], "rejected_input_ids": [1, 5, 6, 4],
            "rejected_labels": [-100, -100, -100, 4], "alternative_id": [9]}
    batch = PairCollator(pad_id=0)([pair, single])
    assert int(batch["single_count"]) == 1
    assert batch["input_ids"].tolist() == [[1, 2, 3, 0], [1, 4, 0, 0], [1, 5, 6, 4]]
    assert batch["pair_labels"][0].tolist() == [-100, -100, 3, -100]
    assert batch["alternative_ids"].tolist() == [8, 9, 9]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]]


def test_joint_objective_learns_both_parts_and_checks_its_examples(tmp_path, tiny_model_dir):
    singles = [TrainExample(f"Check: {a} + {a} = {2 * a + (a % 2)}. This is",
                            " correct" if a % 2 == 0 else " incorrect",
                            alternative=" incorrect" if a % 2 == 0 else " correct") for a in range(2, 14)]
    pairs = [TrainExample(f"Check: {a} + {a} = {2 * a}. This is", " correct",
                          rejected_prompt=f"Check: {a} + {a} = {2 * a + 1}. This is", alternative=" incorrect")
             for a in range(2, 14)]
    with pytest.raises(InputError, match="alternative verdict, which the joint objective needs"):
        finetune(tiny_model_dir, [TrainExample("a", " correct")], tmp_path / "bad", TrainSettings(objective="joint"))
    with pytest.raises(InputError, match="empty rejected_prompt"):
        finetune(tiny_model_dir, [TrainExample("a", " correct", rejected_prompt=" ", alternative=" incorrect")],
                 tmp_path / "bad", TrainSettings(objective="joint"))
    result = finetune(tiny_model_dir, singles + pairs, tmp_path / "joint",
                      TrainSettings(max_steps=16, objective="joint", **{**FAST, "batch_size": 8}), show_progress=False)
    logged = losses(result.log_path)
    assert all(value >= 0.0 for value in logged)
    assert sum(logged[-4:]) / 4 < sum(logged[:4]) / 4


def test_margin_objective_trains_and_checks_its_examples(tmp_path, tiny_model_dir):
    pairs = [TrainExample(f"Check: {a} + {a} = {2 * a}. This is", " correct",
                          rejected_prompt=f"Check: {a} + {a} = {2 * a + 1}. This is", alternative=" incorrect")
             for a in range(2, 14)]
    with pytest.raises(InputError, match="alternative verdict"):
        finetune(tiny_model_dir, [TrainExample("a", " correct", rejected_prompt="b")], tmp_path / "bad",
                 TrainSettings(objective="margin"))
    result = finetune(tiny_model_dir, pairs, tmp_path / "margin", TrainSettings(max_steps=4, objective="margin",
                                                                                 margin=1.0, **FAST),
                      show_progress=False)
    logged = losses(result.log_path)
    assert logged and all(0.0 <= value <= 3.0 for value in logged)


def test_settings_and_examples_are_checked(tmp_path, tiny_model_dir):
    with pytest.raises(ConfigError, match="objective"):
        TrainSettings(objective="dpo")
    with pytest.raises(InputError, match="no training examples"):
        finetune(tiny_model_dir, [], tmp_path / "out", TrainSettings())
    with pytest.raises(InputError, match="rejected_prompt"):
        finetune(tiny_model_dir, arithmetic_examples(2), tmp_path / "out", TrainSettings(objective="pairwise"))


# --- training -----------------------------------------------------------------------------------

def test_loss_decreases_and_outputs_are_written(tmp_path, tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "ssft"
    examples = arithmetic_examples()
    result = finetune(tiny_model_dir, examples, out, TrainSettings(max_steps=12, **FAST), show_progress=False,
                      eval_examples=examples[:4])
    logged = losses(result.log_path)
    assert result.steps == 12 and len(logged) == 12
    assert sum(logged[-3:]) / 3 < 0.8 * sum(logged[:3]) / 3
    assert result.final_loss == logged[-1]
    assert any("eval_loss" in record for record in read_jsonl(result.log_path))
    assert result.checkpoint == out / "final"
    assert [TrainExample(**record) for record in read_jsonl(out / "data.jsonl")] == examples
    config = json.loads((out / "train_config.json").read_text())
    assert config["settings"]["max_steps"] == 12 and config["train_examples"] == 16
    model = AutoModelForCausalLM.from_pretrained(result.checkpoint)
    assert AutoTokenizer.from_pretrained(result.checkpoint).eos_token == "</s>"
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert not torch.equal(model.model.embed_tokens.weight, base.model.embed_tokens.weight)


def test_same_seed_same_loss_and_rerun_returns_at_once(tmp_path, tiny_model_dir):
    settings = TrainSettings(max_steps=4, seed=7, **FAST)
    first = finetune(tiny_model_dir, arithmetic_examples(), tmp_path / "a", settings, show_progress=False)
    second = finetune(tiny_model_dir, arithmetic_examples(), tmp_path / "b", settings, show_progress=False)
    assert first.final_loss == second.final_loss
    assert losses(first.log_path) == losses(second.log_path)
    other = finetune(tiny_model_dir, arithmetic_examples(), tmp_path / "c",
                     TrainSettings(max_steps=4, seed=8, **FAST), show_progress=False)
    assert losses(other.log_path) != losses(first.log_path)
    stamp = (tmp_path / "a" / "final" / "model.safetensors").stat().st_mtime_ns
    again = finetune(tiny_model_dir, arithmetic_examples(), tmp_path / "a", settings, show_progress=False)
    assert again == first
    assert (tmp_path / "a" / "final" / "model.safetensors").stat().st_mtime_ns == stamp
    with pytest.raises(ConfigError, match=r"other inputs: the training data changed \(16 examples on disk, 8 now\)\. "
                                          r"Train into another --out, or delete .*a to start over there"):
        finetune(tiny_model_dir, arithmetic_examples(8), tmp_path / "a", settings, show_progress=False)
    with pytest.raises(ConfigError, match=r"the settings changed \(max_steps, seed\)"):
        finetune(tiny_model_dir, arithmetic_examples(), tmp_path / "a", TrainSettings(max_steps=5, **FAST),
                 show_progress=False)
    # a setting that cannot change the result is not named among the changes
    with pytest.raises(ConfigError, match=r"the settings changed \(max_steps, seed\)\."):
        finetune(tiny_model_dir, arithmetic_examples(), tmp_path / "a",
                 TrainSettings(max_steps=5, keep_checkpoints=None, **FAST), show_progress=False)


class _RecordedMessages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_resume_continues_from_the_last_checkpoint(tmp_path, tiny_model_dir):
    out = tmp_path / "run"
    settings = TrainSettings(max_steps=6, save_steps=3, **FAST)
    uninterrupted = finetune(tiny_model_dir, arithmetic_examples(), out, settings, show_progress=False)
    assert sorted(path.name for path in (out / "checkpoints").iterdir()) == ["checkpoint-3", "checkpoint-6"]
    full_log = losses(out / "metrics.jsonl")
    # Simulate a run killed after its step-3 checkpoint.
    shutil.rmtree(out / "final")
    shutil.rmtree(out / "checkpoints" / "checkpoint-6")
    (out / "result.json").unlink()
    warnings = _RecordedMessages()
    logging.getLogger("transformers").addHandler(warnings)
    try:
        resumed = finetune(tiny_model_dir, arithmetic_examples(), out, settings, show_progress=False)
    finally:
        logging.getLogger("transformers").removeHandler(warnings)
    # the tied output embedding is stored once, as the input embedding: not "missing" on resume
    assert not [message for message in warnings.messages if "missing keys" in message]
    assert json.loads((out / "result.json").read_text())["resumed_from_step"] == 3
    assert resumed.steps == 6
    assert [record["step"] for record in read_jsonl(out / "metrics.jsonl") if "loss" in record] == [1, 2, 3, 4, 5, 6]
    assert losses(out / "metrics.jsonl") == pytest.approx(full_log, rel=1e-5)
    assert resumed.final_loss == pytest.approx(uninterrupted.final_loss, rel=1e-5)


def test_an_interrupted_run_without_checkpoints_says_it_starts_again(tmp_path, tiny_model_dir, capsys):
    # before: with `save_steps` unset a killed run silently trained again from step 0
    out = tmp_path / "run"
    settings = TrainSettings(max_steps=2, **FAST)
    finetune(tiny_model_dir, arithmetic_examples(), out, settings, show_progress=False)
    shutil.rmtree(out / "final")  # killed before the end: metrics written, no checkpoint, no final/
    (out / "result.json").unlink()
    capsys.readouterr()
    finetune(tiny_model_dir, arithmetic_examples(), out, settings, show_progress=False)
    said = " ".join(capsys.readouterr().err.split())
    assert "without a complete checkpoint (`save_steps` is not set): training starts again from step 0" in said
    assert json.loads((out / "result.json").read_text())["resumed_from_step"] == 0


def test_only_the_latest_checkpoints_are_kept_and_a_resume_may_change_how_many(tmp_path, tiny_model_dir):
    # before: every checkpoint-N was kept (a long run of a large model filled the disk)
    out = tmp_path / "run"
    finetune(tiny_model_dir, arithmetic_examples(), out, TrainSettings(max_steps=8, save_steps=2, **FAST),
             show_progress=False)
    assert sorted(path.name for path in (out / "checkpoints").iterdir()) == ["checkpoint-6", "checkpoint-8"]
    assert json.loads((out / "train_config.json").read_text())["settings"]["keep_checkpoints"] == 2
    # how many are kept cannot change the result: a resume with another count is not refused
    (out / "result.json").unlink()
    shutil.rmtree(out / "final")
    finetune(tiny_model_dir, arithmetic_examples(), out, TrainSettings(max_steps=8, save_steps=2, keep_checkpoints=None,
                                                                       **FAST), show_progress=False)
    assert (out / "final").is_dir()
    with pytest.raises(ConfigError, match="keep_checkpoints must be >= 1"):
        TrainSettings(keep_checkpoints=0)


def test_lora_run_saves_a_merged_loadable_model(tmp_path, tiny_model_dir):
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    settings = TrainSettings(max_steps=4, lora=LoraSettings(r=4, alpha=8, dropout=0.0), **FAST)
    result = finetune(tiny_model_dir, arithmetic_examples(), tmp_path / "lora", settings, show_progress=False)
    weights = load_file(result.checkpoint / "model.safetensors")
    assert not any("lora" in name for name in weights)
    merged = AutoModelForCausalLM.from_pretrained(result.checkpoint)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    changed = not torch.equal(merged.model.layers[0].self_attn.q_proj.weight, base.model.layers[0].self_attn.q_proj.weight)
    frozen = torch.equal(merged.model.layers[0].mlp.up_proj.weight, base.model.layers[0].mlp.up_proj.weight)
    assert changed and frozen


def test_lora_targets_that_name_no_module_are_refused_with_the_models_module_names(tmp_path, tiny_model_dir):
    # before: PEFT's NoMatchingPeftModuleError as a traceback (and a typo beside a good name went unnoticed)
    for targets in (("qq_proj",), ("q_proj", "v_prj")):
        settings = TrainSettings(max_steps=1, lora=LoraSettings(target_modules=targets), **FAST)
        with pytest.raises(ConfigError, match=r"field 'lora.target_modules': '(qq_proj|v_prj)' names no module of "
                                              r"the model .*\(its modules: .*q_proj.*v_proj"):
            finetune(tiny_model_dir, arithmetic_examples(4), tmp_path / "lora", settings, show_progress=False)
    assert not (tmp_path / "lora" / "final").exists()


def test_pairwise_objective_learns_to_prefer_the_chosen_prompt(tmp_path, tiny_model_dir):
    pairs = [TrainExample(f"Check: {a} + {a} = {2 * a}. This is", " correct",
                          rejected_prompt=f"Check: {a} + {a} = {2 * a + 1}. This is") for a in range(2, 14)]
    settings = TrainSettings(max_steps=10, objective="pairwise", **FAST)
    result = finetune(tiny_model_dir, pairs, tmp_path / "pairs", settings, show_progress=False)
    logged = losses(result.log_path)
    assert logged[0] == pytest.approx(0.693, abs=0.2)  # -log sigmoid(~0) before training
    assert sum(logged[-3:]) / 3 < sum(logged[:3]) / 3


def test_base_model_is_identified_by_its_content(tmp_path, tiny_model_dir, monkeypatch):
    from transformers import AutoModelForCausalLM

    model_dir = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model_dir)
    settings = TrainSettings(max_steps=2, **FAST)
    first = finetune(model_dir, arithmetic_examples(4), tmp_path / "run", settings, show_progress=False)
    config = json.loads((tmp_path / "run" / "train_config.json").read_text())
    assert config["base_model"] == str(model_dir.resolve()) and len(config["base_model_identity"]) == 16
    # the same content under another spelling of its path is the same run
    monkeypatch.chdir(tmp_path)
    assert finetune("model", arithmetic_examples(4), tmp_path / "run", settings, show_progress=False) == first
    # a run recorded before content identities (the path string in the fingerprint) still resumes
    legacy = {key: value for key, value in config.items() if key != "base_model_identity"}
    legacy["fingerprint"] = run_fingerprint(str(model_dir), settings, config["train_sha256"], None)
    (tmp_path / "run" / "train_config.json").write_text(json.dumps(legacy))
    assert finetune(model_dir, arithmetic_examples(4), tmp_path / "run", settings, show_progress=False) == first
    (tmp_path / "run" / "train_config.json").write_text(json.dumps(config))
    # the model rewritten in place is another base model: refused, not silently reused
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    with torch.no_grad():
        model.model.embed_tokens.weight.add_(0.01)
    model.save_pretrained(model_dir)
    with pytest.raises(ConfigError, match=r"the base model changed \(.*model holds another model than the one this "
                                          r"run was trained from\)"):
        finetune("model", arithmetic_examples(4), tmp_path / "run", settings, show_progress=False)


def test_a_built_in_model_is_a_base_model_as_it_is_a_run_model(tiny_model_dir, monkeypatch):
    from evalkit.pipeline import builtin_models
    from evalkit.training.base_model import resolve_base_model

    monkeypatch.setattr(builtin_models, "cached_tiny_model", lambda: tiny_model_dir)  # built on first use otherwise
    ref = resolve_base_model("builtin:tiny")
    assert (ref.given, ref.directory) == ("builtin:tiny", tiny_model_dir.resolve()) and ref.identity is not None
    with pytest.raises(ConfigError, match=r"unknown built-in model 'builtin:huge' \(known: builtin:tiny\)"):
        resolve_base_model("builtin:huge")


def test_missing_base_model_and_bad_output_directories_are_refused_before_anything_is_written(tmp_path,
                                                                                             tiny_model_dir):
    examples, settings = arithmetic_examples(2), TrainSettings(max_steps=1)
    for missing in (tmp_path / "nosuchdir", "nosuchdir"):
        with pytest.raises(ConfigError, match="base model not found: .*nosuchdir"):
            finetune(missing, examples, tmp_path / "out", settings, show_progress=False)
    assert not (tmp_path / "out").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="has no config.json"):
        finetune(tmp_path / "empty", examples, tmp_path / "out", settings, show_progress=False)
    with pytest.raises(ConfigError, match="is the base model's directory"):
        finetune(tiny_model_dir, examples, tiny_model_dir, settings, show_progress=False)
    with pytest.raises(ConfigError, match="is inside the base model's directory"):
        finetune(tiny_model_dir, examples, tiny_model_dir / "run", settings, show_progress=False)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    (mine / "data.jsonl").write_text("")
    with pytest.raises(ConfigError, match=r"holds files that are not a training run's \(notes.txt\)"):
        finetune(tiny_model_dir, examples, mine, settings, show_progress=False)
    assert sorted(path.name for path in mine.iterdir()) == ["data.jsonl", "notes.txt"]
    # before: a traceback from mkdir (FileExistsError / NotADirectoryError)
    with pytest.raises(ConfigError, match=r"notes.txt is a file: give another --out"):
        finetune(tiny_model_dir, examples, mine / "notes.txt", settings, show_progress=False)
    with pytest.raises(ConfigError, match=r"run is inside the file .*notes.txt: give another --out"):
        finetune(tiny_model_dir, examples, mine / "notes.txt" / "run", settings, show_progress=False)


def test_the_final_loss_is_the_last_steps_even_between_logging_steps(tmp_path, tiny_model_dir):
    settings = TrainSettings(max_steps=3, **{**FAST, "logging_steps": 2})
    result = finetune(tiny_model_dir, arithmetic_examples(8), tmp_path / "run", settings, show_progress=False)
    logged = [record for record in read_jsonl(result.log_path) if "loss" in record]
    assert [record["step"] for record in logged] == [2, 3]  # step 3 is logged although 3 is not a multiple of 2
    assert result.final_loss == pytest.approx(logged[-1]["loss"])
