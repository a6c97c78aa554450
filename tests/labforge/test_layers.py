"""Imports flow one way (docs/architecture.md): each folder of labforge imports only the folders
below it in LAYERS, and no folder of the two packages imports in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.project import REPO

LAYERS = ["core", "inputs", "locks", "registry", "render", "spackbuild", "buildah", "catalog", "publish",
          "loopback", "suites", "hub", "demo", "cli"]


def imports_of(path: Path, module: str) -> set[str]:
    """The labforge/infra modules a file imports (relative imports resolved)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found |= {f"{target}.{a.name}" for a in node.names} if not node.module else {target}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.split(".")[0] in ("labforge", "infra")}


def folder_edges(package: str) -> set[tuple[str, str]]:
    edges = set()
    for path in (REPO / package).rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if len(parts) < 3:
            continue  # the package's own top files (__main__, the program's wiring)
        here = parts[1]
        for target in imports_of(path, ".".join(p for p in parts if p != "__init__")):
            pieces = target.split(".")
            if pieces[0] == package and len(pieces) > 1 and pieces[1] != here:
                edges.add((here, pieces[1]))
    return edges


def test_labforge_imports_only_downward():
    upward = sorted((a, b) for a, b in folder_edges("labforge")
                    if a in LAYERS and b in LAYERS and LAYERS.index(b) >= LAYERS.index(a))
    assert not upward, f"labforge folders importing a folder above them: {upward}"
    assert {a for a, _ in folder_edges("labforge")} <= set(LAYERS), "a new folder: give it its layer"


def cycles(edges: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Pairs that reach each other."""
    reach = {a: {b for x, b in edges if x == a} for a, _ in edges}
    changed = True
    while changed:
        changed = False
        for targets in reach.values():
            more = set().union(*(reach.get(t, set()) for t in targets)) - targets
            if more:
                targets |= more
                changed = True
    return sorted((a, b) for a, targets in reach.items() for b in targets if a < b and a in reach.get(b, ()))


def test_no_folder_imports_in_a_cycle():
    assert cycles(folder_edges("labforge")) == [] and cycles(folder_edges("infra")) == []


def test_the_checks_see_an_upward_import_and_a_cycle():
    assert cycles({("a", "b"), ("b", "c"), ("c", "a")}) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert ("core", "inputs") not in folder_edges("labforge")
