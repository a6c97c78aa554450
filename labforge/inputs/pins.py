"""Pin an imported root to one version, said in one line: the version spack concretizes it to
(`--pin concretized`, needs spack) or the one its recipe prefers (`--pin preferred`, read from the
recipe, never run). A root whose `@` already names a declared version keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .recipes import Recipe, read_recipe, recipe
from .spack_versions import is_constraint, meets, preferred

CHOICES = ("auto", "concretized", "preferred")


@dataclass(frozen=True)
class Pinned:
    version: str | None  # None: cannot be pinned
    said: str | None  # the one line for people, when the version was chosen here


def lab_recipe(packages_dir: Path, name: str) -> Recipe | None:
    """The lab's own recipe (spack/packages/NAME/package.py), read as spack's are."""
    return read_recipe(packages_dir / name / "package.py", name)


def pin(name: str, version: str | None, packages_dir: Path, concretized: dict[str, str] | None) -> Pinned:
    """`name@version` as the release will hold it. `concretized`: what spack chose for each
    unpinned root (`--pin concretized`), or None to read the recipes' preferred versions."""
    found = lab_recipe(packages_dir, name) or recipe(name)
    declared = [d.version for d in found.versions] if found else []
    exact = version is not None and not is_constraint(version) and (not declared or version.lstrip("=") in declared)
    if exact:
        return Pinned(version.lstrip("="), None)
    asked = f"{name}@{version}" if version else name
    if concretized is not None:
        chosen = concretized.get(name)
        if chosen and (version is None or meets(chosen, version)):
            return Pinned(chosen, f"{asked} pinned to {chosen} (spack concretized it so)")
        return Pinned(None, f"{asked}: spack's concretization has no such root")
    if found is None:
        where = "spack-packages (SPACK_PACKAGES_ROOT) and spack/packages/"
        return Pinned(None, f"{asked}: no recipe in {where} to read its versions from")
    chosen = preferred(found.versions, version)
    if chosen is None and version is not None and not is_constraint(version):
        return Pinned(version.lstrip("="), f"{asked}: not a version its recipe declares, kept as written "
                                           "(spack fetches it by the recipe's URL pattern, if it can)")
    if chosen is None:
        return Pinned(None, f"{asked}: its recipe declares no version that fits")
    return Pinned(chosen, f"{asked} pinned to {chosen} (the recipe's preferred version)")
