"""The `evalkit` console script. The command line's modules load inside its interrupt handling, so that Ctrl-C
while they load (the first second or two of any command) ends with one line and status 130, as Ctrl-C does
later, not with a traceback from deep inside an import."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from evalkit.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted while starting: nothing was done\n")
        raise SystemExit(130) from None
    cli_main()
