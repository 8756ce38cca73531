"""`evalkit demo`: the command function the main CLI registers (the work is in `evalkit.demo`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for everything the demo writes; rerunning with "
                                                          "the same folder skips finished steps.")]
        = Path("demo-out"),
    quick: Annotated[bool, typer.Option("--quick", help="A smaller, faster demo (under two minutes on two CPU "
                                                        "cores) with weaker figures; for tests and a first look.")]
        = False,
) -> None:
    """Run the whole SSFT -> evaluator -> SCR -> sequential story on the CPU, from scratch.

    Generates arithmetic word problems, trains a tiny model, fine-tunes it on step-by-step
    solutions, samples and grades its answers, trains a solution evaluator from its own graded
    samples, reranks with Solution-Cluster Reranking, fine-tunes again from the evaluator, and
    writes a leaderboard, plots and summary.md that says whether SCR beat majority vote here.
    """
    from evalkit.demo import SUMMARY_FILE, run_demo

    console = Console()
    started = time.perf_counter()
    result = run_demo(out, quick=quick, console=console)
    console.print()
    console.print((result.out / SUMMARY_FILE).read_text(encoding="utf-8"), markup=False, highlight=False)
    console.print(f"[bold green]demo finished in {time.perf_counter() - started:.0f} s[/]; "
                  f"everything is in {result.out}", highlight=False)
    for name, path in sorted(result.written.items()):
        console.print(f"wrote {path}", highlight=False)
