"""Peak memory of the bootstrap at 100k problems: evalkit's chunked resampling against the dense
resamples x problems matrix it replaced, measured in the same run with tracemalloc.

    python benchmarks/bootstrap_memory.py [--problems 100000] [--resamples 200]

Prints a final JSON line: peak MiB of each and their ratio (dense / chunked), and whether both
give the same intervals (they draw the same numbers).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evalkit.metrics import bootstrap_cis  # noqa: E402


def dense_cis(matrix: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """The old way: all resample counts at once, float[R, P]."""
    num_problems = matrix.shape[0]
    rng = np.random.default_rng([seed, num_problems, resamples])
    draws = rng.integers(0, num_problems, size=(resamples, num_problems))
    offsets = (np.arange(resamples) * num_problems)[:, None]
    counts = np.bincount((draws + offsets).ravel(), minlength=resamples * num_problems)
    means = counts.reshape(resamples, num_problems).astype(np.float64) @ matrix / num_problems
    return np.quantile(means, [0.025, 0.975], axis=0)


def peak(function) -> tuple[float, float, object]:
    tracemalloc.start()
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 2**20, seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    matrix = (rng.random((args.problems, 8)) < 0.5).astype(np.float64)
    named = {f"m{i}": matrix[:, i] for i in range(matrix.shape[1])}
    chunked_mib, chunked_s, chunked = peak(lambda: bootstrap_cis(named, resamples=args.resamples, seed=0))
    dense_mib, dense_s, dense = peak(lambda: dense_cis(matrix, args.resamples, 0))
    same = all(np.allclose(chunked[f"m{i}"].ci, dense[:, i]) for i in range(matrix.shape[1]))
    print(json.dumps({"problems": args.problems, "resamples": args.resamples, "chunked_peak_mib": round(chunked_mib, 1),
                      "dense_peak_mib": round(dense_mib, 1), "dense_over_chunked": round(dense_mib / chunked_mib, 1),
                      "chunked_seconds": round(chunked_s, 2), "dense_seconds": round(dense_s, 2),
                      "same_intervals": bool(same)}))


if __name__ == "__main__":
    main()
