"""`evalkit demo`: the command function the main CLI registers (the work is in `evalkit.demo`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evalkit.text_safety import for_terminal


def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for everything the demo writes; rerunning with "
                                                          "the same folder resumes and skips finished work.")]
        = Path("demo-out"),
    quick: Annotated[bool, typer.Option("--quick", help="A smaller, faster demo (under two minutes on two CPU "
                                                        "cores) with weaker figures; for tests and a first look.")]
        = False,
    large: Annotated[bool, typer.Option("--large", help="A 4-layer model and the paper's verdict evaluator "
                                                        "trained on 8x the samples with the joint objective: a "
                                                        "larger try at the paper's own evaluator (15-20 minutes "
                                                        "on two CPU cores).")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the data, every model and the sampling; the same "
                                                     "seed gives the same numbers on the same machine.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars: only where the summary is, "
                                                              "at the end.")] = False,
) -> None:
    """Test the paper's claims on the CPU, from scratch: SSFT, a solution evaluator, SCR, sequential fine-tuning.

    Generates arithmetic word problems, trains a tiny model, runs `evalkit train sequential`
    (SSFT -> evaluator -> SSFT; the evaluator is the two-way one, learnt from the solutions graded
    right, except with --large, the paper's verdict evaluator), samples and grades both
    generators on held-out problems, reranks with solution-cluster re-ranking, and writes a
    leaderboard, plots and summary.md that says whether each claim held here.
    """
    from evalkit.demo import DEMO_PRESETS, SUMMARY_FILE, run_demo
    from evalkit.errors import ConfigError
    from evalkit.progress import quiet_library_progress

    if quick and large:
        raise ConfigError("--quick and --large are two different presets: give one of them")

    quiet_library_progress()  # the demo draws its own progress; the libraries' bars would repeat at every model load
    started = time.perf_counter()
    settings = DEMO_PRESETS["quick" if quick else "large" if large else "full"](seed)
    result = run_demo(out, quick=quick, settings=settings, console=Console(quiet=quiet))
    console = Console()
    if not quiet:
        console.print()
        console.print((result.out / SUMMARY_FILE).read_text(encoding="utf-8"), markup=False, highlight=False)
    console.print(f"[bold green]demo finished in {time.perf_counter() - started:.0f} s[/]; "
                  f"everything is in {for_terminal(result.out)}"
                  + (f" (summary: {for_terminal(result.out / SUMMARY_FILE)})" if quiet else ""), highlight=False)
    if not quiet:
        for name, path in sorted(result.written.items()):
            console.print(f"wrote {for_terminal(path)}", highlight=False)
