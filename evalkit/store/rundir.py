"""Reading and writing a run directory.

Layout (one JSON line per problem, in problem order, appended as each problem completes):
- `config.yaml`   the resolved config and its `config_hash` (plus `shard` for a part of a run: its
                  index and count, and the length and sha256 of the whole problem list it is cut from; and
                  `inputs`: the size and sha256 of input files whose content decides the samples
                  but whose path alone is in the config, e.g. a replay file)
- `samples.jsonl` `{"problem_id", "task", "question", "reference", "meta", "samples": [...]}`
- `graded.jsonl`  `{"problem_id", "answers", "clusters", "correct", "reasons"}`
- `scores.jsonl`  `{"problem_id", "scorer", "selection", "scores"}`, appended per scoring pass, and a
                  `{"problem_id", "reset"}` line when a problem is sampled anew (read and written
                  through `evalkit.store.scores`)
- `metrics.json`, `report.md`, `metrics.csv`, `accuracy_vs_k.png`

`config.yaml` also records how the run was reranked (`reranked`: per scorer, the method and the
clusters SCR kept, `record_rerank`), so that a later report uses the K that was scored
(`reranked_top_clusters`).

Appends are flushed per line (and fsynced at least every second); a line cut short by a
killed process is dropped when the file is next opened for appending, so a resumed run neither
loses a finished problem nor duplicates one. `samples.jsonl` is appended in the order problems
finish and put in problem order once the run's last problem is in (`order_samples`), so the
finished file does not depend on timing, interruptions or resumes.

One process at a time works in a run directory (`lock`, see `evalkit.store.lock`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import ConfigError, InputError, disk_error
from evalkit.hashing import sha256_of
from evalkit.jsonl import (
    JsonlAppender,
    cut_short_tail,
    drop_records,
    iter_jsonl,
    iter_keys,
    leading_value,
    reorder_jsonl,
    write_lines_atomic,
)
from evalkit.paths import file_in_the_way
from evalkit.records import Problem, Sample
from evalkit.store.lock import LOCK_FILE, RunLock

CONFIG_FILE = "config.yaml"
SAMPLES_FILE = "samples.jsonl"
GRADED_FILE = "graded.jsonl"
SCORES_FILE = "scores.jsonl"
METRICS_FILE = "metrics.json"
INPUTS_KEY = "inputs"
RERANKED_KEY = "reranked"
# Keys of config.yaml that are bookkeeping, not settings: not compared between invocations
# (the fingerprints under `inputs` are compared on their own, see `RunDir.claim`).
BOOKKEEPING_KEYS = frozenset({"config_hash", "changes", "shard", "merged_from", INPUTS_KEY, RERANKED_KEY})
# Bookkeeping that a resume with new settings keeps (the new config text does not carry it).
KEPT_ON_RESUME = ("merged_from", RERANKED_KEY)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` -> `{"a.b": 1}` (lists and scalars are leaves)."""
    if isinstance(data, dict) and data:
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: data}


def config_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """`{"dotted.key": [old, new]}` for every setting that differs (bookkeeping keys left out)."""
    before = flatten({k: v for k, v in old.items() if k not in BOOKKEEPING_KEYS})
    after = flatten({k: v for k, v in new.items() if k not in BOOKKEEPING_KEYS})
    return {key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)}


MAX_NAMED_DIFFERENCES = 5


def _differences(stored: dict[str, Any], config_text: str,
                 sample_settings: Callable[[dict[str, Any]], dict[str, Any] | None] | None) -> str:
    """`; it differs in sampling.n (8 on disk, 4 now), ...`: the sample-deciding settings that
    differ between a stored config and a new one ("" when they cannot be told)."""
    if sample_settings is None:
        return ""
    new = yaml.safe_load(config_text)
    before = sample_settings(stored)
    after = sample_settings(new) if isinstance(new, dict) else None
    if before is None or after is None:
        return ""
    changed = config_changes(before, after)
    if not changed:
        return ""
    named = [f"{key} ({old!r} on disk, {now!r} now)"
             for key, (old, now) in list(changed.items())[:MAX_NAMED_DIFFERENCES]]
    more = f" and {len(changed) - MAX_NAMED_DIFFERENCES} more" if len(changed) > MAX_NAMED_DIFFERENCES else ""
    return f"; it differs in {', '.join(named)}{more}"


def reranked(config: dict[str, Any], *, source: str = CONFIG_FILE) -> dict[str, dict[str, Any]]:
    """The `reranked` record of a run's config: scorer name -> `{"method", "top_clusters"}` of its
    latest `evalkit rerank` ({} when never reranked); a malformed record is one `ConfigError`."""
    notes = config.get(RERANKED_KEY)
    if notes is None:
        return {}
    if not isinstance(notes, dict):
        raise ConfigError(f"{source}: field '{RERANKED_KEY}': expected a mapping of scorer names")
    for scorer, note in notes.items():
        top_clusters = note.get("top_clusters") if isinstance(note, dict) else None
        if not isinstance(top_clusters, int) or isinstance(top_clusters, bool) or top_clusters < 1:
            raise ConfigError(f"{source}: field '{RERANKED_KEY}.{scorer}.top_clusters': expected an integer >= 1, "
                              f"got {top_clusters!r}")
    return {str(scorer): note for scorer, note in notes.items()}


def reranked_top_clusters(config: dict[str, Any], scorer: str | None, *, source: str = CONFIG_FILE) -> int | None:
    """The clusters SCR kept when `scorer` reranked the run (with `scorer` None: the only scorer that
    did), or None when it was not reranked (or several scorers were and none is named)."""
    notes = reranked(config, source=source)
    if scorer is None:
        if len(notes) != 1:
            return None
        return next(iter(notes.values()))["top_clusters"]
    note = notes.get(scorer)
    return None if note is None else note["top_clusters"]


@dataclass(frozen=True)
class Shard:
    """Part `index` (0-based) of `count` contiguous parts of the problem list.

    `whole_problems` and `whole_sha256` describe the whole list the part was cut from (its length
    and `problems_sha256`), so that `evalkit merge` can refuse parts cut from different data; they
    are recorded in config.yaml, but a resume matches parts by index and count alone (`RunDir.claim`)."""

    index: int = 0
    count: int = 1
    whole_problems: int | None = None
    whole_sha256: str | None = None

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`"i/N"` with 0 <= i < N."""
        try:
            index_text, count_text = text.split("/")
            shard = cls(int(index_text), int(count_text))
        except ValueError:
            raise ConfigError(f"--shard '{text}': expected i/N, e.g. 0/4") from None
        if shard.count < 1 or not 0 <= shard.index < shard.count:
            raise ConfigError(f"--shard '{text}': need 0 <= i < N")
        return shard

    def select(self, items: list[Any]) -> list[Any]:
        """This shard's contiguous block; concatenating shards 0..N-1 gives `items` back."""
        start = len(items) * self.index // self.count
        stop = len(items) * (self.index + 1) // self.count
        return items[start:stop]

    def cut_from(self, problems: Sequence[Problem]) -> Shard:
        """This part, recording the whole problem list it is cut from."""
        return replace(self, whole_problems=len(problems), whole_sha256=problems_sha256(problems))

    def to_dict(self) -> dict[str, Any]:
        part: dict[str, Any] = {"index": self.index, "count": self.count}
        if self.whole_sha256 is not None:
            part.update(whole_problems=self.whole_problems, whole_sha256=self.whole_sha256)
        return part


def problems_sha256(problems: Sequence[Problem]) -> str:
    """The SHA-256 of a problem list's ids, questions and references, in order."""
    return sha256_of(json.dumps([problem.id, problem.question, problem.reference], ensure_ascii=False).encode("utf-8")
                     + b"\n" for problem in problems)


@dataclass(frozen=True)
class StoredProblem:
    """Where and how one problem is stored in `samples.jsonl` (its samples left unread)."""

    line: int
    problem_id: str
    question: str | None
    reference: str | None
    config_hash: str | None = None
    """The config hash the line was stamped with when sampled; None for a line written before stamps."""


def changed_inputs(stored: Any, current: Any) -> list[str]:
    """The names of the input files whose recorded fingerprint (`inputs` in config.yaml) differs
    between a stored config and the current one; an input recorded on one side only is not
    compared (a run recorded before fingerprints existed, or a file that is gone now)."""
    if not isinstance(stored, dict) or not isinstance(current, dict):
        return []

    def content(fingerprint: Any) -> tuple[Any, Any] | None:
        return (fingerprint.get("size"), fingerprint.get("sha256")) if isinstance(fingerprint, dict) else None

    return sorted(name for name, fingerprint in current.items()
                  if content(fingerprint) is not None and content(stored.get(name)) is not None
                  and content(stored[name]) != content(fingerprint))


def _refuse_non_text(data: dict[str, Any], path: Path | None, line: int | None) -> None:
    """Refuse a `samples.jsonl` line whose question, reference or sample texts are not strings
    (a `null` reference would otherwise be graded against the text "None")."""
    for name in ("question", "reference"):
        value = data.get(name, "")
        if not isinstance(value, str):
            raise InputError(f"expected a string, got {json.dumps(value)[:40]}", path=path, line=line, field=name)
    raw_samples = data.get("samples")
    for position, item in enumerate(raw_samples if isinstance(raw_samples, list) else []):
        if not isinstance(item, dict):
            raise InputError(f"expected an object, got {json.dumps(item)[:40]}", path=path, line=line,
                             field=f"samples[{position}]")
        if "text" in item and not isinstance(item["text"], str):
            raise InputError(f"expected a string, got {json.dumps(item['text'])[:40]}", path=path, line=line,
                             field=f"samples[{position}].text")


def samples_digest(item: "ProblemSamples") -> str:
    """A digest of what a problem's grades depend on: its reference, its question and each sample's text
    and finish reason (a samples line rewritten since its grades were made has another)."""
    content = [item.problem.reference, item.problem.question,
               [[sample.text, sample.finish_reason] for sample in item.samples]]
    return hashlib.sha256(json.dumps(content, ensure_ascii=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ProblemSamples:
    """One line of `samples.jsonl`: a problem and its samples. `rejected` holds why the backend
    refused the problem's prompt, when the run records such problems (`rejected_prompts:
    record`): its samples are then empty texts with finish reason `rejected`."""

    problem: Problem
    samples: list[Sample]
    rejected: str | None = None
    config_hash: str | None = None
    """The hash of the config that sampled them, written after the reference so that a resume reads it from the
    start of the line and refuses a line of another config's run (copied in by hand)."""

    def to_dict(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "problem_id": self.problem.id,
            "task": self.problem.task,
            "question": self.problem.question,
            "reference": self.problem.reference,
        }
        if self.config_hash is not None:
            line["config_hash"] = self.config_hash
        line |= {
            "meta": self.problem.meta,
            "samples": [
                {key: value for key, value in sample.to_dict().items() if key != "problem_id"}
                for sample in self.samples
            ],
        }
        if self.rejected is not None:
            line["rejected"] = self.rejected
        return line

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, path: Path | None = None, line: int | None = None) -> ProblemSamples:
        _refuse_non_text(data, path, line)
        try:
            problem = Problem(
                id=str(data["problem_id"]), task=str(data.get("task", "")), question=str(data.get("question", "")),
                reference=str(data["reference"]), meta=dict(data.get("meta") or {}),
            )
            raw_samples = data["samples"]
            if not isinstance(raw_samples, list):
                raise InputError("expected a list", path=path, line=line, field="samples")
            samples = [
                Sample.from_dict({"index": position, **item, "problem_id": problem.id})
                for position, item in enumerate(raw_samples)
            ]
            rejected = data.get("rejected")
            if rejected is not None and not isinstance(rejected, str):
                raise InputError("expected a string", path=path, line=line, field="rejected")
            config_hash = data.get("config_hash")
            if config_hash is not None and not isinstance(config_hash, str):
                raise InputError("expected a string", path=path, line=line, field="config_hash")
        except KeyError as missing:
            raise InputError("missing", path=path, line=line, field=str(missing.args[0])) from None
        except (TypeError, ValueError) as error:
            raise InputError(f"malformed sample record ({error})", path=path, line=line, field="samples") from None
        return cls(problem, samples, rejected, config_hash)


@dataclass(frozen=True)
class ProblemGrades:
    """One line of `graded.jsonl`: the grades of one problem's samples."""

    problem_id: str
    answers: list[str | None]
    clusters: list[int]
    correct: list[bool]
    reasons: list[str]
    samples_digest: str | None = None
    """`samples_digest` of the samples line these grades were made from (None in grades written before
    it was recorded): grades of samples that changed since are stale, and are made again."""

    def to_dict(self) -> dict[str, Any]:
        line = {
            "problem_id": self.problem_id, "answers": self.answers, "clusters": self.clusters,
            "correct": self.correct, "reasons": self.reasons,
        }
        if self.samples_digest is not None:
            line["samples_digest"] = self.samples_digest
        return line

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, path: Path | None = None, line: int | None = None) -> ProblemGrades:
        def listed(name: str, kind: str, accepts: Callable[[Any], bool]) -> list[Any]:
            value = data[name]
            if not isinstance(value, list):
                raise InputError(f"expected a list of {kind}, got {type(value).__name__}", path=path, line=line,
                                 field=name)
            wrong = next((index for index, item in enumerate(value) if not accepts(item)), None)
            if wrong is not None:
                raise InputError(f"item {wrong}: expected {kind}, got {type(value[wrong]).__name__}", path=path,
                                 line=line, field=name)
            return value

        try:
            grades = cls(
                problem_id=str(data["problem_id"]),
                answers=listed("answers", "strings or null", lambda item: item is None or isinstance(item, str)),
                clusters=listed("clusters", "integers", lambda item: isinstance(item, int) and not isinstance(item, bool)),
                correct=listed("correct", "true or false", lambda item: isinstance(item, bool)),
                reasons=listed("reasons", "strings", lambda item: isinstance(item, str)),
                samples_digest=str(data["samples_digest"]) if data.get("samples_digest") is not None else None,
            )
        except KeyError as missing:
            raise InputError("missing", path=path, line=line, field=str(missing.args[0])) from None
        sizes = {len(grades.answers), len(grades.clusters), len(grades.correct), len(grades.reasons)}
        if len(sizes) != 1:
            raise InputError("answers, clusters, correct and reasons differ in length", path=path, line=line)
        return grades


@dataclass
class RunDir:
    """A run directory on disk (see the module docstring for its layout)."""

    path: Path
    _config_cache: dict[str, Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def samples_path(self) -> Path:
        return self.path / SAMPLES_FILE

    @property
    def graded_path(self) -> Path:
        return self.path / GRADED_FILE

    @property
    def scores_path(self) -> Path:
        return self.path / SCORES_FILE

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS_FILE

    def read_config(self) -> dict[str, Any]:
        if not self.config_path.exists():
            raise InputError(f"not a run directory (no {CONFIG_FILE})", path=self.path)
        try:
            data = yaml.safe_load(self.config_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)  # PyYAML's own message spans several lines
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise InputError(f"not valid YAML ({problem})", path=self.config_path,
                             line=mark.line + 1 if mark is not None else None) from None
        if not isinstance(data, dict):
            raise InputError("expected a mapping", path=self.config_path)
        return data

    def lock(self, purpose: str = "") -> RunLock:
        """An exclusive lock on this directory (a context manager); a second holder is refused
        with a message naming the process that holds it. A file where the directory (or a folder
        above it) would go is refused first, in one line."""
        in_the_way = file_in_the_way(self.path)
        if in_the_way is not None:
            raise InputError(f"{in_the_way}: choose another --out (a new or empty directory); nothing was written",
                             path=self.path)
        return RunLock(self.path, purpose)

    def _write_config(self, text: str) -> None:
        write_lines_atomic(self.config_path, [text])
        self._config_cache = None

    def _leftovers(self) -> list[str]:
        """Files in the directory other than the lock and temporary files of interrupted writes."""
        if not self.path.exists():
            return []
        return sorted(p.name for p in self.path.iterdir()
                      if p.name != LOCK_FILE and not (p.name.startswith(".") and p.name.endswith(".tmp")))

    def held_files(self) -> list[str]:
        """The names of the files this directory holds besides its config, lock and temporary files."""
        return [name for name in self._leftovers() if name != CONFIG_FILE]

    def refuse_foreign_files(self) -> None:
        """Refuse a directory that holds files but no run config (it is not a run directory)."""
        if self.config_path.exists():
            return
        leftovers = self._leftovers()
        if leftovers:
            raise ConfigError(f"{self.path} is not empty and has no {CONFIG_FILE} ({', '.join(leftovers[:5])}); "
                              "refusing to write a run into it")

    def claim(self, config_text: str, config_hash: str, shard: Shard | None = None, *,
              rehash: Callable[[dict[str, Any]], str | None] | None = None,
              sample_settings: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
              check_stored: Callable[[], object] | None = None) -> bool:
        """Make this directory the home of one config, or check that it already is.

        Returns True when the directory was new. Refuses a directory that holds a run of a
        different config (or a different shard of it), so samples of two configs never mix.
        When the config hash matches but other settings differ (a longer timeout, a new
        server address), the new settings replace the old in `config.yaml` and the change is
        recorded under `changes`. `rehash` computes the hash of the stored config by today's
        rule, so a run recorded under an older hash rule is recognised too; `sample_settings` gives
        the settings of a config that its hash covers, so that a refusal names those that differ;
        `check_stored` checks the stored lines of a run of this config before its input fingerprints are
        compared (a refusal that names the line that differs says more than one that names the file).
        """
        if self.config_path.exists():
            existing = self.read_config()
            stored_hash = existing.get("config_hash")
            if stored_hash != config_hash and (rehash is None or rehash(existing) != config_hash):
                raise ConfigError(
                    f"{self.path} holds a run of a different config (config_hash "
                    f"{stored_hash} on disk, {config_hash} now{_differences(existing, config_text, sample_settings)})."
                    " Use another --out directory, or restore the config that made this run to resume it."
                )
            if check_stored is not None:
                check_stored()
            self._refuse_changed_inputs(existing, config_text)
            wanted = shard or Shard()
            held = existing.get("shard", Shard().to_dict())
            held_index, held_count = (held.get("index"), held.get("count")) if isinstance(held, dict) else (None, None)
            if (held_index, held_count) != (wanted.index, wanted.count):
                raise ConfigError(f"{self.path} holds part {held_index}/{held_count} of this config's run, "
                                  f"not part {wanted.index}/{wanted.count}; pass the matching --shard")
            self._record_changes(existing, config_text, shard)
            return False
        self.refuse_foreign_files()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise disk_error(self.path, error) from None
        self._write_config(self._with_shard(config_text, shard))
        return True

    def config_hashes(self) -> tuple[str, ...]:
        """The hashes this run's config has had, the current one first (a hash rule changed since the run started
        is recorded under `changes`): a sampled line stamped with another is not this run's."""
        config = self.read_config() if self.config_path.exists() else {}
        hashes = [config.get("config_hash")]
        for change in config.get("changes") or []:
            if isinstance(change, dict) and isinstance(change.get("config_hash"), list):
                hashes.extend(change["config_hash"])
        return tuple(dict.fromkeys(value for value in hashes if isinstance(value, str)))

    def _refuse_changed_inputs(self, existing: dict[str, Any], config_text: str) -> None:
        """Refuse to resume when an input file recorded under `inputs` has other content now, unless no problem
        was sampled yet (a run stopped on the file before sampling any, and the file completed since: the new
        content is recorded as a change)."""
        if not self.samples_path.exists() or self.samples_path.stat().st_size == 0:
            return
        loaded = yaml.safe_load(config_text)
        current = loaded.get(INPUTS_KEY) if isinstance(loaded, dict) else None
        stored = existing.get(INPUTS_KEY)
        for name in changed_inputs(stored, current):
            before, now = stored[name], current[name]
            raise ConfigError(
                f"{self.path}: {now.get('file', 'the file')} ({name}) changed since the run started (size "
                f"{before.get('size')}, sha256 {str(before.get('sha256'))[:12]}… then; size {now.get('size')}, "
                f"sha256 {str(now.get('sha256'))[:12]}… now). Use another --out, or restore it to resume this "
                "run."
            )

    @staticmethod
    def _with_shard(config_text: str, shard: Shard | None) -> str:
        if shard is not None and shard.count > 1:
            config_text += yaml.safe_dump({"shard": shard.to_dict()})
        return config_text

    def _record_changes(self, existing: dict[str, Any], config_text: str, shard: Shard | None) -> None:
        """Write the new settings over the old ones, keeping a note of each change."""
        new_text = self._with_shard(config_text, shard)
        new = yaml.safe_load(new_text)
        if not isinstance(new, dict):
            return
        changed = config_changes(existing, new)
        stored_inputs = existing.get(INPUTS_KEY) if isinstance(existing.get(INPUTS_KEY), dict) else {}
        inputs = {**stored_inputs, **(new.get(INPUTS_KEY) or {})}  # a run from before fingerprints gets them
        if (not changed and existing.get("config_hash") == new.get("config_hash") and inputs == stored_inputs
                and existing.get("shard") == new.get("shard")):
            return
        if inputs:
            new[INPUTS_KEY] = inputs
        history = list(existing.get("changes") or [])
        if existing.get("config_hash") != new.get("config_hash"):
            changed["config_hash"] = [existing.get("config_hash"), new.get("config_hash")]
        if changed:
            history.append(changed)
        for key in KEPT_ON_RESUME:
            if existing.get(key) is not None:
                new.setdefault(key, existing[key])
        if history:
            new["changes"] = history
        self._write_config(yaml.safe_dump(new, sort_keys=False, allow_unicode=True))

    def record_rerank(self, scorer: str, method: str, top_clusters: int) -> None:
        """Note in `config.yaml` that `scorer` reranked this run with `method` keeping `top_clusters`
        clusters (the latest rerank of a scorer replaces its earlier note; other scorers' stay)."""
        config = self.read_config()
        reranked(config, source=str(self.config_path))  # refuse to build on a malformed record
        record = {"method": method, "top_clusters": int(top_clusters)}
        notes = dict(config.get(RERANKED_KEY) or {})
        if notes.get(scorer) == record:
            return
        notes[scorer] = record
        config[RERANKED_KEY] = notes
        self._write_config(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))

    def release_claim(self) -> None:
        """Undo a fresh `claim` of a run that wrote nothing: remove `config.yaml` (and an empty
        `samples.jsonl`), so that the directory can take another config."""
        if self.samples_path.exists() and self.samples_path.stat().st_size > 0:
            return
        for path in (self.samples_path, self.config_path):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        self._config_cache = None

    # --- samples -----------------------------------------------------------------
    def require_samples(self) -> None:
        """Refuse a run directory without `samples.jsonl` (nothing was sampled into it)."""
        if not self.samples_path.exists():
            raise InputError("no samples in this run directory", path=self.samples_path)

    def cut_short_samples_line(self) -> str | None:
        """What the last line of `samples.jsonl` is when an interrupted write cut it short (a crash, a
        full disk): `"problem 'ID', N bytes"` or `"N bytes"`; None when the file ends in a whole line.
        Readers skip such a line and the next sampling removes it, so its problem is sampled again."""
        tail = cut_short_tail(self.samples_path)
        if tail is None:
            return None
        problem_id = leading_value(tail, "problem_id")
        named = f"problem {problem_id!r}, " if isinstance(problem_id, str) and problem_id else ""
        return f"{named}{len(tail)} bytes"

    def damaged_samples_line(self, error: InputError) -> InputError:
        """`error` (a line of `samples.jsonl` that cannot be read) with the problem named when the
        start of the line gives it, and the way out: that line deleted, a resumed run samples its
        problem again (and grades it anew)."""
        problem_id = None
        if error.line is not None:
            with self.samples_path.open("rb") as handle:
                raw = next((raw for number, raw in enumerate(handle, start=1) if number == error.line), b"")
            problem_id = leading_value(raw, "problem_id")
        named = f" (problem {problem_id!r})" if isinstance(problem_id, str) and problem_id else ""
        damaged = InputError(f"{error}; this line{named} is damaged: delete it and run again to sample that problem "
                             "anew")
        damaged.path, damaged.line, damaged.field = error.path, error.line, error.field
        return damaged

    def iter_samples(self, expected: int | None = None) -> Iterator[ProblemSamples]:
        """Each problem of `samples.jsonl`; with `expected` (a sampled run's `n`), a line holding another
        number of samples is damaged (`damaged_samples_line`: delete it and run again)."""
        self.require_samples()
        seen: set[str] = set()
        records = iter_jsonl(self.samples_path, tolerate_partial_tail=True)
        while True:
            try:
                line, record = next(records)
                item = ProblemSamples.from_dict(record, path=self.samples_path, line=line)
                if expected is not None and len(item.samples) != expected:
                    raise InputError(f"holds {len(item.samples)} samples, but the run samples n = {expected}",
                                     path=self.samples_path, line=line, field="samples")
            except StopIteration:
                return
            except InputError as error:
                raise self.damaged_samples_line(error) from None
            if item.problem.id in seen:
                raise InputError(f"problem '{item.problem.id}' appears twice", path=self.samples_path, line=line)
            seen.add(item.problem.id)
            yield item

    def read_samples(self) -> list[ProblemSamples]:
        return list(self.iter_samples())

    def stored_problems(self) -> Iterator[StoredProblem]:
        """Each problem of `samples.jsonl` with its line, question, reference and config hash stamp, read from the
        start of each line (the samples are not parsed); a problem stored twice is refused."""
        for line, problem_id, (_task, question, reference, stamp) in self._problem_lines(
                self.samples_path, ("task", "question", "reference", "config_hash")):
            yield StoredProblem(line, problem_id, None if question is None else str(question),
                                None if reference is None else str(reference),
                                stamp if isinstance(stamp, str) else None)

    def sampled_ids(self) -> set[str]:
        """The ids of the sampled problems, read from the start of each line only."""
        return self._ids(self.samples_path)

    def _ids(self, path: Path) -> set[str]:
        return {problem_id for _, problem_id, _ in self._problem_lines(path, ())}

    def _problem_lines(self, path: Path, names: Sequence[str]) -> Iterator[tuple[int, str, tuple[Any, ...]]]:
        """`(line, problem id, values of names)` for each line of a per-problem file, read from the
        start of each line; a missing id or a problem listed twice is an `InputError` (a damaged
        line of `samples.jsonl` says how to sample its problem anew)."""
        if not path.exists():
            return
        seen: set[str] = set()
        rows = iter_keys(path, ("problem_id", *names), tolerate_partial_tail=True)
        while True:
            try:
                line, (problem_id, *values) = next(rows)
                if not isinstance(problem_id, (str, int)) or isinstance(problem_id, bool):
                    raise InputError("missing or not a string", path=path, line=line, field="problem_id")
            except StopIteration:
                return
            except InputError as error:
                raise (self.damaged_samples_line(error) if path == self.samples_path else error) from None
            problem_id = str(problem_id)
            if problem_id in seen:
                raise InputError(f"problem '{problem_id}' appears twice", path=path, line=line)
            seen.add(problem_id)
            yield line, problem_id, tuple(values)

    def order_samples(self, problem_ids: Sequence[str]) -> bool:
        """Put `samples.jsonl` in the order of `problem_ids` (which must list every problem in
        it), rewriting it atomically when it is not; True when it was rewritten."""
        return reorder_jsonl(self.samples_path, "problem_id", problem_ids)

    def samples_appender(self) -> JsonlAppender:
        return JsonlAppender(self.samples_path)

    # --- grades ------------------------------------------------------------------
    def iter_grades(self) -> Iterator[ProblemGrades]:
        if not self.graded_path.exists():
            raise InputError("not graded yet: run `evalkit grade-run RUN_DIR` first", path=self.graded_path)
        for line, record in iter_jsonl(self.graded_path, tolerate_partial_tail=True):
            yield ProblemGrades.from_dict(record, path=self.graded_path, line=line)

    def read_grades(self) -> list[ProblemGrades]:
        return list(self.iter_grades())

    def stale_grades(self) -> list[str]:
        """The problems whose grades were made from other samples than `samples.jsonl` holds now (their
        line was rewritten since; grades without a recorded digest are taken as current)."""
        if not self.graded_path.exists() or not self.samples_path.exists():
            return []
        recorded = {grades.problem_id: grades.samples_digest for grades in self.iter_grades()
                    if grades.samples_digest is not None}
        if not recorded:
            return []
        return [item.problem.id for item in self.iter_samples()
                if item.problem.id in recorded and recorded[item.problem.id] != samples_digest(item)]

    def graded_ids(self) -> set[str]:
        """The ids of the graded problems, read from the start of each line only."""
        return self._ids(self.graded_path)

    def drop_grades(self, problem_ids: Iterable[str]) -> int:
        """Remove the grades of these problems from `graded.jsonl` (rewritten atomically, only when it
        holds some): grades belong to the samples they were made from, so a problem sampled anew
        is graded anew. Returns how many problems' grades were dropped."""
        return drop_records(self.graded_path, "problem_id", problem_ids)

    def forget_scores(self, problem_ids: Iterable[str]) -> int:
        """Append a reset line to `scores.jsonl` for each of these problems that has score lines
        there (the file is append-only; see `evalkit.store.scores`): scores belong to the samples
        they were made from, so a problem sampled anew is scored anew. Returns how many problems."""
        from evalkit.store.scores import ScoresAppender

        wanted = set(problem_ids)
        if not wanted or not self.scores_path.exists():
            return 0
        mentioned = (str(problem_id) for _, (problem_id,) in
                     iter_keys(self.scores_path, ("problem_id",), tolerate_partial_tail=True))
        scored = [problem_id for problem_id in dict.fromkeys(mentioned) if problem_id in wanted]
        if scored:
            with ScoresAppender(self.scores_path) as appender:
                for problem_id in scored:
                    appender.reset(problem_id)
        return len(scored)

    def order_grades(self) -> bool:
        """Put `graded.jsonl` in the order of `samples.jsonl`, rewriting it atomically when it is
        not (problems graded while sampling was stopped come first otherwise); True when it was
        rewritten. The finished file then does not depend on when grading ran."""
        order = [problem_id for _, problem_id, _ in self._problem_lines(self.samples_path, ())]
        return reorder_jsonl(self.graded_path, "problem_id", order)

    def grades_appender(self) -> JsonlAppender:
        return JsonlAppender(self.graded_path)

