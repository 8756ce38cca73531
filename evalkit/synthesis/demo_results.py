"""Regenerate `results/synth-demo/` from the code at HEAD: run the synthesis demo from scratch,
then write its `report.json` (paths made relative) and a `summary.md` that states the figures.

    python -m evalkit.synthesis.demo_results [--config configs/synth-demo.yaml]
        [--work runs/synth-demo] [--results results/synth-demo] [--resume]

The wall time and the machine's load average (1-minute, sampled every 10 s while it runs) are
recorded with the figures: other processes on the machine slow the demo down.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.report.tables import write_text_atomic


def _relative(value: Any, root: Path) -> Any:
    """`value` with every string path under `root` made relative to it (recursively)."""
    prefix = str(root.resolve()) + os.sep
    if isinstance(value, str):
        return value.replace(prefix, "") if prefix in value else value
    if isinstance(value, dict):
        return {key: _relative(item, root) for key, item in value.items()}
    if isinstance(value, list):
        return [_relative(item, root) for item in value]
    return value


class LoadSampler:
    """The 1-minute load average, sampled every `interval` seconds in a background thread."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.samples.append(round(os.getloadavg()[0], 2))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, float]:
        if not self.samples:
            return {}
        return {"min": min(self.samples), "mean": round(sum(self.samples) / len(self.samples), 2),
                "max": max(self.samples)}


def _commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _ci(bounds: Sequence[float] | None, signed: bool = False) -> str:
    if not bounds:
        return ""
    form = "{:+.1f}" if signed else "{:.1f}"
    return f"[{form.format(100 * bounds[0])}, {form.format(100 * bounds[1])}]"


def render_summary(report: dict[str, Any], run: dict[str, Any]) -> str:
    """`summary.md`: the claim, the figures that test it, and why they came out as they did."""
    evaluation = report.get("evaluation") or {}
    ablation = evaluation.get("random_texts_run") or {}
    intervals = evaluation.get("accuracy_ci", {})
    sizes = evaluation.get("training_examples", {})
    lines = ["# Synthesis demo: JiuZhang3.0's claim in miniature", "",
             f"`{run['command']}` (commit {run.get('commit') or 'unknown'}), {run['seconds']:.0f} s wall time on "
             f"{run['cpus']} CPU cores shared with other work (1-minute load average while it ran: "
             f"{run['load'].get('min')}-{run['load'].get('max')}, mean {run['load'].get('mean')}).", "",
             "## Students on the held-out test split", "",
             f"{evaluation.get('test_problems')} test problems of `{run['task']}`, one greedy answer each; "
             f"{round(100 * evaluation.get('confidence', 0.95))}% bootstrap intervals over problems.", "",
             "| model | trained on | test accuracy |", "|---|---|---:|"]
    world = run.get("demo") or {}
    steps = (evaluation.get("student_training") or {}).get("max_steps")
    described = {
        "teacher": (f"{world.get('teacher_examples')} examples of the world for {world.get('teacher_steps')} steps "
                    "(the strong model)"),
        "baseline": f"{sizes.get('baseline')} real problems ({steps} steps, like every student)",
        "with_synthetic": f"the same + {(sizes.get('with_synthetic') or 0) - (sizes.get('baseline') or 0)} "
                          "synthetic exercises (influence-selected texts)",
        "random_texts": f"the same + {(sizes.get('random_texts') or 0) - (sizes.get('baseline') or 0)} "
                        "synthetic exercises (random texts)",
    }
    for name in ("teacher", "baseline", "with_synthetic", "random_texts"):
        if name in evaluation:
            lines.append(f"| {name} | {described[name]} | {_pct(evaluation[name])} {_ci(intervals.get(name))} |")
    lines += ["", "Paired comparisons (same problems, paired bootstrap):", ""]
    lines += [f"- {verdict}" for verdict in evaluation.get("verdicts", [])]
    lines += ["", "## What the teacher cost and what it bought", "",
              "| | influence-selected texts | random texts |", "|---|---:|---:|"]
    rows = (("texts the teacher wrote for", "texts_selected"), ("share of them that are arithmetic narratives",
                                                                  "selected_arithmetic_share"),
            ("teacher calls", "teacher_calls"), ("teacher tokens (prompt + completion)", "teacher_tokens"),
            ("synthesizer outputs", "generated"), ("kept after the filters", "kept"),
            ("removed: malformed", "removed_malformed"), ("removed: length", "removed_length"),
            ("removed: contaminated", "removed_contaminated"), ("removed: near-duplicates", "removed_duplicates"),
            ("removed: wrong computation", "removed_miscalculated"),
            ("removed: answer not reproduced", "removed_inconsistent"))
    for label, key in rows:
        main, other = report.get(key), ablation.get(key)
        if key == "selected_arithmetic_share":
            main, other = _pct(main), _pct(other)
        lines.append(f"| {label} | {main} | {other} |")
    efficiency = report.get("efficiency") or {}
    if efficiency:
        checking = efficiency.get("teacher_checking_calls") or 0
        spent = f"{efficiency.get('teacher_calls')} teacher calls to write" + (
            f" and {checking} to check answers (the consistency filter's solver)" if checking else "")
        lines += ["", f"{spent} bought {efficiency.get('kept')} kept exercises, "
                      f"{efficiency.get('kept_per_teacher_call')} per teacher call: the synthesizer, distilled from "
                      f"{report.get('train_pairs')} teacher answers, wrote {efficiency.get('generated')} exercises "
                      "for the whole corpus without the teacher (the paper: 9.3k GPT-4 calls for 6M problems)."]
    quality = evaluation.get("synthetic_quality") or {}
    if quality:
        lines += ["", "Oracle check of the kept data (the demo world reads each problem's numbers and operations "
                  "and knows its true answer): "
                  + "; ".join(f"{name}: {q['answer_right']} of {q['exercises']} kept exercises have the right answer "
                              f"({q['well_posed']} are problems of the task's grammar)"
                              for name, q in quality.items()) + "."]
    removed = evaluation.get("removed_quality") or {}
    if removed:
        lines += ["", "The same oracle on what each filter removed (influence-selected arm): "
                  + "; ".join(f"{name}: {q['answer_right']} of {q['exercises']} had the right answer"
                              for name, q in removed.items()) + "."]
    lines += ["", "## Education stages of the kept data", "",
              ", ".join(f"{stage}: {count}" for stage, count in (report.get("kept_stages") or {}).items()) or "none",
              "", "## Run time by step", "", "| step | seconds |", "|---|---:|"]
    lines += [f"| {step} | {seconds:.1f} |" for step, seconds in (report.get("timings_this_run") or {}).items()]
    lines += ["", "Regenerate with `python -m evalkit.synthesis.demo_results` (about the time above; "
              "the figures depend only on the seeds, the times on the machine's load).", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the synthesis demo and write results/synth-demo/.")
    parser.add_argument("--config", type=Path, default=Path("configs/synth-demo.yaml"))
    parser.add_argument("--work", type=Path, default=Path("runs/synth-demo"))
    parser.add_argument("--results", type=Path, default=Path("results/synth-demo"))
    parser.add_argument("--resume", action="store_true", help="keep the work directory (times then mean little)")
    args = parser.parse_args(argv)

    from evalkit.synthesis.config import load_synth_config
    from evalkit.synthesis.pipeline import run_synthesis

    config = load_synth_config(args.config)
    if args.work.exists() and not args.resume:
        shutil.rmtree(args.work)
    started = time.perf_counter()
    with LoadSampler() as load:
        report = run_synthesis(config, args.work)
    seconds = time.perf_counter() - started
    run = {"command": f"evalkit synth --config {args.config} --out {args.work}", "seconds": round(seconds, 1),
           "load": load.summary(), "cpus": os.cpu_count(), "commit": _commit(), "resumed": args.resume,
           "task": config.evaluate.task if config.evaluate else None, "demo": config.demo.model_dump()}
    args.results.mkdir(parents=True, exist_ok=True)
    cleaned = _relative({**report, "run": run}, args.work)
    write_text_atomic(args.results / "report.json", json.dumps(cleaned, indent=2, sort_keys=True) + "\n")
    write_text_atomic(args.results / "summary.md", render_summary(cleaned, run))
    print(f"wrote {args.results / 'report.json'} and {args.results / 'summary.md'} ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
