"""`evalkit train ssft|evaluator|sequential --config FILE [--out DIR]`.

The lead registers `train_app` with `app.add_typer(train_app, name="train")`. The module also
runs on its own, which is how several processes are started:

    accelerate launch --config_file configs/accelerate/ddp-cpu.yaml -m evalkit.training.cli ssft --config ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evalkit.errors import run_cli
from evalkit.progress import quiet_library_progress
from evalkit.training.checks import config_record
from evalkit.text_safety import for_terminal

train_app = typer.Typer(
    help="Fine-tune generators and solution evaluators (SSFT, evaluator, sequential SSFT -> evaluator -> SSFT).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="YAML training config (see configs/train-*.yaml).")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Output directory (overrides the config's `out`).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars (Hugging Face's own included).")]


@contextmanager
def _holding(target: Path, purpose: str) -> Iterator[None]:
    """One `evalkit train` at a time in an output directory (the main process holds its lock)."""
    from evalkit.store.lock import RunLock
    from evalkit.training.engine import process_state

    if not process_state().is_main_process:
        yield
        return
    with RunLock(target, purpose):
        yield


def _console() -> Console:
    from evalkit.training.engine import process_state

    return Console(quiet=not process_state().is_main_process)


@train_app.command("ssft")
def ssft_command(config: ConfigOption, out: OutOption = None, quiet: QuietOption = False) -> None:
    """Supervised step-by-step solution fine-tuning: problem prompt -> reference solution ending in \\boxed{}."""
    from evalkit.training.config import load_train_config, resolve_out
    from evalkit.training.sequential import train_ssft

    if quiet:
        quiet_library_progress()
    resolved = load_train_config("ssft", config)
    target = resolve_out(resolved.out, out, str(config))
    with _holding(target, "evalkit train ssft"):
        result = train_ssft(resolved.model, resolved.problems, resolved.training, target, show_progress=not quiet,
                            record=config_record(config, resolved))
    _console().print(f"[green]model:[/] {for_terminal(result.checkpoint)} ({result.steps} steps, final loss {result.final_loss:.4f})")


@train_app.command("evaluator")
def evaluator_command(config: ConfigOption, out: OutOption = None, quiet: QuietOption = False) -> None:
    """Fine-tune a solution evaluator from a generator on the generator's own graded samples of training problems
    (evaluator.kind two_way: on the right ones and the problems' reference solutions, both ways)."""
    from evalkit.training.config import load_train_config, resolve_out
    from evalkit.training.sequential import train_evaluator

    if quiet:
        quiet_library_progress()
    resolved = load_train_config("evaluator", config)
    target = resolve_out(resolved.out, out, str(config))
    with _holding(target, "evalkit train evaluator"):
        result = train_evaluator(resolved.model, resolved.problems, resolved.evaluator, target, show_progress=not quiet,
                                 record=config_record(config, resolved))
    counts = ", ".join(f"{name} {value}" for name, value in result.counts.items())
    console = _console()
    console.print(f"evaluator data from {for_terminal(result.samples_run)}: {counts}")
    console.print(f"[green]evaluator:[/] {for_terminal(result.training.checkpoint)} ({result.training.steps} steps, "
                  f"final loss {result.training.final_loss:.4f})")


@train_app.command("sequential")
def sequential_command(config: ConfigOption, out: OutOption = None, quiet: QuietOption = False) -> None:
    """The sequential chain: SSFT, then the evaluator from the SSFT model, then SSFT again from the evaluator."""
    from evalkit.training.config import load_train_config, resolve_out
    from evalkit.training.sequential import run_sequential

    if quiet:
        quiet_library_progress()
    resolved = load_train_config("sequential", config)
    with _holding(resolve_out(resolved.out, out, str(config)), "evalkit train sequential"):
        result = run_sequential(resolved, out=out, show_progress=not quiet, config_file=config)
    console = _console()
    console.print(f"[green]generator:[/] {for_terminal(result.generator)}")
    console.print(f"[green]evaluator:[/] {for_terminal(result.evaluator)}")


def main() -> None:
    """Run `train_app` alone (e.g. under `accelerate launch -m evalkit.training.cli`); user errors exit 2."""
    run_cli(train_app)


if __name__ == "__main__":
    main()
