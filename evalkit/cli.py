"""The `evalkit` command line. Each command lives in the module of its stage; this file
only registers them and turns user errors into one clear line."""

from __future__ import annotations


import typer

from evalkit.errors import run_cli

app = typer.Typer(
    name="evalkit",
    help="Evaluate and improve the mathematical reasoning of language models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


from evalkit.grading.cli import grade_command  # noqa: E402
from evalkit.importer import import_command  # noqa: E402
from evalkit.pipeline.cli import grade_run_command, merge_command, run_command  # noqa: E402
from evalkit.report.cli import compare_command, leaderboard_command, report_command  # noqa: E402
from evalkit.demo_cli import demo_command  # noqa: E402
from evalkit.synthesis.cli import decontaminate_command, synth_command  # noqa: E402
from evalkit.training.cli import train_app  # noqa: E402
from reranker.cli import rerank_command  # noqa: E402

app.command("run")(run_command)
app.command("grade")(grade_command)
app.command("grade-run")(grade_run_command)
app.command("import")(import_command)
app.command("merge")(merge_command)
app.command("report")(report_command)
app.command("leaderboard")(leaderboard_command)
app.command("compare")(compare_command)
app.command("rerank")(rerank_command)
app.add_typer(train_app, name="train")
app.command("demo")(demo_command)
app.command("synth")(synth_command)
app.command("decontaminate")(decontaminate_command)


@app.command()
def version() -> None:
    """Print the evalkit version."""
    from evalkit import __version__

    print(__version__)


def main() -> None:
    """Console entry point: user errors print one red line and exit with status 2."""
    run_cli(app)


if __name__ == "__main__":
    main()
