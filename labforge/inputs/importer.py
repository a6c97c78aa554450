"""Turn an existing spack environment's specs into a release manifest and stub tool submissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import LabforgeError, Problem
from ..core.yamlio import dump, load
from .platforms import PLATFORMS
from .project import Project
from .recipes import recipe_metadata
from .releases import EXPERIMENTAL, Release, release_path
from .spackenv import read_specs
from .specs import Spec, SpecSyntaxError, parse


@dataclass
class ImportPlan:
    release_path: Path
    release: dict
    new_tools: dict[Path, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _variant_text(spec: Spec) -> str:
    return str(spec).removeprefix(f"{spec.name}@{spec.version}").strip()


# Parts of a foreign spec that cannot hold in a lab image: the image has one compiler (the OS's)
# and one target (labforge.yaml).
ARCH_KEYS = ("target", "arch", "os", "platform")


def adapt(spec: Spec, gcc: str) -> tuple[Spec, list[str]]:
    """The spec without compiler pins and architecture settings; what was dropped, for people."""
    dropped = []
    if spec.compiler is not None:
        dropped.append(f"%{spec.compiler} (images build with the OS compiler, gcc {gcc})")
        spec.compiler = None
    for key in ARCH_KEYS:
        if key in spec.variants:
            dropped.append(f"{key}={spec.variants.pop(key)} (the target is spack.target in labforge.yaml)")
    for dep in spec.dependencies:
        dep_dropped = adapt(dep, gcc)[1]
        dropped += [f"^{dep.name}: {d}" for d in dep_dropped]
    return spec, dropped


def plan_import(project: Project, spack_yaml: Path, release_id: str, suite: str = "bookworm") -> ImportPlan:
    located = load(spack_yaml, str(spack_yaml))
    env = located.data.get("spack") if isinstance(located.data, dict) else None
    if not isinstance(env, dict) or not isinstance(env.get("specs"), list) or not env["specs"]:
        raise LabforgeError(located.problem(("spack", "specs"), "no specs list found",
                                            "the file must be a spack environment with spack: specs: [...]"))
    found = read_specs(located, env)
    problems = [located.problem(where, message, hint) for where, message, hint in found.problems]
    notes = list(found.notes)
    by_name: dict[str, dict[str, str]] = {}
    for where, text in found.specs:
        try:
            spec = parse(text)
        except SpecSyntaxError as exc:
            problems.append(located.problem(where, f"bad spec: {exc}"))
            continue
        if not spec.version:
            problems.append(located.problem(where, f"spec {text!r} has no version",
                                            "releases pin every tool: write name@version"))
            continue
        spec, dropped = adapt(spec, PLATFORMS[suite].gcc)
        notes += [f"{spec.name}@{spec.version}: dropped {d}" for d in dropped]
        by_name.setdefault(spec.name, {})[spec.version] = _variant_text(spec)
    if problems:
        raise LabforgeError(problems)

    channel = "experimental" if release_id == EXPERIMENTAL else "stable"
    from .versions import newest

    tools = []
    plan = ImportPlan(release_path(project, release_id), {}, notes=notes)
    for name, versions in by_name.items():
        entry: dict = {"name": name, "versions": list(versions)}
        if len(versions) > 1:
            entry["default"] = newest(list(versions))
        tools.append(entry)
        tool_file = project.tools_dir / f"{name}.yaml"
        if tool_file.exists():
            plan.notes.append(f"{project.rel(tool_file)} exists: check it offers {', '.join(versions)}")
            continue
        recipe = recipe_metadata(name)
        if recipe:
            plan.notes.append(f"{project.rel(tool_file)}: summary, homepage and license taken from spack's "
                              "recipe: review them")
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
    plan.release = {
        "id": release_id, "channel": channel, "base": {"suite": suite},
        "python": PLATFORMS[suite].python, "tools": tools,
        "notes": f"Imported from {spack_yaml.name}.\n",
    }
    if channel == "experimental":
        import datetime as dt
        plan.release["date"] = dt.date.today().isoformat()
    Release.model_validate(plan.release)  # the importer must never write a manifest it cannot read
    return plan


def write_import(plan: ImportPlan, force: bool = False) -> None:
    from ..core.atomic import write_text

    if plan.release_path.exists() and not force:
        raise LabforgeError(Problem(str(plan.release_path), "release already exists",
                                    "choose another --id or pass --force"))
    for path, data in plan.new_tools.items():
        write_text(path, dump(data))
    write_text(plan.release_path, dump(plan.release))
