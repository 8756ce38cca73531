"""Step 5: the distilled synthesizer writes an exercise for every text, at scale.

Generation goes through the same `CachedCaller` as the teacher (its own cache file, no
budget), so a killed run resumes and a rerun costs nothing. The cache key includes a
fingerprint of the checkpoint's files, so a retrained synthesizer never reuses old answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.backends.base import SamplingParams
from evalkit.synthesis.corpus import Chunk
from evalkit.synthesis.prompts import synthesizer_prompt
from evalkit.synthesis.teacher import CachedCaller, exercise_records, plan_requests


def checkpoint_fingerprint(model: str | Path) -> str:
    """`model` plus a hash of its directory's file names, sizes and modification times (if local)."""
    path = Path(model)
    if not path.is_dir():
        return str(model)
    digest = hashlib.sha256()
    for item in sorted(path.rglob("*")):
        if item.is_file():
            stat = item.stat()
            digest.update(f"{item.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return f"{model}@{digest.hexdigest()[:16]}"


def synthesize(chunks: Sequence[Chunk], caller: CachedCaller, *, mode: str, stages: Sequence[str], n: int,
               sampling: SamplingParams, batch_size: int, show_progress: bool = True) -> list[dict[str, Any]]:
    """`n` exercises per text from the synthesizer, parsed like the teacher's (status ok / malformed)."""
    requests = plan_requests(chunks, mode, stages)
    prompts = [synthesizer_prompt(request.chunk.text, request.stage) for request in requests]
    outcomes = caller.run(prompts, n, sampling, batch_size=batch_size, description="synthesizer",
                          show_progress=show_progress)
    return exercise_records(requests, prompts, outcomes)
