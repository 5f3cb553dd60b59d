"""Rich consoles for the CLI: tables as wide as they need when output goes to a file or pipe."""

from __future__ import annotations

import sys

from rich.console import Console

#: Width of tables written to a file or pipe (a terminal uses its own width).
PIPE_WIDTH = 200


def console(stderr: bool = False) -> Console:
    """A Console on stdout (or stderr); not a terminal: no colour, PIPE_WIDTH columns."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=PIPE_WIDTH, no_color=True, highlight=False)
