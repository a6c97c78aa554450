"""Read a foreign spack environment's roots as spack does: `definitions` (plain lists, `matrix:`
with `exclude:`, `when:`), `$name`, `$^name` and `$%name` references, matrices in `specs:`, and
the `include:`d files beside it (spack_includes.py). What is not imported is said, never dropped
silently; what cannot be read is one line naming the file and the field."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from ..core.errors import Problem
from ..core.yamlio import Located
from .spack_includes import read_includes
from .spack_when import ConditionError, Where, holds
from .specs import Spec, SpecSyntaxError, parse

# A stack of a few hundred roots is large; a matrix past this is a mistake (or an attack).
MAX_SPECS = 5000

# Top-level keys of a spack environment and why labforge does not take them over.
NOT_IMPORTED = {
    "concretizer": "labforge sets unify: when_possible so several versions of a tool fit",
    "compilers": "images build with the OS compiler",
    "toolchains": "images build with the OS compiler",
    "config": "install tree and build paths are the image's",
    "modules": "labforge writes the Lmod configuration (name/version, defaults from the release)",
    "mirrors": "builds use the lab's build cache (--spack-cache)",
    "repos": "the lab's own recipes live in spack/packages/",
    "upstreams": "images are self-contained",
    "container": "labforge renders the Containerfile",
    "env_vars": "not carried into the image",
    "develop": "releases build released versions",
    "ci": "release pipeline writes the lab's own GitLab pipeline",
    "cdash": "build results are the pipeline's and the image suite's",
}
QUIET = {"specs", "view", "definitions", "include", "packages"}
PREFIXES = {"$^": "^", "$%": "%", "$": ""}


@dataclass
class EnvSpecs:
    specs: list[tuple[Located, tuple, str]] = field(default_factory=list)  # (file, where in it, spec text)
    packages: list[tuple[Located, tuple, dict]] = field(default_factory=list)  # lowest priority first
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # definitions already refused: said once, not again


def read_specs(located: Located, env: dict, where: Where = Where(), skip: set[str] = frozenset()) -> EnvSpecs:
    out = EnvSpecs()
    for key in sorted(env):
        if key not in QUIET:
            out.notes.append(f"spack:{key} not imported: {NOT_IMPORTED.get(key, 'not a labforge setting')}")
    included = read_includes(located, env, where, set(skip))
    out.notes += included.notes
    out.problems += included.problems
    named: dict[str, list[str]] = {}
    for scope, prefix, sections in included.scopes:
        _definitions(scope, prefix, sections.get("definitions"), where, named, out)
        if isinstance(sections.get("packages"), dict):
            out.packages.append((scope, prefix + ("packages",), sections["packages"]))
    _definitions(located, ("spack",), env.get("definitions"), where, named, out)
    if isinstance(env.get("packages"), dict):
        out.packages.append((located, ("spack", "packages"), env["packages"]))
    items = env.get("specs")
    for i, item in enumerate(items if isinstance(items, list) else []):
        at = ("spack", "specs", i)
        for text in _expand_item(located, at, item, named, out):
            out.specs.append((located, at, text))
    if len(out.specs) > MAX_SPECS:
        out.problems.append(located.problem(("spack", "specs"), f"{len(out.specs)} specs: more than {MAX_SPECS}",
                                            "a lab release is a few hundred tools at most: split the environment"))
        out.specs = []
    return out


def _definitions(located: Located, prefix: tuple, entries: object, where: Where, named: dict[str, list[str]],
                 out: EnvSpecs) -> None:
    if entries is None:
        return
    if not isinstance(entries, list):
        out.problems.append(located.problem(prefix + ("definitions",), "definitions: must be a list"))
        return
    for i, entry in enumerate(entries):
        at = prefix + ("definitions", i)
        if not isinstance(entry, dict) or not [k for k in entry if k != "when"]:
            out.problems.append(located.problem(at, "a definition is a mapping: name: [specs]"))
            continue
        try:
            if "when" in entry and not holds(entry["when"], where):
                continue
        except ConditionError as exc:
            out.problems.append(located.problem(at + ("when",), str(exc)))
            out.broken |= {k for k in entry if k != "when"}
            continue
        for name, values in entry.items():
            if name == "when":
                continue
            if not isinstance(values, list):
                out.problems.append(located.problem(at + (name,), "a definition must be a list of specs or matrices"))
                out.broken.add(name)
                continue
            if any(isinstance(v, str) and _reference(v) == name for v in values):
                out.problems.append(located.problem(at + (name,), f"definition {name} refers to itself",
                                                    "list its specs, or refer to other definitions"))
                out.broken.add(name)
                continue
            expanded = [text for j, v in enumerate(values)
                        for text in _expand_item(located, at + (name, j), v, named, out)]
            named.setdefault(name, []).extend(expanded)


def _reference(value: str) -> str | None:
    for mark in PREFIXES:
        if value.startswith(mark):
            return value[len(mark):]
    return None


def _expand_refs(located: Located, at: tuple, values: list, named: dict[str, list[str]],
                 out: EnvSpecs) -> list[str] | None:
    result: list[str] = []
    for value in values:
        if not isinstance(value, str):
            out.problems.append(located.problem(at, "a matrix row holds spec strings and $references",
                                                "write each row as [spec, ...]"))
            return None
        name = _reference(value)
        if name is None:
            result.append(value)
            continue
        if name in out.broken and name not in named:
            return None
        if name not in named:
            out.problems.append(located.problem(at, f"{value} is not defined", "define it under definitions:"))
            return None
        mark = next(PREFIXES[m] for m in PREFIXES if value.startswith(m))
        result += [mark + spec for spec in named[name]]
    return result


def _expand_item(located: Located, at: tuple, item: object, named: dict[str, list[str]], out: EnvSpecs) -> list[str]:
    if isinstance(item, str):
        return _expand_refs(located, at, [item], named, out) or []
    if not (isinstance(item, dict) and isinstance(item.get("matrix"), list) and set(item) <= {"matrix", "exclude"}):
        out.problems.append(located.problem(at, "this spec form is not spack's", "write each spec as one string, "
                                            "a $definition or {matrix: [[...], [...]], exclude: [...]}"))
        return []
    rows = []
    for row in item["matrix"]:
        expanded = _expand_refs(located, at, row if isinstance(row, list) else [None], named, out)
        if expanded is None:
            return []
        rows.append(expanded)
    size = math.prod(len(row) for row in rows)
    if size > MAX_SPECS:
        out.problems.append(located.problem(at, f"the matrix expands to {size} specs, more than {MAX_SPECS}",
                                            "split it, or list the combinations you build"))
        return []
    specs = [" ".join(parts) for parts in itertools.product(*rows)]
    excludes = item.get("exclude") or []
    if not isinstance(excludes, list) or not all(isinstance(e, str) for e in excludes):
        out.problems.append(located.problem(at + ("exclude",), "exclude: is a list of specs"))
        return []
    return [spec for spec in specs if not any(_satisfies(spec, pattern) for pattern in excludes)]


def _satisfies(text: str, pattern: str) -> bool:
    """Whether spec `text` meets `pattern`, as spack's exclude decides (an anonymous pattern such as
    `%gcc@12` or `+cuda` holds for any package)."""
    try:
        spec = parse(text, foreign=True)
        anonymous = not pattern[:1].isalnum()
        want = parse(("anonymous " if anonymous else "") + pattern, foreign=True)
    except SpecSyntaxError:
        return False
    return _meets(spec, want, anonymous)


def _meets(spec: Spec, want: Spec, anonymous: bool = False) -> bool:
    from .spack_versions import meets

    if not anonymous and spec.name != want.name:
        return False
    if want.version and not (spec.version and meets(spec.version, want.version)):
        return False
    if any(spec.variants.get(k) != v for k, v in want.variants.items()):
        return False
    if want.compiler and not (spec.compiler and _meets(spec.compiler, want.compiler)):
        return False
    return all(any(_meets(dep, w) for dep in spec.dependencies) for w in want.dependencies)

