"""`labforge`: run the command line; a problem with the input is one line per problem and exit 1,
never a traceback; SIGTERM (a CI cancel) unwinds like Ctrl-C."""

from __future__ import annotations

import signal
import sys

import typer

from ..core.errors import LabforgeError, Problem
from . import base, catalog, demo, hub, project, release, runtime, tool  # noqa: F401 -- they register their commands
from .app import app
from .output import fail


def _cancelled(signum, _frame) -> None:
    """SIGTERM (what a CI job cancel sends) unwinds like Ctrl-C: every `finally` runs, so child
    tools are stopped (process.stop) and temporary directories removed."""
    print(f"labforge: cancelled ({signal.Signals(signum).name}): stopping and cleaning up", file=sys.stderr)
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _cancelled)
    try:
        app()
    except LabforgeError as exc:
        _fail_outside(exc)
    except OSError as exc:  # a file the user named cannot be read or written: say which, no traceback
        where = exc.filename or "labforge"
        _fail_outside(LabforgeError(Problem(str(where), exc.strerror or str(exc),
                                            "check the path and its permissions")))


def _fail_outside(exc: LabforgeError) -> None:
    try:
        fail(exc.problems, exc.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)


if __name__ == "__main__":
    main()
