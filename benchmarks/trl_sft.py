"""TRL's SFTTrainer against evalkit's training engine on the same SSFT job (needs `pip install trl`).

    python benchmarks/trl_sft.py [--steps 60]

Both fine-tune the same tiny base model on the same arith SSFT examples (completion-only loss,
batch 32, lr 2e-3, linear decay, seed 0, one thread); each timing covers loading, tokenising
and training. Prints a final JSON line: seconds and final loss of each, and trl_over_evalkit
(wall-time ratio). The losses agree to three or four digits. (The engine's pairwise and margin
objectives have no TRL counterpart that keeps the evaluator a causal LM: RewardTrainer trains a
classification head.)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    try:
        from trl import SFTConfig, SFTTrainer
    except ImportError:
        print(json.dumps({"skipped": "trl is not installed"}))
        return
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import tasks
    from evalkit.demo import pretrain_corpus
    from evalkit.testing.tiny_model import build_tiny_model
    from evalkit.training import TrainSettings, finetune, ssft_examples
    from tasks.arith import write_arith_data

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_arith_data(root / "data", train=2000, test=10, seed=0)
        problems = tasks.get_task("arith").load("train", data_dir=root / "data")
        base = build_tiny_model(root / "base", corpus=pretrain_corpus(problems[:1000]), vocab_size=768,
                                train_steps=200, seed=0)
        examples = ssft_examples(problems)
        started = time.perf_counter()
        ours = finetune(base, examples, root / "evalkit", TrainSettings(learning_rate=2e-3, max_steps=args.steps,
                                                                        batch_size=32, max_length=512, seed=0,
                                                                        logging_steps=10), show_progress=False)
        evalkit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        config = SFTConfig(output_dir=str(root / "trl"), max_steps=args.steps, per_device_train_batch_size=32,
                           learning_rate=2e-3, lr_scheduler_type="linear", weight_decay=0.0, seed=0, logging_steps=10,
                           save_strategy="no", report_to=[], max_length=512, completion_only_loss=True,
                           use_cpu=True)
        trainer = SFTTrainer(model=AutoModelForCausalLM.from_pretrained(base), args=config,
                             train_dataset=Dataset.from_list([{"prompt": e.prompt, "completion": e.completion}
                                                              for e in examples]),
                             processing_class=AutoTokenizer.from_pretrained(base))
        trainer.train()
        trl_seconds = time.perf_counter() - started
        losses = [row["loss"] for row in trainer.state.log_history if "loss" in row]
    print(json.dumps({"steps": args.steps, "evalkit_seconds": round(evalkit_seconds, 1),
                      "evalkit_final_loss": ours.final_loss, "trl_seconds": round(trl_seconds, 1),
                      "trl_final_loss": losses[-1] if losses else None,
                      "trl_over_evalkit": round(trl_seconds / evalkit_seconds, 2)}))


if __name__ == "__main__":
    main()
