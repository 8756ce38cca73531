"""Build a tiny LLaMA-style causal language model and its tokenizer, entirely offline.

Tests of every backend (transformers, vLLM, an OpenAI-compatible server) need a real model
directory, and no pretrained weights can be downloaded. This module writes one in seconds:

- a byte-level BPE tokenizer trained with the `tokenizers` library on a small built-in corpus
  of arithmetic word problems whose solutions end in `\\boxed{...}`, wrapped as a
  `PreTrainedTokenizerFast` with `<s>`, `</s>` and `<pad>` tokens and a plain chat template;
- a `LlamaForCausalLM` with head size 32 (vLLM's CPU attention needs 32, 64, 80, ...),
  randomly initialised from `seed` and, when `train_steps > 0`, trained briefly on the corpus
  with a plain PyTorch loop so its samples look like the corpus rather than noise;
- `config.json`, weights, tokenizer files and `generation_config.json`, via `save_pretrained`.

The same arguments give the same files (the corpus, tokenizer training and weights are all
seeded). Run `python -m evalkit.testing.tiny_model OUT_DIR` to build one from the shell.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BOS_TOKEN = "<s>"
EOS_TOKEN = "</s>"
PAD_TOKEN = "<pad>"

# A minimal chat template: role headers, one message per block, EOS after each message.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '### ' + message['role'] | capitalize + ':\\n' + message['content'] | trim + '\\n' }}"
    "{% if message['role'] == 'assistant' %}{{ eos_token }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '### Assistant:\\n' }}{% endif %}"
)

_NAMES = ("Ava", "Ben", "Carla", "Dev", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jon")
_ITEMS = ("apples", "pencils", "marbles", "stickers", "books", "cookies", "coins", "shells")


def _word_problem(rng: random.Random) -> str:
    """One arithmetic word problem with a short worked solution ending in `\\boxed{}`."""
    name = rng.choice(_NAMES)
    item = rng.choice(_ITEMS)
    a, b = rng.randint(2, 60), rng.randint(2, 30)
    kind = rng.randrange(4)
    if kind == 0:
        question = f"{name} has {a} {item} and buys {b} more. How many {item} does {name} have now?"
        steps, answer = f"{name} has {a} + {b} = {a + b} {item}.", a + b
    elif kind == 1:
        big = a + b
        question = f"{name} had {big} {item} and gave away {b}. How many {item} are left?"
        steps, answer = f"{name} has {big} - {b} = {a} {item} left.", a
    elif kind == 2:
        a, b = rng.randint(2, 12), rng.randint(2, 12)
        question = f"There are {a} boxes with {b} {item} in each box. How many {item} are there in total?"
        steps, answer = f"There are {a} \\times {b} = {a * b} {item}.", a * b
    else:
        b = rng.randint(2, 9)
        total = b * rng.randint(2, 12)
        question = f"{name} shares {total} {item} equally among {b} friends. How many {item} does each friend get?"
        steps, answer = f"Each friend gets \\frac{{{total}}}{{{b}}} = {total // b} {item}.", total // b
    return f"Problem: {question}\nSolution: {steps} The answer is $\\boxed{{{answer}}}$.\n"


def _algebra_problem(rng: random.Random) -> str:
    """One linear equation with its solution, to give the corpus some LaTeX."""
    x, a = rng.randint(-9, 9), rng.randint(2, 9)
    b = rng.randint(-20, 20)
    c = a * x + b
    sign = "+" if b >= 0 else "-"
    return (
        f"Problem: Solve ${a}x {sign} {abs(b)} = {c}$ for $x$.\n"
        f"Solution: Subtract to get ${a}x = {c - b}$, so $x = {x}$. The answer is $\\boxed{{{x}}}$.\n"
    )


def math_corpus(num_problems: int = 80, seed: int = 0) -> list[str]:
    """A small generated corpus of math problems and worked solutions (about 100 bytes each)."""
    rng = random.Random(seed)
    makers = (_word_problem, _word_problem, _algebra_problem)
    return [rng.choice(makers)(rng) for _ in range(num_problems)]


def _train_tokenizer(corpus: Sequence[str], vocab_size: int):
    """A byte-level BPE tokenizer trained on `corpus`, as a `PreTrainedTokenizerFast`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD_TOKEN, BOS_TOKEN, EOS_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(corpus), trainer=trainer)
    bos_id = tokenizer.token_to_id(BOS_TOKEN)
    # Plain-text prompts get a BOS token, like LLaMA tokenizers; chat prompts carry it in the template.
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS_TOKEN} $A", pair=f"{BOS_TOKEN} $A $B", special_tokens=[(BOS_TOKEN, bos_id)]
    )
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        padding_side="left",
        clean_up_tokenization_spaces=False,
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


@dataclass(frozen=True)
class PretrainSettings:
    """How `build_tiny_model` trains from scratch: AdamW steps on random windows of the corpus.

    `schedule` is "constant" or "linear" (decay to zero over the steps, after `warmup_steps`).
    The defaults are what the test models were built with; the demo trains longer, in larger batches.
    """

    steps: int = 0
    batch_size: int = 8
    window: int = 64
    learning_rate: float = 3e-3
    schedule: str = "constant"
    warmup_steps: int = 0

    def __post_init__(self) -> None:
        if self.steps < 0:
            raise ValueError(f"train_steps must be >= 0, got {self.steps}")
        if self.batch_size < 1 or self.window < 2 or self.learning_rate <= 0 or self.warmup_steps < 0:
            raise ValueError(f"invalid pre-training settings {self}")
        if self.schedule not in ("constant", "linear"):
            raise ValueError(f"schedule must be 'constant' or 'linear', got {self.schedule!r}")

    def rate(self, step: int) -> float:
        """The learning rate of optimizer step `step` (0-based)."""
        if step < self.warmup_steps:
            return self.learning_rate * (step + 1) / self.warmup_steps
        if self.schedule == "constant":
            return self.learning_rate
        remaining = max(self.steps - self.warmup_steps, 1)
        return self.learning_rate * max(0.0, 1.0 - (step - self.warmup_steps) / remaining)


def _train(model, tokenizer, corpus: Sequence[str], settings: PretrainSettings, seed: int,
           show_progress: bool = False) -> None:
    """Train `model` in place for `settings.steps` AdamW steps on random windows of the corpus."""
    import torch

    from evalkit.progress import make_progress

    ids = tokenizer("".join(corpus), add_special_tokens=False)["input_ids"]
    data = torch.tensor(ids, dtype=torch.long)
    window, batch = settings.window, settings.batch_size
    if len(data) <= window + 1:
        raise ValueError(f"training corpus too small: {len(data)} tokens, need more than {window + 1}")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.0)
    model.train()
    # Matrices this small train several times faster on one thread (measured 0.06 s against
    # 0.2-0.4 s a step with two threads on a busy 2-core machine); the setting is restored after.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    progress = make_progress(disable=not show_progress)
    try:
        with progress:
            task = progress.add_task("pre-training", total=settings.steps)
            for step in range(settings.steps):
                for group in optimizer.param_groups:
                    group["lr"] = settings.rate(step)
                starts = torch.randint(0, len(data) - window - 1, (batch,), generator=generator)
                inputs = torch.stack([data[s : s + window] for s in starts.tolist()])
                loss = model(input_ids=inputs, labels=inputs).loss
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if step % 20 == 0 or step + 1 == settings.steps:
                    progress.update(task, completed=step + 1, description=f"pre-training (loss {loss.item():.3f})")
    finally:
        torch.set_num_threads(threads)
    model.eval()


def build_tiny_model(
    out_dir: Path,
    *,
    corpus: Sequence[str] | None = None,
    vocab_size: int = 512,
    hidden_size: int = 128,
    layers: int = 2,
    heads: int = 4,
    train_steps: int = 0,
    seed: int = 0,
    pretrain: PretrainSettings | None = None,
    show_progress: bool = False,
) -> Path:
    """Write a tiny LLaMA-style model, tokenizer and generation config to `out_dir`; return it.

    `corpus` defaults to `math_corpus(seed=seed)`. `hidden_size / heads` is the head size,
    which must be at least 32 for vLLM's CPU attention (the defaults give 32). With the
    defaults the model has about 0.5M parameters (about 2 MB in float32). `pretrain` sets how it
    is trained (batch, window, learning rate and schedule); give it or `train_steps`, not both.
    """
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    if hidden_size % heads:
        raise ValueError(f"hidden_size {hidden_size} is not divisible by heads {heads}")
    if pretrain is not None and train_steps:
        raise ValueError("give either train_steps or pretrain (which holds the steps), not both")
    settings = pretrain if pretrain is not None else PretrainSettings(steps=train_steps)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    texts = list(corpus) if corpus is not None else math_corpus(seed=seed)
    tokenizer = _train_tokenizer(texts, vocab_size)

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size + hidden_size // 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        head_dim=hidden_size // heads,
        max_position_embeddings=1024,
        rms_norm_eps=1e-5,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        dtype="float32",
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    if settings.steps:
        _train(model, tokenizer, texts, settings, seed, show_progress=show_progress)
    # Sampling by default, so that servers which read generation_config.json (transformers
    # serve) sample too; every evalkit backend passes its own sampling parameters explicitly.
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        do_sample=True,
        temperature=1.0,
        top_p=1.0,
    )
    # written whole or not at all: a staging folder renamed into place, so a killed build never
    # leaves a half-written model that a later run would take for a finished one
    staging = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(staging, out_dir)
    return out_dir


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `python -m evalkit.testing.tiny_model OUT_DIR [--train-steps N] [--seed S]`."""
    parser = argparse.ArgumentParser(description="Build a tiny LLaMA-style model for tests.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--train-steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    path = build_tiny_model(args.out_dir, train_steps=args.train_steps, seed=args.seed)
    print(path)


if __name__ == "__main__":
    main()
