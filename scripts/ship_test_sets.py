"""Copy the eight benchmark test sets into the package (`tasks/testsets/`) and write their manifest.

    python scripts/ship_test_sets.py ../shared/data

The files are copied byte for byte from a data directory laid out like `shared/data`; the
manifest (`tasks/testsets/manifest.json`) records, for each file, the task and split it
serves, its record count, size, sha256, where the data come from and their licence. evalkit
checks a shipped file against its sha256 before reading it (`tasks.shipped`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "tasks" / "testsets"

QWEN_MATH = ("github.com/QwenLM/Qwen2.5-Math, commit a45202bd16f1ec06f433442dc1152d0074773465, "
             "evaluation/data/{name}/test.jsonl (byte-for-byte copy)")

# relative path -> (task, split, source, licence); sources as documented in shared/data/README.md
SHIPPED = {
    "gsm8k/test.jsonl": (
        "gsm8k", "test",
        "github.com/openai/grade-school-math, commit 3101c7d5072418e28b9008a6636bde82a006892c, "
        "grade_school_math/data/test.jsonl (byte-for-byte copy)",
        "MIT (Copyright (c) 2021 OpenAI)"),
    "math/test.jsonl": (
        "math", "test",
        "the raw MATH release (Hendrycks et al. 2021), test/<subject>/<n>.json, as one record per problem sorted "
        "by unique_id; taken from github.com/aiwaves-cn/agents, commit e8c4e3c2d19739d3dff59e577d1c97090cc15f59; "
        "agrees with github.com/ZubinGou/math-evaluation-harness data/math/test.jsonl",
        "MIT (hendrycks/math)"),
    "math/math500.jsonl": (
        "math500", "test",
        "github.com/ZubinGou/math-evaluation-harness, commit db77bc6bb2a17c90ed2d63e88ebd8c40a82858c5, "
        "data/math_oai/test.jsonl (byte-for-byte copy; the PRM800K test subset of MATH)",
        "MIT (MATH; PRM800K splits by OpenAI)"),
    "aime24/test.jsonl": ("aime24", "test", QWEN_MATH.format(name="aime24"), "problem copyright MAA"),
    "aime25/test.jsonl": (
        "aime25", "test",
        "github.com/zhshgmail/AReaL, commit 04ab6018c4ef43919348efdc52ba6b679a14ce88, "
        "evaluation/data/aime25/test.jsonl; three single-backslash \\frac/\\triangle repaired, "
        "rewritten with ensure_ascii=False",
        "problem copyright MAA"),
    "amc23/test.jsonl": ("amc23", "test", QWEN_MATH.format(name="amc23"), "problem copyright MAA"),
    "minerva_math/test.jsonl": (
        "minerva_math", "test", QWEN_MATH.format(name="minerva_math") + "; the OCWCourses set of Lewkowycz et al. 2022",
        "problem copyright MIT OpenCourseWare"),
    "olympiadbench/test.jsonl": (
        "olympiadbench", "test", QWEN_MATH.format(name="olympiadbench") + "; OlympiadBench, English text-only maths",
        "problem copyright the OlympiadBench authors"),
}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(source_dir: Path) -> None:
    manifest = {}
    for relative, (task, split, source, licence) in SHIPPED.items():
        origin = source_dir / relative
        if not origin.is_file():
            sys.exit(f"{origin}: missing")
        target = TARGET / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, target)
        data = target.read_bytes()
        manifest[relative] = {
            "task": task, "split": split, "records": data.count(b"\n") + (not data.endswith(b"\n")),
            "bytes": len(data), "sha256": sha256_of(target), "source": source, "license": licence,
        }
    (TARGET / "manifest.json").write_text(json.dumps({"files": manifest}, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    print(f"wrote {len(manifest)} files and manifest.json into {TARGET}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
