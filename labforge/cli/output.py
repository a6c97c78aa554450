"""What the command line shows people: the consoles (stdout for results, stderr for progress and
problems), problems one per line, and progress bars."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from ..core.errors import EXIT_PROBLEM

# Wide enough for tables when the output is a log file rather than a terminal.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True, highlight=False)


def fail(problems, code: int = EXIT_PROBLEM) -> None:
    """One line per problem on stderr, a count, exit 1: never a traceback for bad input."""
    for problem in problems:
        if err.is_terminal:
            err.print(f"[red]error:[/red] {escape(str(problem))}", soft_wrap=True)
        else:
            print(f"error: {problem}", file=sys.stderr)
    n = len(problems)
    print(f"{n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
    raise typer.Exit(code)


def with_progress(title: str, work):
    """Run `work(on_step)` under a rich progress bar showing stage, step and elapsed time."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[step]}"),
                  TimeElapsedColumn(), console=err, transient=False) as progress:
        task = progress.add_task(title, total=None, step="")

        def on_step(stage: str, step: int, steps: int, what: str) -> None:
            progress.update(task, description=f"{title} [{stage}]", total=steps or None, completed=step,
                            step=f"{step}/{steps} {what}")

        return work(on_step)
