"""Spack's version order and version constraints, for pinning an imported root: which declared
version a recipe prefers, and whether a version meets `@1.9`, `@14:`, `@:3` or `@1.2:1.4,2.0`."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Branch names spack orders above every release and never prefers on its own.
BRANCHES = {"develop", "main", "master", "head", "trunk", "stable"}
_PART = re.compile(r"[0-9]+|[A-Za-z]+")


def order(version: str) -> tuple:
    """A sort key in spack's order: numbers by value, numbers above words, branches on top."""
    if version.lower() in BRANCHES:
        return ((2, version),)
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in _PART.findall(version))


def is_branch(version: str) -> bool:
    return version.lower() in BRANCHES or version.startswith(("develop-", "git."))


def _within(version: str, bound: str) -> bool:
    """`@1.9` takes 1.9 and 1.9.x; `@=1.9` only 1.9."""
    if bound.startswith("="):
        return version == bound[1:]
    return version == bound or order(version)[:len(order(bound))] == order(bound)


def meets(version: str, constraint: str) -> bool:
    """Whether `version` meets a spack version constraint (the text after `@`)."""
    for alternative in constraint.split(","):
        if ":" in alternative:
            low, _, high = alternative.partition(":")
            if (not low or order(version) >= order(low)) and (not high or order(version) <= order(high)
                                                              or _within(version, high)):
                return True
        elif _within(version, alternative):
            return True
    return False


def is_constraint(version: str | None) -> bool:
    """Whether a root's `@...` names a range or a list rather than one version."""
    return version is not None and (":" in version or "," in version)


@dataclass(frozen=True)
class Declared:
    """A version(...) line of a recipe."""

    version: str
    preferred: bool = False
    deprecated: bool = False


def preferred(declared: list[Declared], constraint: str | None = None) -> str | None:
    """The version spack picks by default among `declared` (meeting `constraint`): one marked
    preferred, else the highest that is neither deprecated nor a branch."""
    fitting = [d for d in declared if constraint is None or meets(d.version, constraint)]
    marked = [d.version for d in fitting if d.preferred]
    if marked:
        return marked[0]
    plain = [d.version for d in fitting if not d.deprecated and not is_branch(d.version)]
    return max(plain, key=order) if plain else None
