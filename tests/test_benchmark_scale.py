"""benchmarks/scale.py runs on a small size and ends with one JSON line of figures, its scaling
measured against a baseline in the same run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_scale_benchmark_reports_its_time_per_sample_against_a_smaller_run_of_the_same_kind(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "scale.py"), "--problems", "8", "--samples", "2",
         "--workers", "1"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["problems"] == 8 and figures["baseline_problems"] == 2
    assert figures["baseline_wall_s"] > 0 and figures["wall_s"] > 0
    expected = (figures["wall_s"] / 16) / (figures["baseline_wall_s"] / 4)
    assert abs(figures["time_per_sample_vs_baseline"] - expected) <= 0.02 + 0.1 * expected
