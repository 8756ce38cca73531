"""What one batch of requests to an HTTP server has seen: whether the server can still be
reached, and the retries so far, told in a few lines rather than one line per retry.

- Reachability: a request that cannot even connect (connection refused, unknown or unreachable
  host, connect timeout) counts against the server, and so does one turned away with HTTP 502,
  503 or 504 (a proxy or load balancer in front of a server that is down or restarting, or a
  server not ready to serve); any other HTTP answer (a success, another error status, a
  malformed reply) clears the count. The server is taken to be unreachable after
  `min_failures` such failures in a row when it has not answered once yet (nothing is there:
  no use waiting), or, once it has answered, after `min_failures` failures in a row spread over
  at least `after_s` seconds (it went away and did not come back). A server that answers some
  requests and refuses others (a full connection backlog) is never unreachable. The verdict,
  once given, stands: a request that fails after it gets the same error, so the stream stops
  with one message whichever of its requests is collected first.
- Retries: the first retry is told at once, in one line; later ones are counted and told in one
  summary line at most every `report_every_s` seconds ("retrying: 12 requests failed in the last
  10 s (8 cannot connect, 4 HTTP 503); latest: ..."), and what is left at the end by `flush`.

All methods run on one event loop's thread (no locking); `clock` is injectable for tests.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console

from evalkit.text_safety import for_terminal


@dataclass(frozen=True)
class UnreachablePolicy:
    """When connect failures mean the server is gone (see the module docstring)."""

    min_failures: int = 6
    after_s: float = 30.0

    def unreachable(self, failures: int, failing_for_s: float, ever_answered: bool) -> bool:
        if failures < self.min_failures:
            return False
        return not ever_answered or failing_for_s >= self.after_s


class ServerWatch:
    """Reachability and retry reporting for the requests of one stream (module docstring)."""

    def __init__(self, server: str, console: Console, *, policy: UnreachablePolicy = UnreachablePolicy(),
                 report_every_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.server = server
        self.console = console
        self.policy = policy
        self.report_every_s = report_every_s
        self.clock = clock
        self.ever_answered = False
        self.unserved_in_a_row = 0  # requests in a row that got no service (connect failures, 502/503/504)
        self._streak_kinds: set[str] = set()
        self._failing_since: float | None = None
        self._verdict: str | None = None  # the unreachable error, once given
        # Retries not told yet, and when the last line was printed.
        self._untold: Counter[str] = Counter()
        self._untold_since: float | None = None
        self._latest = ""
        self._last_line: float | None = None

    # -- reachability -------------------------------------------------------------------------

    def answered(self) -> None:
        """The server sent an HTTP answer (anything but a 502/503/504)."""
        self.ever_answered = True
        self.unserved_in_a_row = 0
        self._streak_kinds.clear()
        self._failing_since = None

    def connect_failed(self, detail: str) -> str | None:
        """Count a request that could not connect; the error to stop with when the server now
        counts as unreachable, else None."""
        return self._not_served("could not connect", detail)

    def turned_away(self, detail: str) -> str | None:
        """Count a request answered with HTTP 502, 503 or 504 (the server, or a proxy in front of
        it, is not serving); the error to stop with when the server now counts as unreachable."""
        return self._not_served("were turned away with HTTP 502/503/504", detail)

    def _not_served(self, kind: str, detail: str) -> str | None:
        if self._verdict is not None:
            return self._verdict
        now = self.clock()
        self._streak_kinds.add(kind)
        if self._failing_since is None:
            self._failing_since = now
        self.unserved_in_a_row += 1
        failing_for = now - self._failing_since
        if not self.policy.unreachable(self.unserved_in_a_row, failing_for, self.ever_answered):
            return None
        if self.ever_answered:
            when = f"over {failing_for:.0f} s since it last answered"
        else:
            when = "and it has not answered once" if self._streak_kinds == {"could not connect"} else \
                "and it has not served a request yet"
        what = " or ".join(sorted(self._streak_kinds))
        self._verdict = (f"the server at {self.server} is unreachable: {self.unserved_in_a_row} requests in a row {what} "
                f"{when} (last: {detail}). Check that it is running and that base_url is right, "
                "then run the same command again to resume.")
        return self._verdict

    # -- retry lines --------------------------------------------------------------------------

    def retrying(self, label: str, attempt: int, max_retries: int, delay: float, kind: str, detail: str) -> None:
        """One request failed with a transient error (`kind`: a short name, e.g. "HTTP 503";
        `detail`: the full description) and will be sent again after `delay` seconds."""
        now = self.clock()
        if self._untold_since is None:
            self._untold_since = now
        self._untold[kind] += 1
        # past max_retries while the server is down, attempts go on until it is deemed unreachable: no "33/4"
        tried = f"attempt {attempt}/{max_retries + 1} failed" if attempt <= max_retries + 1 else \
            f"attempt {attempt} failed, waiting for the server to come back"
        self._latest = f"{label} in {delay:.1f} s ({tried}): {detail}"
        if self._last_line is None or now - self._last_line >= self.report_every_s:
            self._tell(now)

    def flush(self) -> None:
        """Tell the retries not told yet, if any."""
        if self._untold:
            self._tell(self.clock())

    def _tell(self, now: float) -> None:
        count = sum(self._untold.values())
        if count == 1:
            line = f"[yellow]retrying[/] {for_terminal(self._latest, keep_newlines=False)}"
        else:
            kinds = ", ".join(f"{number} {kind}" for kind, number in self._untold.most_common())
            since = now - (self._untold_since if self._untold_since is not None else now)
            line = (f"[yellow]retrying:[/] {count} requests failed in the last {since:.1f} s "
                    f"({for_terminal(kinds, keep_newlines=False)}); latest: "
                    f"{for_terminal(self._latest, keep_newlines=False)}")
        self.console.print(line, highlight=False)
        self._untold.clear()
        self._untold_since = None
        self._last_line = now
