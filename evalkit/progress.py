"""The one rich progress bar style used by long-running stages."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def make_progress(*, disable: bool = False) -> Progress:
    """A progress display with counts, elapsed and remaining time (hidden when `disable`)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        disable=disable,
        transient=False,
    )


def quiet_library_progress() -> None:
    """Turn off the progress bars Hugging Face libraries draw themselves (`Loading weights: ...`),
    for a command run with `--quiet`. The libraries read the switch from the environment when
    imported; one already imported is told directly. Called once, by a command's entry point."""
    import os
    import sys

    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    if "datasets" in sys.modules:
        import datasets

        datasets.disable_progress_bars()
