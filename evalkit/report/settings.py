"""Which settings a run's report uses: the ones given now, else the run's own, else the defaults.

A run records its report settings in `config.yaml` (`report:` ks, top_clusters, confidence,
resamples, seed), and `evalkit rerank` records there the clusters SCR kept when it scored
(`reranked`, `evalkit.store.RunDir.record_rerank`): that K is the run's own for the scorer that
made it, ahead of `report.top_clusters`, since it is the K the scores were made for. Every command
that computes a run's metrics after the fact (`evalkit report`, `evalkit rerank`, `evalkit run` on
a finished run, a leaderboard recomputing a stale run) resolves its settings here, so that the
same run never gets two different `scr@n` figures because one command forgot the run's K.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.errors import ConfigError
from evalkit.metrics import DEFAULT_SUBSETS, DEFAULT_TOP_CLUSTERS, default_ks
from evalkit.store.rundir import reranked_top_clusters
from evalkit.store.scores import scored_top_clusters

DEFAULT_CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
REPORT_SECTION = "report"


@dataclass(frozen=True)
class ReportSettings:
    """How a run's metrics are computed: ks (None: powers of two up to n, and n), the clusters SCR
    keeps, the seed of the k-subsets and the bootstrap, subsets per problem, CI level, resamples."""

    ks: tuple[int, ...] | None = None
    top_clusters: int = DEFAULT_TOP_CLUSTERS
    seed: int = DEFAULT_SEED
    subsets: int = DEFAULT_SUBSETS
    confidence: float = DEFAULT_CONFIDENCE
    resamples: int = DEFAULT_RESAMPLES

    def __post_init__(self) -> None:
        if self.top_clusters < 1:
            raise ConfigError(f"top_clusters must be 1 or more, got {self.top_clusters}")
        if self.subsets < 1:
            raise ConfigError(f"subsets must be 1 or more, got {self.subsets}")
        if self.resamples < 1:
            raise ConfigError(f"resamples must be 1 or more, got {self.resamples}")
        if not 0.0 < self.confidence < 1.0:
            raise ConfigError(f"confidence must lie strictly between 0 and 1, got {self.confidence}")
        if self.ks is not None and (not self.ks or min(self.ks) < 1):
            raise ConfigError(f"ks must be integers >= 1, got {list(self.ks)}")

    def ks_for(self, num_samples: int) -> list[int]:
        """The ks reported for a run of `num_samples` per problem when none are asked for: those of
        `ks` it can report, and n in place of those larger than n; else the defaults (powers of two up to
        n, and n)."""
        asked = sorted(set(self.ks or ()))
        if not asked:
            return default_ks(num_samples)
        usable = [k for k in asked if k <= num_samples]
        if len(usable) < len(asked):  # a k larger than n is reported at n: maj@n and the leaderboards need it
            usable = sorted(set(usable) | {num_samples})
        return usable

    def ks_left_out(self, num_samples: int) -> list[int]:
        """The ks asked for (`ks`) that a run of `num_samples` per problem cannot report."""
        return [k for k in sorted(set(self.ks or ())) if k > num_samples]

    def record(self, ks: Sequence[int]) -> dict[str, Any]:
        """The `settings` entry of a `metrics.json` computed with these settings at `ks`."""
        return {"ks": list(ks), "top_clusters": self.top_clusters, "seed": self.seed, "subsets": self.subsets,
                "confidence": self.confidence, "resamples": self.resamples}

    @classmethod
    def for_run(cls, config: Mapping[str, Any], *, ks: Sequence[int] | None = None, top_clusters: int | None = None,
                seed: int | None = None, subsets: int | None = None, confidence: float | None = None,
                resamples: int | None = None, scorer: str | None = None,
                source: str = "config.yaml") -> ReportSettings:
        """The settings given here (not None), else the run config's own, else the defaults. The run's own
        K is the one `scorer` (None: the only scorer that reranked the run) was reranked with, else
        `report.top_clusters`."""
        recorded = config.get(REPORT_SECTION) or {}
        if not isinstance(recorded, Mapping):
            raise ConfigError(f"{source}: field '{REPORT_SECTION}': expected a mapping")

        def pick(name: str, given: Any, kind: type, default: Any) -> Any:
            if given is not None:
                return given
            value = recorded.get(name)
            if value is None:
                return default
            if isinstance(value, bool) or not isinstance(value, (kind, int) if kind is float else kind):
                raise ConfigError(f"{source}: field '{REPORT_SECTION}.{name}': expected {kind.__name__}, "
                                  f"got {value!r}")
            return value

        chosen_ks = ks if ks is not None else recorded.get("ks")
        if chosen_ks is not None:
            if not isinstance(chosen_ks, Sequence) or isinstance(chosen_ks, str) or not all(
                    isinstance(k, int) and not isinstance(k, bool) for k in chosen_ks):
                raise ConfigError(f"{source}: field '{REPORT_SECTION}.ks': expected a list of integers, "
                                  f"got {chosen_ks!r}")
            chosen_ks = tuple(sorted(set(chosen_ks)))
        if top_clusters is None:
            top_clusters = reranked_top_clusters(config, scorer, source=source)
        return cls(ks=chosen_ks,
                   top_clusters=pick("top_clusters", top_clusters, int, DEFAULT_TOP_CLUSTERS),
                   seed=pick("seed", seed, int, DEFAULT_SEED),
                   subsets=subsets if subsets is not None else DEFAULT_SUBSETS,
                   confidence=float(pick("confidence", confidence, float, DEFAULT_CONFIDENCE)),
                   resamples=pick("resamples", resamples, int, DEFAULT_RESAMPLES))


def unscored_clusters_note(top_clusters: int, scorer: str | None, selections: Sequence[str],
                           not_reported: Iterable[str] | None = None) -> str | None:
    """One sentence when SCR is asked to keep more clusters than `scorer`'s scoring passes (their
    `selections`) ever scored and, when `not_reported` (metric names) is given, scr@k or wscr@k is among
    them (every problem may have no more clusters than were scored); None otherwise."""
    scored = scored_top_clusters(selections)
    if scorer is None or scored is None or top_clusters <= scored:
        return None
    if not_reported is not None and not any(name.startswith(("scr@", "wscr@")) for name in not_reported):
        return None
    return (f"SCR is asked to keep K = {top_clusters} clusters, but '{scorer}' scored the samples of the top "
            f"{scored} only ({', '.join(selections)}), so scr@k and wscr@k are not reported: score them with "
            f"evalkit rerank RUN --top-k {top_clusters}, or report with --top-clusters {scored}")
