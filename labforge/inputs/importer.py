"""`labforge release import`: an existing spack environment (a stack from spack's own CI, a site's
environment) turned into a release manifest and stub tool submissions.

The environment is read as spack reads it (spackenv.py), its roots pinned (pins.py), its
`packages:` kept as the release's package rules (spack_packages.py). What cannot hold in a lab
image is dropped and said once per cause; what cannot be read is one line each; nothing is
written until the whole plan is valid.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..core.atomic import write_text
from ..core.errors import LabforgeError, Problem
from ..core.yamlio import Located, dump, load_plain
from .pins import pin
from .platforms import PLATFORMS
from .project import Project
from .recipes import recipe_metadata
from .releases import EXPERIMENTAL, R_KERNEL_PACKAGE, Release, is_r, release_path
from .spack_packages import keep_packages
from .spack_when import Where
from .spackenv import read_specs
from .specs import Spec, SpecSyntaxError, parse
from .versions import newest

# Parts of a foreign spec that cannot hold in a lab image: the image has one compiler (the OS's)
# and one target (labforge.yaml).
ARCH_KEYS = ("target", "arch", "os", "platform")
# Asked for the roots spack left unpinned: {name: version} (spackbuild/pin.py), for --pin concretized.
Concretizer = Callable[[list[str], dict[str, dict]], dict[str, str]]


@dataclass
class ImportPlan:
    release_path: Path
    release: dict
    new_tools: dict[Path, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def adapt(spec: Spec, gcc: str) -> tuple[Spec, list[str]]:
    """The spec without compiler pins and architecture settings; the causes dropped, for people."""
    dropped = []
    if spec.compiler is not None:
        dropped.append(f"compilers (images build with the OS compiler, gcc {gcc})")
        spec.compiler = None
    for key in ARCH_KEYS:
        if spec.variants.pop(key, None) is not None:
            dropped.append("targets and architectures (the target is spack.target in labforge.yaml)")
    for dep in spec.dependencies:
        dropped += adapt(dep, gcc)[1]
    compilers = [d for d in spec.dependencies if d.name in ("gcc", "gcc-runtime")]
    if compilers:
        dropped.append(f"compilers (images build with the OS compiler, gcc {gcc})")
        spec.dependencies = [d for d in spec.dependencies if d not in compilers]
    return spec, dropped


def _variant_text(spec: Spec) -> str:
    return str(spec).removeprefix(f"{spec.name}@{spec.version}").removeprefix(spec.name).strip()


def _grouped(causes: dict[str, list[str]]) -> list[str]:
    return [f"{cause}: dropped from {len(set(names))} tool(s): {', '.join(sorted(set(names))[:6])}"
            + (" ..." if len(set(names)) > 6 else "") for cause, names in sorted(causes.items())]


def _one_module(asked: str, built: str, ways: list[str]) -> str:
    """What users get of a package asked in several variant sets at one version."""
    shown = ", ".join(f"'{w[:60]}'" for w in ways[:2]) + (f" and {len(ways) - 2} more" if len(ways) > 2 else "")
    return (f"{asked}: one module ({asked.replace('@', '/')}), built as '{built[:60]}'; also asked as {shown}, "
            "not built (add a tool of its own to offer another build)")


def read_environment(spack_yaml: Path) -> tuple[Located, dict]:
    located = load_plain(spack_yaml, str(spack_yaml))
    env = located.data.get("spack") if isinstance(located.data, dict) else None
    if not isinstance(env, dict) or not isinstance(env.get("specs"), list) or not env["specs"]:
        raise LabforgeError(located.problem(("spack", "specs"), "no specs list found",
                                            "the file must be a spack environment with spack: specs: [...]"))
    return located, env


def plan_import(project: Project, spack_yaml: Path, release_id: str, suite: str = "bookworm",
                skip_includes: tuple[str, ...] = (), concretizer: Concretizer | None = None) -> ImportPlan:
    """The release and stubs `spack_yaml` makes. `concretizer`: pin unversioned roots to what spack
    concretizes them to; without it, to their recipes' preferred versions."""
    located, env = read_environment(spack_yaml)
    platform = PLATFORMS[suite]
    found = read_specs(located, env, Where(os=platform.spack_os, target=project.settings.spack.target),
                       set(skip_includes))
    kept = keep_packages(found.packages)
    problems, notes = found.problems + kept.problems, found.notes + kept.notes()
    roots: list[tuple[Located, tuple, Spec]] = []
    dropped: dict[str, list[str]] = defaultdict(list)
    for where_file, at, text in found.specs:
        try:
            spec = parse(text, foreign=True)
        except SpecSyntaxError as exc:
            problems.append(where_file.problem(at, f"bad spec: {exc}"))
            continue
        spec, causes = adapt(spec, platform.gcc)
        for cause in causes:
            dropped[cause].append(spec.name)
        roots.append((where_file, at, spec))
    if problems:
        raise LabforgeError(problems)
    notes += _grouped(dropped)
    concretized = concretizer([str(s) for _, _, s in roots], kept.rules) if concretizer else None
    by_name: dict[str, dict[str, str]] = {}
    others: dict[str, list[str]] = defaultdict(list)  # name@version -> the other ways it was asked
    for where_file, at, spec in roots:
        pinned = pin(spec.name, spec.version, project.packages_dir, concretized)
        if pinned.version is None:
            problems.append(where_file.problem(at, pinned.said or f"{spec.name}: no version",
                                               "write name@version in the environment"))
            continue
        if pinned.said and pinned.said not in notes:
            notes.append(pinned.said)
        spec.version = pinned.version
        versions = by_name.setdefault(spec.name, {})
        text = _variant_text(spec)
        if spec.version in versions and versions[spec.version] != text:
            if text not in others[f"{spec.name}@{spec.version}"]:
                others[f"{spec.name}@{spec.version}"].append(text)
            continue
        versions[spec.version] = text
    if problems:
        raise LabforgeError(problems)
    notes += [_one_module(asked, by_name[asked.split("@")[0]][asked.split("@")[1]], ways)
              for asked, ways in others.items()]
    if any(is_r(name) for name in by_name) and R_KERNEL_PACKAGE not in by_name:
        kernel = pin(R_KERNEL_PACKAGE, None, project.packages_dir, None)
        if kernel.version is None:
            raise LabforgeError(Problem(str(spack_yaml), "the environment has R packages but no r-irkernel, "
                                        "which a release's R kernel runs, and no recipe says its version",
                                        "add r-irkernel@VERSION to its specs"))
        by_name[R_KERNEL_PACKAGE] = {kernel.version: ""}
        notes.append(f"{R_KERNEL_PACKAGE}@{kernel.version} added: the release's R kernel runs it")
    plan = ImportPlan(release_path(project, release_id), {}, notes=notes)
    plan.release = _release(release_id, suite, spack_yaml, by_name, kept.rules)
    _stubs(project, plan, by_name)
    Release.model_validate(plan.release)  # the importer must never write a manifest it cannot read
    return plan


def _release(release_id: str, suite: str, spack_yaml: Path, by_name: dict, rules: dict) -> dict:
    channel = "experimental" if release_id == EXPERIMENTAL else "stable"
    tools = [{"name": name, "versions": list(versions),
              **({"default": newest(list(versions))} if len(versions) > 1 else {})}
             for name, versions in by_name.items()]
    release = {"id": release_id, "channel": channel, "base": {"suite": suite},
               "python": PLATFORMS[suite].python, "tools": tools,
               "notes": f"Imported from {spack_yaml.name}.\n"}
    if rules:
        release["packages"] = rules
    if channel == "experimental":
        release["date"] = dt.date.today().isoformat()
    return release


def _stubs(project: Project, plan: ImportPlan, by_name: dict[str, dict[str, str]]) -> None:
    """A tool submission per new tool, flagged needs_metadata; said once per cause."""
    existing, from_recipes, unknown = [], 0, []
    for name, versions in by_name.items():
        tool_file = project.tools_dir / f"{name}.yaml"
        if tool_file.exists():
            existing.append(f"{project.rel(tool_file)} ({', '.join(versions)})")
            continue
        recipe = recipe_metadata(name)
        from_recipes += bool(recipe)
        if not recipe:
            unknown.append(name)
        plan.new_tools[tool_file] = {
            "name": name,
            "package": name,
            "summary": recipe.get("summary") or f"TODO: one line on what {name} does",
            "homepage": recipe.get("homepage") or f"https://packages.spack.io/package.html?name={name}",
            "maintainers": ["TODO@example.org"],
            "license": recipe.get("license") or "TODO",
            "versions": [{"version": v, **({"variants": t} if t else {})} for v, t in versions.items()],
            "default": newest(list(versions)),
            "needs_metadata": True,
        }
    if existing:
        plan.notes.append(f"{len(existing)} tool file(s) exist, left as they are: check they offer the "
                          f"versions: {'; '.join(existing)}")
    if from_recipes:
        plan.notes.append(f"{from_recipes} stub(s) took summary, homepage and license from spack's recipes: "
                          "review them")
    plan.notes += [f"{name}: no recipe was found to describe it: complete spack/tools/{name}.yaml" for name in unknown]


def write_import(plan: ImportPlan, force: bool = False) -> None:
    if plan.release_path.exists() and not force:
        raise LabforgeError(Problem(str(plan.release_path), "release already exists",
                                    "choose another --id or pass --force"))
    for path, data in plan.new_tools.items():
        write_text(path, dump(data))
    write_text(plan.release_path, dump(plan.release))
