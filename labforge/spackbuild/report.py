"""What the spack stage did, read from the lines it prints into the build log
(images/builder/templates/spack-stage.sh.j2 and images/builder/files/spack-layers.py write them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import Problem
from ..core.process import RETRY_LINE

INSTALL = re.compile(r"labforge-install: from-cache=([0-9]+) compiled=([0-9]+)")
COMPILED = re.compile(r"labforge-compiled: (\S+)")
PUSH = re.compile(r"labforge-cache-push: ([A-Za-z0-9_]+)")
PUSHED = re.compile(r"labforge-pushed: (\S+)")
REACH = re.compile(r"labforge-cache: (reachable|not reachable)")
LAYERS = re.compile(r"labforge-layers: ([0-9]+) packages in ([0-9]+) layers")
# labforge/process.py prints it before it runs a build again: what was read so far no longer holds


@dataclass
class SpackReport:
    ran: bool = False  # False: the stage was taken from buildah's layer cache (nothing installed)
    started: bool = False  # spack spoke: a failure from here on is spack's
    from_cache: int = 0
    compiled: int = 0
    compiled_names: list[str] = field(default_factory=list)
    cache_reachable: bool | None = None
    pushed: str | None = None  # "ok", "failed" or "refused"
    pushed_names: list[str] = field(default_factory=list)  # each package pushed as it installed
    packages: int = 0
    layers: int = 0

    def feed(self, line: str) -> None:
        if line.startswith(RETRY_LINE):  # the build runs again: what it said before no longer holds
            self.__init__()
            return
        self.started = self.started or line.startswith("==> ")
        if match := INSTALL.search(line):
            self.ran = True
            self.from_cache, self.compiled = int(match[1]), int(match[2])
        elif match := COMPILED.search(line):
            self.compiled_names.append(match[1])
        elif match := PUSHED.search(line):
            self.pushed_names.append(match[1])
        elif match := PUSH.search(line):
            # one line per failed package, then "finished": the worst outcome stays
            if match[1] in ("failed", "refused") or self.pushed is None:
                self.pushed = "ok" if match[1] == "finished" else match[1]
        elif match := REACH.search(line):
            self.cache_reachable = match[1] == "reachable"
        elif match := LAYERS.search(line):
            self.packages, self.layers = int(match[1]), int(match[2])

    @property
    def failed_in_spack(self) -> bool:
        """Whether a build that failed now failed in spack's install: spack has spoken and has not
        finished (a later step, such as the server's pip layers, is not spack's failure)."""
        return self.started and not self.ran

    def summary(self) -> str:
        if not self.ran:
            return "spack stage unchanged (reused from the layer cache): 0 packages installed"
        text = f"{self.from_cache} packages from the build cache, {self.compiled} compiled"
        if self.cache_reachable is False:
            text += "; the build cache was not reachable"
        if self.pushed:
            text += f"; cache push {self.pushed}"
        if self.pushed_names:
            text += f" ({len(self.pushed_names)} pushed as they installed)"
        return text


# What spack names when a package fails, else the package it was installing last.
FAILED_INSTALL = re.compile(r"Failed to install ([a-z0-9][a-z0-9-]*)")
INSTALLING = re.compile(r"==> Installing ([a-z0-9][a-z0-9-]*?)-[^-\s]+-[a-z0-9]{32}")


def failure_problem(where: str, log: Path, tests_failed: bool = False, kept: str = "") -> Problem:
    """The line a failed release or tool build ends with: what failed (spack's package, or the
    tests), `kept` (what the cache kept, if anything), and the end of the build output."""
    package, tail = failure_tail(log)
    what = "its tests failed" if tests_failed else (f"spack failed on {package}" if package else "the build failed")
    return Problem(where, f"{what}{kept}; the build output ends:\n{tail}", f"full log: {log}")


def failure_tail(log: Path, lines: int = 30) -> tuple[str | None, str]:
    """The package spack failed on (if it says) and the last lines of the build output."""
    text = log.read_text(errors="replace").splitlines()
    package = None
    for pattern in (FAILED_INSTALL, INSTALLING):
        found = [m.group(1) for line in text if (m := pattern.search(line))]
        if found:
            package = found[-1]
            break
    return package, "\n".join(text[-lines:])
