"""Output length and truncation of a run: what reasoning models need reported beside accuracy.

A reasoning model thinks for thousands of tokens; a sample cut at `max_tokens` inside its
thinking has no answer. For each run this module reports, in `metrics.json` under `outputs`:

- `cut_at_max_tokens`: samples whose `finish_reason` is "length";
- `truncated`: samples cut at `max_tokens` that have no answer (cluster -1), i.e. the cut cost
  the answer (an answer-less sample that stopped on its own is not truncated);
- `no_answer`: all samples without an answer;
- `empty`: samples whose text is empty or blank, apart from refused prompts (a server that answered
  `content: null` or nothing at all): graded as no answer, and named in the terminal and `report.md`;
- `rejected_problems`: problems whose prompt the backend refused and the run recorded unanswered
  (`rejected_prompts: record`; their samples' finish reason is "rejected");
- `other_finish_reasons`: samples per finish reason other than stop, length and rejected (a server's
  `abort`, `content_filter`, `error`): graded as written, and named in `report.md`;
- `length`: output length (tokens; characters when the backend or dump gave no token counts)
  as count, mean, median, 95th percentile and max, over all samples and over correct and
  incorrect ones;
- `accuracy_by_length`: samples binned by length (equal-count bins), with accuracy, counts and
  truncations per bin; `accuracy_vs_length.png` plots it.

Rates are fractions of samples (None when unknown, e.g. an import without finish reasons). The
statistics are pure functions of arrays; `read_output_records` streams `samples.jsonl` once and
keeps only the per-sample numbers, so long outputs do not grow memory.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.errors import InputError
from evalkit.jsonl import iter_jsonl
from evalkit.records import FINISH_LENGTH, FINISH_REJECTED, FINISH_STOP
from evalkit.store.rundir import RunDir
from evalkit.text_safety import for_markdown

LENGTH_FINISH_REASON = FINISH_LENGTH
MAX_LENGTH_BINS = 8
TOKENS, CHARACTERS = "tokens", "characters"


@dataclass(frozen=True)
class OutputRecords:
    """Per-sample output facts of a run, one row per problem (graded order), one column per sample."""

    tokens: np.ndarray  # float[P, N]; NaN where the token count is unknown
    characters: np.ndarray  # int[P, N]
    blank: np.ndarray  # bool[P, N]: the text is empty or whitespace
    cut: np.ndarray  # bool[P, N]: finish_reason == "length"
    rejected: np.ndarray  # bool[P, N]: finish_reason == "rejected" (the backend refused the prompt)
    finish_known: np.ndarray  # bool[P, N]: a finish_reason was recorded
    logprobs: np.ndarray  # float[P, N]: the sample's summed token log-probability; NaN where not recorded
    other_finish_reasons: tuple[tuple[str, int], ...] = ()  # (reason, samples) of reasons not stop/length/rejected


def read_output_records(run: RunDir, problem_ids: Sequence[str], num_samples: int) -> OutputRecords | None:
    """Token counts, text lengths and finish reasons from `samples.jsonl`, in `problem_ids` order.

    None when the run has no `samples.jsonl` (a run rebuilt from grades only). A graded problem
    missing from the samples, or a sample count that differs from the grades, is an `InputError`.
    """
    if not run.samples_path.exists():
        return None
    row_of = {problem_id: row for row, problem_id in enumerate(problem_ids)}
    shape = (len(problem_ids), num_samples)
    tokens = np.full(shape, np.nan)
    characters = np.zeros(shape, dtype=np.int64)
    blank = np.zeros(shape, dtype=bool)
    cut = np.zeros(shape, dtype=bool)
    rejected = np.zeros(shape, dtype=bool)
    finish_known = np.zeros(shape, dtype=bool)
    logprobs = np.full(shape, np.nan)
    others: dict[str, int] = {}
    seen: set[str] = set()
    for line, record in iter_jsonl(run.samples_path, tolerate_partial_tail=True):
        problem_id = record.get("problem_id")
        if problem_id not in row_of:
            continue  # read_problem_meta reports problems that were sampled but not graded
        samples = record.get("samples")
        if not isinstance(samples, list) or len(samples) != num_samples:
            raise InputError(f"problem '{problem_id}' has {len(samples) if isinstance(samples, list) else 'no'} "
                             f"samples but {num_samples} grades", path=run.samples_path, line=line, field="samples")
        row = row_of[problem_id]
        seen.add(problem_id)
        for column, sample in enumerate(samples):
            if not isinstance(sample, Mapping):
                raise InputError("expected an object", path=run.samples_path, line=line, field=f"samples[{column}]")
            count = sample.get("num_tokens")
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                tokens[row, column] = count
            text = sample.get("text")
            characters[row, column] = len(text) if isinstance(text, str) else 0
            blank[row, column] = not (isinstance(text, str) and text.strip())
            reason = sample.get("finish_reason")
            finish_known[row, column] = isinstance(reason, str)
            cut[row, column] = reason == LENGTH_FINISH_REASON
            rejected[row, column] = reason == FINISH_REJECTED
            if isinstance(reason, str) and reason not in (FINISH_STOP, LENGTH_FINISH_REASON, FINISH_REJECTED):
                others[reason] = others.get(reason, 0) + 1
            logprob = sample.get("logprob")
            if isinstance(logprob, (int, float)) and not isinstance(logprob, bool):
                logprobs[row, column] = logprob
    missing = [problem_id for problem_id in problem_ids if problem_id not in seen]
    if missing:
        raise InputError(f"graded problem '{missing[0]}' has no samples", path=run.samples_path)
    return OutputRecords(tokens=tokens, characters=characters, blank=blank, cut=cut, rejected=rejected,
                         finish_known=finish_known, logprobs=logprobs, other_finish_reasons=tuple(sorted(others.items())))


def _rate(count: int, total: int) -> dict[str, Any]:
    return {"count": int(count), "rate": float(count / total) if total else None}


def length_summary(values: np.ndarray) -> dict[str, Any] | None:
    """`{"count", "mean", "median", "p95", "max"}` of lengths (None for no values)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return None
    return {"count": int(values.size), "mean": float(values.mean()), "median": float(np.median(values)),
            "p95": float(np.percentile(values, 95)), "max": float(values.max())}


def length_bins(lengths: np.ndarray, correct: np.ndarray, truncated: np.ndarray,
                max_bins: int = MAX_LENGTH_BINS) -> list[dict[str, Any]]:
    """Samples in up to `max_bins` equal-count bins of length: `low`/`high` (inclusive), `median`,
    `samples`, `correct`, `accuracy` and `truncated` per bin, shortest first."""
    lengths = np.asarray(lengths, dtype=float)
    if lengths.size == 0:
        return []
    edges = np.unique(np.quantile(lengths, np.linspace(0.0, 1.0, max_bins + 1)))
    # bin i holds lengths in (edges[i], edges[i + 1]]; the first bin also holds the minimum
    index = np.clip(np.searchsorted(edges, lengths, side="left") - 1, 0, max(len(edges) - 2, 0))
    bins = []
    for position in range(max(len(edges) - 1, 1)):
        members = index == position
        if not members.any():
            continue
        chosen = lengths[members]
        bins.append({
            "low": float(chosen.min()), "high": float(chosen.max()), "median": float(np.median(chosen)),
            "samples": int(members.sum()), "correct": int(correct[members].sum()),
            "accuracy": float(correct[members].mean()), "truncated": int(truncated[members].sum()),
        })
    return bins


def output_statistics(records: OutputRecords, correct: np.ndarray, clusters: np.ndarray,
                      max_bins: int = MAX_LENGTH_BINS) -> dict[str, Any]:
    """The `outputs` section of `metrics.json` (see the module docstring); pure."""
    correct = np.asarray(correct, dtype=bool)
    no_answer = np.asarray(clusters) < 0
    total = int(correct.size)
    finish_known = int(records.finish_known.sum())
    cut = records.cut & records.finish_known
    truncated = cut & no_answer
    tokens_known = ~np.isnan(records.tokens)
    unit = TOKENS if tokens_known.all() and total else CHARACTERS
    lengths = records.tokens if unit == TOKENS else records.characters.astype(float)
    document: dict[str, Any] = {
        "samples": total,
        "finish_reasons_known": finish_known,
        "tokens_known": int(tokens_known.sum()),
        "cut_at_max_tokens": _rate(int(cut.sum()), total) if finish_known else None,
        "truncated": _rate(int(truncated.sum()), total) if finish_known else None,
        "no_answer": _rate(int(no_answer.sum()), total),
        "empty": _rate(int((records.blank & ~records.rejected).sum()), total),
        "rejected_problems": _rate(int(records.rejected.all(axis=1).sum()) if total else 0, correct.shape[0]),
        "other_finish_reasons": dict(records.other_finish_reasons),
        "length_unit": unit,
        "length": {
            "all": length_summary(lengths.ravel()),
            "correct": length_summary(lengths[correct]),
            "incorrect": length_summary(lengths[~correct]),
        },
        "accuracy_by_length": length_bins(lengths.ravel(), correct.ravel(), truncated.ravel(), max_bins),
    }
    if unit == CHARACTERS and tokens_known.any():
        document["tokens"] = {"all": length_summary(records.tokens[tokens_known]),
                              "correct": length_summary(records.tokens[tokens_known & correct]),
                              "incorrect": length_summary(records.tokens[tokens_known & ~correct])}
    return document


def run_output_statistics(run: RunDir, problem_ids: Sequence[str], correct: np.ndarray,
                          clusters: np.ndarray) -> dict[str, Any] | None:
    """`output_statistics` of a run directory (None when it has no `samples.jsonl`)."""
    records = read_output_records(run, problem_ids, correct.shape[1])
    return None if records is None else output_statistics(records, correct, clusters)


# --------------------------------------------------------------------------- rendering


def _percent(entry: Mapping[str, Any] | None) -> str:
    if entry is None or entry.get("rate") is None:
        return "unknown"
    return f"{100 * entry['rate']:.1f}% ({entry['count']})"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def outputs_markdown(document: Mapping[str, Any]) -> str:
    """The report.md section on output length and truncation ("" when the run has no such data)."""
    from evalkit.report.tables import markdown_table

    outputs = document.get("outputs")
    if not outputs:
        return ""
    unit = outputs["length_unit"]
    out = io.StringIO()
    out.write(f"\n## Output length and truncation ({outputs['samples']} samples)\n\n")
    out.write(f"- cut at max_tokens: {_percent(outputs.get('cut_at_max_tokens'))}\n")
    out.write(f"- truncated (cut at max_tokens with no answer, e.g. inside an unterminated `<think>`): "
              f"{_percent(outputs.get('truncated'))}\n")
    out.write(f"- no answer at all: {_percent(outputs.get('no_answer'))}\n")
    empty = outputs.get("empty")
    if empty and empty["count"]:
        out.write(f"- **empty samples** (the backend returned no text, e.g. `content: null`; graded as no answer): "
                  f"{_percent(empty)}\n")
    rejected = outputs.get("rejected_problems")
    if rejected and rejected["count"]:
        out.write(f"- **problems whose prompt the backend refused** (e.g. longer than the context window; recorded "
                  f"with empty samples, counted wrong): {_percent(rejected)} of problems\n")
    others = outputs.get("other_finish_reasons") or {}
    if others:
        listed = ", ".join(f"{for_markdown(reason)} {count}" for reason, count in others.items())
        out.write(f"- **samples that ended for another reason** (graded as written; e.g. aborted or filtered by the "
                  f"server): {listed}\n")
    if outputs.get("cut_at_max_tokens") is None:
        out.write("- finish reasons were not recorded, so cuts at max_tokens are unknown\n")
    if unit == CHARACTERS:
        out.write(f"- token counts known for {outputs['tokens_known']} of {outputs['samples']} samples; "
                  "lengths below are in characters\n")
    rows = []
    for group in ("all", "correct", "incorrect"):
        summary = outputs["length"].get(group)
        rows.append([group, summary["count"] if summary else 0,
                     *(_number(summary[key] if summary else None) for key in ("mean", "median", "p95", "max"))])
    out.write(f"\n{unit.capitalize()} per sample:\n\n")
    out.write(markdown_table(["samples", "count", "mean", "median", "p95", "max"], rows,
                             [False, True, True, True, True, True]))
    bins = outputs.get("accuracy_by_length") or []
    if bins:
        out.write(f"\nAccuracy by output length (equal-count bins of samples, {unit}):\n\n")
        rows = [[f"{_number(entry['low'])}–{_number(entry['high'])}", entry["samples"],
                 f"{100 * entry['accuracy']:.1f}", entry["truncated"]] for entry in bins]
        out.write(markdown_table([f"length ({unit})", "samples", "accuracy %", "truncated"], rows,
                                 [False, True, True, True]))
        out.write("\n![accuracy vs output length](accuracy_vs_length.png)\n")
    return out.getvalue()


def outputs_summary_line(document: Mapping[str, Any]) -> str | None:
    """One terminal line: truncation and length figures of a run (None without data)."""
    outputs = document.get("outputs")
    if not outputs:
        return None
    length = outputs["length"]
    unit = outputs["length_unit"]

    def mean(group: str) -> str:
        summary = length.get(group)
        return _number(summary["mean"]) if summary else "—"

    overall = length.get("all") or {}
    rejected = outputs.get("rejected_problems")
    refused = (f"; {rejected['count']} problem(s) refused by the backend, counted wrong"
               if rejected and rejected["count"] else "")
    empty = outputs.get("empty")
    if empty and empty["count"]:
        refused += f"; {empty['count']} empty sample(s): the backend returned no text"
    others = outputs.get("other_finish_reasons") or {}
    if others:
        listed = ", ".join(f"{reason} {count}" for reason, count in others.items())
        refused += f"; {sum(others.values())} sample(s) ended for another reason (graded as written): {listed}"
    return (f"outputs: cut at max_tokens {_percent(outputs.get('cut_at_max_tokens'))}, truncated without answer "
            f"{_percent(outputs.get('truncated'))}; {unit} mean {_number(overall.get('mean'))}, median "
            f"{_number(overall.get('median'))}, p95 {_number(overall.get('p95'))} (correct {mean('correct')}, "
            f"incorrect {mean('incorrect')}){refused}")
