"""The one error shape of labforge and its Pulumi program: a `LabforgeError` holds `Problem`s,
each one line -- where (a file, an option, a stack key), what is wrong, what to do -- and the
command line prints them and exits with the code of its kind (the exit codes are all here)."""

from __future__ import annotations

from dataclasses import dataclass

# Exit codes. CI reads them: a tool build says which stage failed (tool_build.ToolBuildFailed).
EXIT_PROBLEM = 1  # bad input, a refused or failed step: the problems say which
EXIT_CONCRETIZE, EXIT_BUILD, EXIT_TESTS = 3, 4, 5  # `labforge tool build`: the tool did not concretize/build/pass


@dataclass(frozen=True)
class Problem:
    file: str  # where: a file, an option (--registry) or a stack key
    message: str
    hint: str = ""
    line: int | None = None
    field: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}:{field} {self.message}{hint}"


class LabforgeError(Exception):
    """One or more problems; the CLI prints them, one per line, and exits with `exit_code`."""

    exit_code = EXIT_PROBLEM

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("labforge", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
