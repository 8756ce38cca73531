"""`ServerWatch` with a fake clock: when a server counts as unreachable, and how retries are told."""

from __future__ import annotations

from rich.console import Console

from evalkit.backends.server_watch import ServerWatch, UnreachablePolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _watch(clock: Clock, **policy) -> tuple[ServerWatch, Console]:
    console = Console(record=True, width=400, color_system=None)
    policy = UnreachablePolicy(**{"min_failures": 3, "after_s": 10.0, **policy})
    return ServerWatch("http://x/v1", console, policy=policy, report_every_s=10.0, clock=clock), console


def test_a_server_that_never_answered_is_unreachable_after_min_failures():
    clock = Clock()
    watch, _ = _watch(clock)
    assert watch.connect_failed("refused") is None
    assert watch.connect_failed("refused") is None
    message = watch.connect_failed("refused (last one)")
    assert message == ("the server at http://x/v1 is unreachable: 3 requests in a row could not connect and it has "
                       "not answered once (last: refused (last one)). Check that it is running and that base_url is "
                       "right, then run the same command again to resume.")



def test_the_unreachable_verdict_stands_for_the_requests_that_fail_after_it():
    # requests in flight fail after the verdict; each must stop with the same message, since the stream reports
    # whichever of them it collects first
    clock = Clock()
    watch, _ = _watch(clock)
    watch.connect_failed("refused")
    watch.connect_failed("refused")
    verdict = watch.connect_failed("refused (third)")
    assert verdict is not None and "3 requests in a row" in verdict
    clock.now = 5.0
    assert watch.turned_away("HTTP 502: later") == verdict
    assert watch.connect_failed("refused (fifth)") == verdict

def test_a_server_that_answered_gets_the_time_window():
    clock = Clock()
    watch, _ = _watch(clock)
    watch.answered()
    for _ in range(50):  # many failures at once: a blip, not yet a dead server
        assert watch.connect_failed("refused") is None
    clock.now = 9.9
    assert watch.connect_failed("refused") is None
    clock.now = 10.0
    assert "52 requests in a row could not connect over 10 s since it last answered" in watch.connect_failed("x")


def test_a_server_that_refuses_some_connections_but_answers_others_is_not_unreachable():
    clock = Clock()
    watch, _ = _watch(clock)
    for step in range(100):
        clock.now = float(step)
        assert watch.connect_failed("refused") is None
        if step % 2:
            watch.answered()  # another request got through
    # The count starts again after each answer: two failures in a row never reach three.
    assert watch.connect_failed("refused") is None


def test_requests_turned_away_with_502_to_504_count_like_connect_failures():
    clock = Clock()
    watch, _ = _watch(clock)
    watch.answered()
    assert watch.turned_away("HTTP 503: upstream down") is None
    watch.answered()  # another request was served: the count starts again
    assert watch.turned_away("HTTP 502: bad gateway") is None
    assert watch.connect_failed("refused") is None
    clock.now = 10.0
    assert watch.turned_away("HTTP 504: gateway timeout") == (
        "the server at http://x/v1 is unreachable: 3 requests in a row could not connect or were turned away with "
        "HTTP 502/503/504 over 10 s since it last answered (last: HTTP 504: gateway timeout). Check that it is running "
        "and that base_url is right, then run the same command again to resume.")


def test_the_time_window_needs_min_failures_too():
    clock = Clock()
    watch, _ = _watch(clock, min_failures=5)
    watch.answered()
    assert watch.connect_failed("refused") is None
    clock.now = 100.0
    for _ in range(3):
        assert watch.connect_failed("refused") is None
    assert watch.connect_failed("refused") is not None


def test_retries_are_told_once_then_summarized_at_most_every_interval():
    clock = Clock()
    watch, console = _watch(clock)
    watch.retrying("problem a", 1, 5, 1.5, "HTTP 503", "HTTP 503: busy")
    for step in range(1, 9):
        clock.now = step
        watch.retrying(f"problem {step}", 1, 5, 0.5, "cannot connect" if step % 4 else "HTTP 503",
                       "cannot connect (ConnectionRefusedError: [Errno 111] Connection refused)")
    assert console.export_text(clear=False).splitlines() == [
        "retrying problem a in 1.5 s (attempt 1/6 failed): HTTP 503: busy"]
    clock.now = 11.0
    watch.retrying("problem [red]z[/]\x1b[2J", 2, 5, 2.0, "cannot connect", "cannot connect (refused)")
    clock.now = 12.0
    watch.retrying("problem y", 3, 5, 4.0, "no answer in time", "no answer within 600 s")
    watch.flush()
    watch.flush()  # nothing left to tell
    assert console.export_text().splitlines() == [
        "retrying problem a in 1.5 s (attempt 1/6 failed): HTTP 503: busy",
        ("retrying: 9 requests failed in the last 10.0 s (7 cannot connect, 2 HTTP 503); latest: "
         "problem [red]z[/]\\x1b[2J in 2.0 s (attempt 2/6 failed): cannot connect (refused)"),
        "retrying problem y in 4.0 s (attempt 3/6 failed): no answer within 600 s",
    ]


def test_a_retry_past_max_retries_while_the_server_is_down_does_not_print_33_of_4():
    console = Console(record=True, width=400)
    watch = ServerWatch("http://localhost:1", console=console, clock=lambda: 0.0)
    watch.retrying("problem a", 33, 3, 2.0, "could not connect", "cannot connect (refused)")
    watch.flush()
    shown = console.export_text()
    assert "attempt 33 failed, waiting for the server to come back" in shown and "33/4" not in shown
