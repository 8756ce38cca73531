"""`evalkit grade PAIRS.jsonl`: grade (reference, answer-or-response) pairs from a JSON Lines file.

Every line is checked before any grading starts, so a bad line 9,000 of a file fails in a
second with its file, line and field named, not after minutes of SymPy work.
"""

from __future__ import annotations

import math

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from evalkit.errors import InputError
from evalkit.jsonl import iter_jsonl, write_jsonl
from evalkit.paths import refuse_output_over_inputs
from evalkit.records import canonical_finish_reason, misspelled_sample_field, parse_reference, spelled_like
from evalkit.text_safety import for_terminal


@dataclass(frozen=True)
class GradingPair:
    """One line of a pairs file: a reference answer and a model's answer or full response."""

    line: int
    reference: str
    text: str
    id: Any = None
    has_id: bool = False
    question: str | None = None
    finish_reason: str | None = None


def _text_field(record: dict[str, Any], name: str, path: Path, line: int) -> str:
    """A field that must hold text; JSON numbers are accepted as their decimal text."""
    value = record[name]
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise InputError(f"expected a string, got {type(value).__name__}", path=path, line=line, field=name)


def _reference_field(record: dict[str, Any], path: Path, line: int) -> str:
    """The reference, by the rule `evalkit import` uses: text or a finite number, never empty."""
    try:
        return parse_reference(record["reference"])
    except ValueError as error:
        raise InputError(str(error), path=path, line=line, field="reference") from None


_PAIR_FIELDS = ("reference", "answer", "response", "question", "finish_reason")


def _look_alike(record: dict[str, Any], meant: str) -> str | None:
    """A key of `record` spelled nearly like the pair field `meant` (`questoin`, `refrence`), or None."""
    return next((written for written in record if isinstance(written, str) and written not in _PAIR_FIELDS
                 and spelled_like(written, meant)), None)


def _did_you_mean(record: dict[str, Any], *meant: str) -> str:
    """`; did you mean 'question'?` (naming the look-alike key found) for the first field of `meant` that has one."""
    for name in meant:
        written = _look_alike(record, name)
        if written is not None:
            return f" ({written!r} is not a field; did you mean {name!r}?)"
    return ""


def read_pairs(path: Path) -> list[GradingPair]:
    """All pairs of a file: each line needs `reference` and exactly one of `answer` / `response`.

    Raises `InputError` naming the file, line and field for the first bad line, and for a file
    without any pair.
    """
    pairs = []
    for line, record in iter_jsonl(path):
        if "reference" not in record:
            raise InputError("missing field" + _did_you_mean(record, "reference"), path=path, line=line, field="reference")
        has_answer, has_response = "answer" in record, "response" in record
        if not has_answer and not has_response:
            raise InputError("missing field: give the model's 'answer' or its full 'response'"
                             + _did_you_mean(record, "answer", "response"), path=path, line=line, field="answer")
        if has_answer and has_response:
            raise InputError("give either 'answer' or 'response', not both", path=path, line=line,
                             field="response")
        if "question" not in record and (written := _look_alike(record, "question")) is not None:
            # the question decides some verdicts (`0.36` for `0.4`): a misspelt one must not be read as absent
            raise InputError("unknown field; did you mean 'question'?", path=path, line=line, field=written)
        question = record.get("question")
        if question is not None and not isinstance(question, str):
            raise InputError(f"expected a string, got {type(question).__name__}", path=path, line=line,
                             field="question")
        misspelled = misspelled_sample_field(record)
        if misspelled is not None and misspelled[1] == "finish_reason":
            raise InputError(f"unknown field {misspelled[0]!r}; did you mean 'finish_reason'?", path=path, line=line,
                             field=misspelled[0])
        finish_reason = record.get("finish_reason")
        if finish_reason is not None and not isinstance(finish_reason, str):
            raise InputError(f"expected a string such as \"stop\" or \"length\", got {type(finish_reason).__name__}",
                             path=path, line=line, field="finish_reason")
        identifier = record.get("id")
        if isinstance(identifier, float) and not math.isfinite(identifier):
            raise InputError(f"not a usable id ({identifier})", path=path, line=line, field="id")
        pairs.append(GradingPair(
            line=line,
            reference=_reference_field(record, path, line),
            text=_text_field(record, "answer" if has_answer else "response", path, line),
            id=identifier,
            has_id="id" in record,
            question=question,
            finish_reason=canonical_finish_reason(finish_reason),
        ))
    if not pairs:
        raise InputError("no pairs to grade (the file is empty)", path=path)
    return pairs


def graded_record(pair: GradingPair, verdict: Any, *, explain: bool = False) -> dict[str, Any]:
    """One output line: `{"id"?, "reference", "answer", "correct", "reason", "method"}`; with
    `explain`, also the canonical answer, both typed values and the rule that decided."""
    record: dict[str, Any] = {"id": pair.id} if pair.has_id else {}
    record.update(reference=pair.reference, answer=verdict.answer, correct=bool(verdict.correct),
                  reason=verdict.reason, method=verdict.method)
    if explain:
        record.update(canonical=verdict.canonical, answer_value=verdict.answer_value,
                      reference_value=verdict.reference_value, rule=verdict.rule, note=verdict.note)
    return record


def summary_table(records: list[dict[str, Any]], title: str) -> Table:
    """Total, correct, accuracy, and the count of each verdict reason."""
    total = len(records)
    correct = sum(1 for record in records if record["correct"])
    table = Table(title=title, show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("total", str(total))
    table.add_row("correct", str(correct))
    table.add_row("accuracy", f"{correct / total:.2%}" if total else "n/a")
    for reason, count in sorted(Counter(str(record["reason"]) for record in records).items()):
        table.add_row(f"reason: {reason}", str(count))
    return table


def check_grading_options(workers: int | None, timeout: float) -> None:
    """One line for a --workers or --timeout the grader cannot take (`evalkit grade` and `grade-run`)."""
    if workers is not None and workers < 0:
        raise InputError(f"--workers must be 0 or more, got {workers}")
    if not timeout > 0 or not math.isfinite(timeout):
        raise InputError(f"--timeout must be a finite number of seconds above 0, got {timeout}")


def grade_command(
    pairs: Annotated[Path, typer.Argument(help="JSON Lines file: one object per line with 'reference' and "
                                               "'answer' (an extracted answer) or 'response' (a full "
                                               "model response); an optional 'id' is copied through, and "
                                               "an optional 'question' says whether a decimal reference "
                                               "was rounded (it asks for rounding) or is exact, and an "
                                               "optional 'finish_reason' (\"length\": cut at max_tokens) "
                                               "how a response ended.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the graded lines.",
                                             show_default="PAIRS.graded.jsonl beside PAIRS")] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", help="Worker processes for SymPy work; "
                                                                       "0 grades in-process without time limits.",
                                                show_default="all CPU cores")] = None,
    timeout: Annotated[float, typer.Option("--timeout", "-t", help="Seconds allowed per answer before it "
                                                                   "is marked as a timeout.")] = 5.0,
    explain: Annotated[bool, typer.Option("--explain", help="Print why each line got its verdict (the "
                                                            "answer found, both typed values, the deciding "
                                                            "rule) and write those fields to --out.")] = False,
    task: Annotated[str | None, typer.Option("--task", help="Grade with this task's conventions "
                                                            "(extraction, decimal comma, tolerance).")] = None,
    extraction: Annotated[str | None, typer.Option("--extraction", help="How answers are found: auto, boxed "
                                                                         "or gsm8k (overrides --task).")] = None,
    decimal_comma: Annotated[bool, typer.Option("--decimal-comma", help="Read 3,14 as a decimal.")] = False,
    relative_tolerance: Annotated[float, typer.Option("--relative-tolerance",
                                                      help="Accept numbers within this relative distance "
                                                           "of a numeric reference.")] = 0.0,
) -> None:
    """Grade answers against references and print accuracy with a count of each verdict reason."""
    check_grading_options(workers, timeout)
    out_path = out if out is not None else pairs.with_name(f"{pairs.stem}.graded.jsonl")
    if out_path.is_dir():
        raise InputError("--out is a directory; give the path of the JSONL file to write", path=out_path)
    refuse_output_over_inputs(out_path, [pairs])
    policy = _policy(task, extraction, decimal_comma, relative_tolerance)
    records_in = read_pairs(pairs)
    from evalkit.grading.api import grade  # SymPy loads only when there is work to do

    verdicts = grade([pair.text for pair in records_in], [pair.reference for pair in records_in],
                     workers=workers, timeout=timeout, progress=True, policy=policy,
                     questions=[pair.question for pair in records_in],
                     finish_reasons=[pair.finish_reason for pair in records_in])
    if len(verdicts) != len(records_in):
        raise RuntimeError(f"grade() returned {len(verdicts)} verdicts for {len(records_in)} pairs")
    records_out = [graded_record(pair, verdict, explain=explain) for pair, verdict in zip(records_in, verdicts)]
    write_jsonl(out_path, records_out)
    console = Console()
    if explain:
        for pair, verdict in zip(records_in, verdicts):
            console.print(f"[bold]line {pair.line}[/]", highlight=False)
            console.print(for_terminal(verdict.explain(), keep_newlines=True), highlight=False)
    console.print(summary_table(records_out, title=f"graded {for_terminal(pairs.name)}"))
    unread = unread_references_note([pair.line for pair in records_in], verdicts)
    if unread is not None:
        console.print(f"[yellow]note[/] {for_terminal(unread)}", highlight=False)
    console.print(f"wrote {len(records_out)} lines to {for_terminal(out_path)}", highlight=False)


def unread_references_note(lines: list[int], verdicts: list[Any], shown: int = 8) -> str | None:
    """One line naming the pairs whose reference could not be read as math (a typo in the data, `t(0,4]`): only
    an answer written as the same string can be right there, which the verdict counts do not show."""
    from evalkit.grading.jobs import UNPARSED

    unread = [line for line, verdict in zip(lines, verdicts)
              if isinstance(verdict.reference_value, str) and verdict.reference_value.startswith(UNPARSED)]
    if not unread:
        return None
    listed = ", ".join(map(str, unread[:shown])) + (f" and {len(unread) - shown} more" if len(unread) > shown else "")
    return (f"{len(unread)} reference{'s' if len(unread) > 1 else ''} could not be read as math, so only an answer "
            f"written as the same string is right there (line{'s' if len(unread) > 1 else ''} {listed}; "
            "--explain shows why)")


def _policy(task: str | None, extraction: str | None, decimal_comma: bool, relative_tolerance: float):
    """The grading policy the options ask for: a task's, with explicit options on top."""
    from dataclasses import replace

    from evalkit.grading.policy import GradingPolicy

    policy = GradingPolicy()
    if task is not None:
        import tasks

        policy = tasks.get_task(task).grading
    changes: dict[str, Any] = {}
    if extraction is not None:
        changes["extraction"] = extraction
    if decimal_comma:
        changes["decimal_comma"] = True
    if relative_tolerance:
        changes["relative_tolerance"] = relative_tolerance
    try:
        return replace(policy, **changes)
    except ValueError as error:
        raise InputError(str(error).replace("grading policy: ", "")) from None

