"""What spack's own recipe says about a package (summary, homepage, license, declared versions),
read with ast from spack-packages at the pinned tag -- never imported or run."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..core.yamlio import MAX_BYTES
from .spack_versions import Declared
from .tools import class_name_for


@dataclass(frozen=True)
class Recipe:
    summary: str | None = None
    homepage: str | None = None
    license: str | None = None
    versions: list[Declared] = field(default_factory=list)


def packages_root(given: Path | None = None) -> Path | None:
    if given is not None:
        return given
    return Path(os.environ["SPACK_PACKAGES_ROOT"]) if os.environ.get("SPACK_PACKAGES_ROOT") else None


def recipe_path(root: Path, package: str) -> Path:
    return root / "repos" / "spack_repo" / "builtin" / "packages" / package.replace("-", "_") / "package.py"


def recipe(package: str, root: Path | None = None) -> Recipe | None:
    """The builtin recipe of `package`, or None when spack-packages is not at hand or has none."""
    root = packages_root(root)
    return read_recipe(recipe_path(root, package), package, root) if root is not None else None


def recipe_metadata(package: str, root: Path | None = None) -> dict[str, str]:
    """{summary, homepage, license} found in the builtin recipe; empty when there is none."""
    found = recipe(package, root)
    if found is None:
        return {}
    return {k: v for k, v in (("summary", found.summary), ("homepage", found.homepage),
                              ("license", found.license)) if v}


@lru_cache(maxsize=4096)
def read_recipe(path: Path, package: str, root: Path | None = None, depth: int = 0) -> Recipe | None:
    """The recipe's class for `package` (spack's class name); versions a subclass does not declare
    are its builtin base class's (clingo-bootstrap's are clingo's)."""
    try:
        if path.is_symlink() or path.stat().st_size > MAX_BYTES:
            return None
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    node = next((c for c in classes if c.name == class_name_for(package)), classes[-1] if classes else None)
    if node is None:
        return None
    found = _from_class(node, _literals(tree.body))
    if not found.versions and root is not None and depth < 3:
        base = _builtin_base(tree, node)
        inherited = read_recipe(recipe_path(root, base), base, root, depth + 1) if base else None
        if inherited:
            found = Recipe(found.summary, found.homepage, found.license or inherited.license, inherited.versions)
    return found


def _builtin_base(tree: ast.Module, node: ast.ClassDef) -> str | None:
    """The builtin package a class derives from (`from spack_repo.builtin.packages.X.package import Y`)."""
    bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").startswith("spack_repo.builtin.packages."):
            if any(alias.name in bases for alias in stmt.names):
                return stmt.module.split(".")[3].replace("_", "-")
    return None


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call(stmt: ast.stmt, name: str) -> ast.Call | None:
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    ok = isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == name and call.args
    return call if ok else None


def _literals(body: list[ast.stmt]) -> dict[str, list[str]]:
    """Names bound to a literal dict (its keys) or list of strings or tuples (their first item):
    the tables some recipes declare their versions from in a loop."""
    out: dict[str, list[str]] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            value = stmt.value
            items = (value.keys if isinstance(value, ast.Dict) else
                     [e.elts[0] if isinstance(e, ast.Tuple) and e.elts else e for e in value.elts]
                     if isinstance(value, (ast.List, ast.Tuple)) else [])
            texts = [_text(k) for k in items]
            if texts and all(texts):
                out[stmt.targets[0].id] = texts
    return out


def _looped(stmt: ast.stmt, tables: dict[str, list[str]]) -> list[str]:
    """`for v in TABLE[.items()|.keys()]: ... version(v, ...)`: the table's versions."""
    if not isinstance(stmt, ast.For):
        return []
    source = stmt.iter.func.value if (isinstance(stmt.iter, ast.Call) and isinstance(stmt.iter.func, ast.Attribute)
                                      and stmt.iter.func.attr in ("items", "keys")) else stmt.iter
    calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "version"]
    return tables.get(source.id, []) if calls and isinstance(source, ast.Name) else []


def _flat(body: list[ast.stmt]) -> list[ast.stmt]:
    """The class body with the statements of its `with when(...)` / `with default_args(...)` blocks."""
    out: list[ast.stmt] = []
    for stmt in body:
        out += _flat(stmt.body) if isinstance(stmt, ast.With) else [stmt]
    return out


def _from_class(node: ast.ClassDef, tables: dict[str, list[str]]) -> Recipe:
    doc = ast.get_docstring(node)
    summary = " ".join(doc.split("\n\n")[0].split()) if doc else None
    homepage = license_ = None
    versions: list[Declared] = []
    tables = {**tables, **_literals(node.body)}
    for stmt in _flat(node.body):
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "homepage" for t in stmt.targets):
            homepage = _text(stmt.value) or homepage
        if (call := _call(stmt, "license")) is not None and license_ is None:
            license_ = _text(call.args[0])
        if (call := _call(stmt, "version")) is not None and _text(call.args[0]):
            flags = {k.arg: k.value.value for k in call.keywords
                     if k.arg in ("preferred", "deprecated") and isinstance(k.value, ast.Constant)}
            versions.append(Declared(_text(call.args[0]), bool(flags.get("preferred")),
                                     bool(flags.get("deprecated"))))
        versions += [Declared(v) for v in _looped(stmt, tables)]
    return Recipe(summary, homepage, license_, versions)
