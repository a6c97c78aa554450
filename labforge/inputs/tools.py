"""Tool submissions: spack/tools/<name>.yaml, plus spack/packages/<package>/package.py when custom."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from ..core.errors import LabforgeError, Problem
from ..core.validation import to_model
from ..core.yamlio import Located, load
from .project import Project
from .specs import SpecSyntaxError, parse

TOOL_NAME = r"^[a-z][a-z0-9-]*$"


class ToolVersion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: StrictStr = Field(min_length=1)
    # Spec text appended after name@version: variants, ^dependencies, %compiler.
    variants: StrictStr = ""


class ToolTests(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    imports: list[StrictStr] = Field(default_factory=list)
    commands: list[StrictStr] = Field(default_factory=list)

    @field_validator("imports")
    @classmethod
    def _python_names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", name):
                raise ValueError(f"{name!r} is not a Python module name -- write e.g. 'neo.io'")
        return names


class ToolSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: StrictStr = Field(pattern=TOOL_NAME)
    package: StrictStr = Field(pattern=TOOL_NAME)
    summary: StrictStr = Field(min_length=1)
    homepage: StrictStr = Field(pattern=r"^https?://[!-~]+$")
    maintainers: list[StrictStr] = Field(min_length=1)
    license: StrictStr = Field(min_length=1)
    versions: list[ToolVersion] = Field(min_length=1)
    default: StrictStr
    tests: ToolTests = ToolTests()
    # What a batch tool image runs (`labforge release build ID --tools`): the program and any
    # fixed leading arguments, e.g. "nest" or "python3 -m elephant"; the caller's arguments follow.
    command: StrictStr | None = None
    # Set by `labforge release import` on stubs whose metadata a person still has to write.
    needs_metadata: bool = False

    @field_validator("command")
    @classmethod
    def _plain_words(cls, command: str | None) -> str | None:
        if command is not None and not re.fullmatch(r"[A-Za-z0-9_./=+:@-]+( [A-Za-z0-9_./=+:@-]+)*", command):
            raise ValueError(f"{command!r} is not a plain command: words of letters, digits and ._/=+:@- "
                             "separated by single spaces, e.g. 'nest' or 'python3 -m elephant' (no shell syntax)")
        return command

    def offered(self) -> dict[str, ToolVersion]:
        return {v.version: v for v in self.versions}

    def spec_for(self, version: str) -> str:
        extra = self.offered()[version].variants.strip()
        return f"{self.package}@{version}" + (f" {extra}" if extra else "")


@dataclass(frozen=True)
class LoadedTool:
    tool: ToolSubmission
    path: Path
    located: Located


def class_name_for(package: str) -> str:
    """spack's rule for the class in package.py: py-elephant -> PyElephant."""
    parts = re.split(r"[-_]", package)
    name = "".join(p[:1].upper() + p[1:] for p in parts)
    return f"_{name}" if name[:1].isdigit() else name


def tool_paths(project: Project) -> list[Path]:
    return sorted(project.tools_dir.glob("*.yaml"))


def load_tool(project: Project, path: Path) -> tuple[LoadedTool | None, list[Problem]]:
    located = load(path, project.rel(path))
    tool, problems = to_model(ToolSubmission, located)
    if tool is None:
        return None, problems
    return LoadedTool(tool, path, located), check_tool(project, LoadedTool(tool, path, located))


def check_tool(project: Project, loaded: LoadedTool) -> list[Problem]:
    tool, located = loaded.tool, loaded.located
    problems: list[Problem] = []
    if loaded.path.stem != tool.name:
        problems.append(located.problem(("name",), f"name {tool.name!r} does not match the file name",
                                        f"rename the file to {tool.name}.yaml or fix the name"))
    if tool.needs_metadata:
        problems.append(located.problem(("needs_metadata",), "stub from 'labforge release import'",
                                        "fill in summary, homepage, maintainers, license and tests, "
                                        "then delete needs_metadata"))
    seen: set[str] = set()
    for i, entry in enumerate(tool.versions):
        if entry.version in seen:
            problems.append(located.problem(("versions", i, "version"),
                                            f"version {entry.version} is listed twice", "keep one entry"))
        seen.add(entry.version)
        problems += _check_spec(located, tool, i, entry)
    if tool.default not in seen:
        problems.append(located.problem(("default",), f"default {tool.default!r} is not an offered version",
                                        f"choose one of: {', '.join(sorted(seen))}"))
    package_py = project.packages_dir / tool.package / "package.py"
    if package_py.exists():
        problems += check_package_py(project, package_py, tool, located)
    return problems


def _check_spec(located: Located, tool: ToolSubmission, i: int, entry: ToolVersion) -> list[Problem]:
    text = tool.spec_for(entry.version)
    field = ("versions", i, "variants")
    try:
        spec = parse(text)
    except SpecSyntaxError as exc:
        return [located.problem(field, f"bad spec: {exc}", "see 'Spec syntax' in the README")]
    if spec.name != tool.package or spec.version != entry.version:
        return [located.problem(field, f"spec {text!r} names another package or version",
                                "variants must not start with a package name or '@'")]
    return []


def declared_versions(source: str, filename: str, package: str) -> tuple[str | None, list[str]]:
    """Class name and version("...") strings declared in a package.py, read with ast (never run)."""
    tree = ast.parse(source, filename=filename)
    wanted = class_name_for(package)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == wanted:
            versions = []
            for stmt in node.body:
                call = stmt.value if isinstance(stmt, ast.Expr) else None
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                        and call.func.id == "version" and call.args
                        and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
                    versions.append(call.args[0].value)
            return node.name, versions
    return None, []


def check_package_py(project: Project, path: Path, tool: ToolSubmission, located: Located) -> list[Problem]:
    rel = project.rel(path)
    try:
        class_name, versions = declared_versions(path.read_text(encoding="utf-8"), rel, tool.package)
    except SyntaxError as exc:
        return [Problem(rel, f"not valid Python: {exc.msg}", "fix the syntax", line=exc.lineno)]
    if class_name is None:
        return [Problem(rel, f"no class {class_name_for(tool.package)} in package.py",
                        f"spack expects the package {tool.package!r} in class {class_name_for(tool.package)}")]
    problems = []
    for i, entry in enumerate(tool.versions):
        if entry.version not in versions:
            problems.append(located.problem(
                ("versions", i, "version"),
                f"version {entry.version} is not declared in {rel}",
                f"add version(\"{entry.version}\", sha256=...) there, or drop it here"))
    return problems


def load_all(project: Project, names: list[str] | None = None) -> tuple[dict[str, LoadedTool], list[Problem]]:
    """Load every tool submission (or the named ones); collect every problem instead of stopping."""
    paths = tool_paths(project)
    problems: list[Problem] = []
    if names:
        by_stem = {p.stem: p for p in paths}
        missing = [n for n in names if n not in by_stem]
        for name in missing:
            problems.append(Problem(project.rel(project.tools_dir / f"{name}.yaml"), f"no tool submission named {name!r}",
                                    "create it, or run 'labforge tool check' to see all tools"))
        paths = [by_stem[n] for n in names if n in by_stem]
    tools: dict[str, LoadedTool] = {}
    for path in paths:
        try:
            loaded, found = load_tool(project, path)
        except LabforgeError as exc:
            problems += exc.problems
            continue
        problems += found
        if loaded:
            tools[loaded.tool.name] = loaded
    if not names and not problems:  # a broken submission would look like an orphan
        problems += _orphan_packages(project, {t.tool.package for t in tools.values()})
    return tools, problems + links_outside(project)


def links_outside(project: Project) -> list[Problem]:
    """Symbolic links under spack/ that lead out of the project: their targets would be read as
    submissions and copied into build contexts, so they are refused."""
    problems = []
    root = project.root
    for folder in (project.tools_dir, project.packages_dir):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_symlink():
                target = path.resolve()
                if target != root and root not in target.parents:
                    problems.append(Problem(path.relative_to(root).as_posix(), f"is a link to {target}, outside the project",
                                            "copy the file into the repository instead of linking to it"))
    return problems


def _orphan_packages(project: Project, packages: set[str]) -> list[Problem]:
    if not project.packages_dir.is_dir():
        return []
    return [
        Problem(project.rel(d / "package.py"), f"package {d.name!r} has no tool submission",
                f"add spack/tools/{d.name}.yaml or remove the package")
        for d in sorted(project.packages_dir.iterdir())
        if d.is_dir() and d.name not in packages and (d / "package.py").exists()
    ]
