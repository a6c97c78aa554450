"""What spack's own recipe says about a package (summary, homepage, license), read with ast
from spack-packages at the pinned tag -- never imported or run."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from ..core.yamlio import MAX_BYTES


def recipe_path(packages_root: Path, package: str) -> Path:
    return packages_root / "repos" / "spack_repo" / "builtin" / "packages" / package.replace("-", "_") / "package.py"


def recipe_metadata(package: str, packages_root: Path | None = None) -> dict[str, str]:
    """{summary, homepage, license} found in the builtin recipe; empty when there is none."""
    root = packages_root or (Path(os.environ["SPACK_PACKAGES_ROOT"]) if os.environ.get("SPACK_PACKAGES_ROOT") else None)
    if root is None:
        return {}
    path = recipe_path(root, package)
    try:
        if path.stat().st_size > MAX_BYTES:
            return {}
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        doc = ast.get_docstring(node)
        if doc:
            found["summary"] = " ".join(doc.split("\n\n")[0].split())
        for stmt in node.body:
            if (isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "homepage" for t in stmt.targets)
                    and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)):
                found["homepage"] = stmt.value.value
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "license"
                    and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
                found.setdefault("license", call.args[0].value)
        break
    return found
