"""What the spack stage did, read from the lines it prints into the build log
(images/templates/spack-stage.sh and spack-layers.py write them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

INSTALL = re.compile(r"labforge-install: from-cache=(\d+) compiled=(\d+)")
COMPILED = re.compile(r"labforge-compiled: (\S+)")
PUSH = re.compile(r"labforge-cache-push: (\w+)")
REACH = re.compile(r"labforge-cache: (reachable|not reachable)")
LAYERS = re.compile(r"labforge-layers: (\d+) packages in (\d+) layers")


@dataclass
class SpackReport:
    ran: bool = False  # False: the stage was taken from buildah's layer cache (nothing installed)
    from_cache: int = 0
    compiled: int = 0
    compiled_names: list[str] = field(default_factory=list)
    cache_reachable: bool | None = None
    pushed: str | None = None  # "ok", "failed" or "refused"
    packages: int = 0
    layers: int = 0

    def feed(self, line: str) -> None:
        if match := INSTALL.search(line):
            self.ran = True
            self.from_cache, self.compiled = int(match[1]), int(match[2])
        elif match := COMPILED.search(line):
            self.compiled_names.append(match[1])
        elif match := PUSH.search(line):
            self.pushed = match[1]
        elif match := REACH.search(line):
            self.cache_reachable = match[1] == "reachable"
        elif match := LAYERS.search(line):
            self.packages, self.layers = int(match[1]), int(match[2])

    def summary(self) -> str:
        if not self.ran:
            return "spack stage unchanged (reused from the layer cache): 0 packages installed"
        text = f"{self.from_cache} packages from the build cache, {self.compiled} compiled"
        if self.cache_reachable is False:
            text += "; the build cache was not reachable"
        if self.pushed:
            text += f"; cache push {self.pushed}"
        return text
