"""The notebook server's Python packages in layers that change only with their own pins.

One `pip install` of the whole server made one ~100 MB layer: any pin change re-pushed and
re-pulled all of it. Now each direct pin (what release managers change) and each package known
to be heavy has a layer of its own, and the rest of the pinned closure is spread over a few
layers by a hash of the package name, so a package stays in the same layer from release to
release. Every layer installs its exact pins with `--no-deps`: the closure in
images/notebook/runtime.constraints.txt (`labforge runtime lock`) is complete, and `pip check`
after the last layer fails the build if it is not.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..inputs.runtime_pins import canonical

# Installed sizes of the 2026.11 image's server packages (from each one's RECORD): these are
# over ~8 MB each and together more than half of the venv; alone, one's change pushes itself.
HEAVY = frozenset({"babel", "cryptography", "debugpy", "jedi", "jupyterhub", "jupyterlab", "nbdime", "pip",
                   "sqlalchemy", "widgetsnbextension"})
HASHED = 6  # layers for the rest of the closure
MAX_LAYERS = 24  # the most this plan makes: the layer budget reserves them (spackbuild/layers.py)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


@dataclass(frozen=True)
class ServerLayer:
    name: str  # a package name, or "closure-N"
    pins: tuple[str, ...]  # name==version, sorted
    with_deps: bool = False  # only without a constraints file: pip resolves freely


def pins_of(text: str) -> dict[str, str]:
    """canonical name -> the pin line, for every `name==version` line."""
    found = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            found[canonical(match.group(1))] = line.strip()
    return found


def bucket(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % HASHED


def plan_server_layers(requirements: str, constraints: str) -> list[ServerLayer]:
    direct, closure = pins_of(requirements), pins_of(constraints)
    if not closure:  # no lock of the server yet (`release validate` says so): one layer, resolved
        return [ServerLayer("server", tuple(sorted(direct.values())), with_deps=True)]
    everything = closure | direct  # a direct pin wins over the closure's line
    alone = sorted(name for name in everything if name in direct or name in HEAVY)
    alone = alone[:MAX_LAYERS - HASHED]  # more direct pins than that share the hashed layers
    layers = [ServerLayer(name, (everything[name],)) for name in alone]
    groups: dict[int, list[str]] = {}
    for name in sorted(set(everything) - set(alone)):
        groups.setdefault(bucket(name), []).append(everything[name])
    layers += [ServerLayer(f"closure-{index}", tuple(pins)) for index, pins in sorted(groups.items())]
    return layers
