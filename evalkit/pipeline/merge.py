"""Joining the shards of a split run (`evalkit run --shard i/N`) into one run directory.

The parts' lines are copied as they are, streaming (memory holds the problem ids, not the
records), part after part, each file written atomically. Every part and the target are locked
while the merge runs, so a part that is still being written cannot be merged half-done.

The target is an empty (or new) directory; one that already holds run files is taken only when
the merge reproduces them byte for byte (merging again is a no-op, and a merge interrupted
between files is completed): writing new samples beside an old run's grades, metrics and reports
would leave a run whose files disagree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import ConfigError, InputError
from evalkit.hashing import file_sha256, sha256_of
from evalkit.jsonl import record_keys, write_lines_atomic
from evalkit.paths import refuse_output_over_inputs
from evalkit.store import RunDir
from evalkit.store.rundir import (
    GRADED_FILE,
    INPUTS_KEY,
    RERANKED_KEY,
    SAMPLES_FILE,
    SCORES_FILE,
    changed_inputs,
    reranked,
)

# The merged files, and whether one problem may have several lines in a part (scores.jsonl holds
# a line per problem, scorer and scoring pass; samples and grades one line per problem).
MERGED_FILES = {SAMPLES_FILE: False, GRADED_FILE: False, SCORES_FILE: True}


def _part_shard(part: RunDir, config: dict) -> dict[str, Any]:
    """The `shard` entry of a part's config.yaml: `{index, count, ...}` with 0 <= index < count."""
    shard = config.get("shard")
    if shard is None:
        raise ConfigError(f"{part.path} is not a shard of a split run (`evalkit run --shard i/N`)")
    index, count = (shard.get("index"), shard.get("count")) if isinstance(shard, dict) else (None, None)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (index, count)) or not 0 <= index < count:
        raise InputError(f"expected index and count with 0 <= index < count, got {str(shard)[:60]}",
                         path=part.config_path, field="shard")
    return shard


def _refuse_different_data(shards: Sequence[tuple[RunDir, dict[str, Any]]]) -> None:
    """Refuse parts cut from different problem lists (the task's data changed between their runs);
    a part recorded before the list was fingerprinted is not compared."""
    recorded = [(part, shard) for part, shard in shards if shard.get("whole_sha256") is not None]
    if len({shard["whole_sha256"] for _, shard in recorded}) > 1:
        listing = ", ".join(f"{part.path}: {shard.get('whole_problems')} problems, sha256 "
                            f"{str(shard['whole_sha256'])[:12]}…" for part, shard in recorded)
        raise ConfigError(f"the parts were cut from different problem lists ({listing}): the task's data changed "
                          "between the shards' runs (another --data-dir or $EVALKIT_DATA_DIR, or an edited file); "
                          "run every shard on the same data")


def _check_parts(parts: Sequence[RunDir]) -> list[tuple[RunDir, dict]]:
    configs = [(part, part.read_config()) for part in parts]
    hashes = {config.get("config_hash") for _, config in configs}
    if len(hashes) != 1:
        listing = ", ".join(f"{part.path}: {config.get('config_hash')}" for part, config in configs)
        raise ConfigError(f"the parts come from different configs ({listing})")
    shards = [(part, _part_shard(part, config)) for part, config in configs]
    counts = {shard["count"] for _, shard in shards}
    if len(counts) != 1:
        listing = ", ".join(f"{part.path}: {shard['index']}/{shard['count']}" for part, shard in shards)
        raise ConfigError(f"the parts are shards of different splits ({listing})")
    count = counts.pop()
    indices = sorted(shard["index"] for _, shard in shards)
    if indices != list(range(count)):
        missing = sorted(set(range(count)) - set(indices))
        repeated = sorted({i for i in indices if indices.count(i) > 1})
        raise ConfigError(f"the parts do not form shards 0..{count - 1} exactly once "
                          f"(missing {missing}, repeated {repeated})")
    _refuse_different_data(shards)
    configs.sort(key=lambda item: item[1]["shard"]["index"])
    first_part, first_config = configs[0]
    for part, config in configs[1:]:
        changed = changed_inputs(first_config.get(INPUTS_KEY), config.get(INPUTS_KEY))
        if changed:
            raise ConfigError(f"the parts read different content for {changed[0]} ({first_part.path} and "
                              f"{part.path}: the file changed between the shards' runs)")
    for part, config in configs:
        expected = config.get("num_problems")
        sampled = part.sampled_ids()
        if expected is not None and len(sampled) != expected:
            raise InputError(f"shard {config['shard']['index']} is incomplete ({len(sampled)} of {expected} problems "
                             "sampled): resume it with the same command first", path=part.path)
        if part.graded_path.exists() and part.graded_ids() != sampled:
            raise InputError(f"shard {config['shard']['index']} is not fully graded ({len(part.graded_ids() & sampled)}"
                             f" of {len(sampled)} problems): resume it with the same command, or run `evalkit "
                             f"grade-run {part.path}`, first", path=part.path)
    return configs


def _joined_lines(paths: Sequence[Path], repeats_allowed: bool) -> Iterator[str]:
    """The complete lines of each file in turn, refusing a problem that another part holds too
    (or, unless `repeats_allowed`, that one part holds twice)."""
    owner: dict[str, int] = {}
    seen_here: set[str] = set()
    for part, path in enumerate(paths):
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    break  # the cut-short last line of a killed writer
                if not raw.strip():
                    continue
                (problem_id,) = record_keys(raw, ("problem_id",), path=path, line=number)
                problem_id = str(problem_id)
                first = owner.setdefault(problem_id, part)
                if first != part:
                    raise InputError(f"problem '{problem_id}' appears in two parts", path=path, line=number)
                if not repeats_allowed and problem_id in seen_here:
                    raise InputError(f"problem '{problem_id}' appears twice", path=path, line=number)
                seen_here.add(problem_id)
                yield raw.decode("utf-8")
        seen_here.clear()


def _merged_sources(configs: Sequence[tuple[RunDir, dict]]) -> dict[str, list[Path]]:
    """The files the merge writes, each with the parts' files it joins (a file no part holds is
    not merged; one that only some parts hold is refused)."""
    sources: dict[str, list[Path]] = {}
    for name in MERGED_FILES:
        present = [(part.path / name).exists() for part, _ in configs]
        if not any(present):
            continue
        if not all(present):
            lacking = [str(part.path) for (part, _), has in zip(configs, present) if not has]
            remedy = {GRADED_FILE: "run `evalkit grade-run` on each of them (or grade none: merge, then grade "
                                   "the merged run)",
                      SCORES_FILE: "score them with the same `evalkit rerank` as the other parts"}
            raise InputError(f"{name} is missing from some parts: {', '.join(lacking)}"
                             + (f"; {remedy[name]}" if name in remedy else ""))
        sources[name] = [part.path / name for part, _ in configs]
    return sources


def _files_to_write(target: RunDir, sources: dict[str, list[Path]]) -> list[str]:
    """The merged files the target lacks, after refusing a target that holds run files the merge
    would not reproduce byte for byte (their old grades, metrics and reports would stay beside
    the new samples)."""
    held = target.held_files()
    if not held:
        return list(sources)
    differing = sorted(name for name in MERGED_FILES if (target.path / name).exists() and (
        name not in sources or file_sha256(target.path / name)
        != sha256_of(line.encode("utf-8") for line in _joined_lines(sources[name], MERGED_FILES[name]))))
    missing = [name for name in sources if not (target.path / name).exists()]
    others = [name for name in held if name not in MERGED_FILES]
    if differing or (missing and others):
        what = (f"{', '.join(differing)} would change" if differing
                else f"it lacks {', '.join(missing)} but holds {', '.join(others[:4])}")
        raise ConfigError(f"--out {target.path} already holds run files ({', '.join(held[:6])}"
                          f"{', …' if len(held) > 6 else ''}) and this merge would not reproduce them ({what}); "
                          "choose an empty --out directory")
    return missing


def _refuse_repeated_parts(part_paths: Sequence[str | Path]) -> None:
    seen: set[str] = set()
    for given in part_paths:
        resolved = os.path.realpath(given)
        if resolved in seen:
            raise ConfigError(f"part given twice: {given}")
        seen.add(resolved)


def merge_runs(part_paths: Sequence[str | Path], out: str | Path) -> RunDir:
    """Check that the parts are the shards 0..N-1 of one config, then join them in order into
    `out` (empty or new, or holding the very files this merge writes)."""
    if not part_paths:
        raise ConfigError("no parts given")
    _refuse_repeated_parts(part_paths)
    refuse_output_over_inputs(out, part_paths)
    parts = [RunDir(Path(p)) for p in part_paths]
    for part in parts:
        part.read_config()  # a clear error for a path that is not a run directory
    target = RunDir(Path(out))
    with ExitStack() as locks:
        for part in parts:
            locks.enter_context(part.lock("evalkit merge"))
        locks.enter_context(target.lock("evalkit merge"))
        configs = _check_parts(parts)
        sources = _merged_sources(configs)
        target.refuse_foreign_files()
        to_write = _files_to_write(target, sources)
        merged_config = {key: value for key, value in configs[0][1].items()
                         if key not in ("shard", "changes", RERANKED_KEY)}
        # how the parts were reranked carries over where every part agrees (scorer by scorer)
        notes = [reranked(config, source=str(part.config_path)) for part, config in configs]
        agreed = {scorer: note for scorer, note in notes[0].items() if all(other.get(scorer) == note
                                                                          for other in notes[1:])}
        if agreed:
            merged_config[RERANKED_KEY] = agreed
        merged_config["num_problems"] = sum(config.get("num_problems", 0) for _, config in configs)
        merged_config["merged_from"] = [str(part.path) for part, _ in configs]
        fresh = target.claim(yaml.safe_dump(merged_config, sort_keys=False, allow_unicode=True),
                             merged_config["config_hash"])
        try:
            for name in to_write:
                write_lines_atomic(target.path / name, _joined_lines(sources[name], MERGED_FILES[name]))
        except BaseException:
            if fresh:
                for name in MERGED_FILES:
                    (target.path / name).unlink(missing_ok=True)
                target.release_claim()
            raise
    return target
