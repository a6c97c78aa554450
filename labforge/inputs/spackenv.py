"""Read a foreign spack environment's specs the way spack does for the common forms: plain
strings, `$name` references to `definitions`, and matrices (rows crossed, joined by spaces).
What is not imported is said, never dropped silently."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ..core.yamlio import Located

# Top-level keys of a spack environment and why labforge does not take them over.
NOT_IMPORTED = {
    "packages": "labforge renders its own: the OS compiler and Python as externals, the target from labforge.yaml",
    "concretizer": "labforge sets unify: when_possible so several versions of a tool fit",
    "compilers": "images build with the OS compiler",
    "toolchains": "images build with the OS compiler",
    "config": "install tree and build paths are the image's",
    "modules": "labforge writes the Lmod configuration (name/version, defaults from the release)",
    "mirrors": "builds use the lab's build cache (--spack-cache)",
    "repos": "the lab's own recipes live in spack/packages/",
    "include": "included files are not read",
    "upstreams": "images are self-contained",
    "container": "labforge renders the Containerfile",
    "env_vars": "not carried into the image",
    "develop": "releases build released versions",
}
QUIET = {"specs", "view", "definitions"}


@dataclass
class EnvSpecs:
    specs: list[tuple[tuple, str]] = field(default_factory=list)  # (where in the file, spec text)
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[tuple, str, str]] = field(default_factory=list)  # (where, message, hint)


def definitions(located: Located, env: dict, out: EnvSpecs) -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for i, entry in enumerate(env.get("definitions") or []):
        if not isinstance(entry, dict):
            out.problems.append((("spack", "definitions", i), "a definition must be a mapping", "name: [specs]"))
            continue
        if "when" in entry:
            out.notes.append(f"definitions[{i}] has a 'when' condition: used as if it held")
        for name, values in entry.items():
            if name == "when":
                continue
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                out.problems.append((("spack", "definitions", i, name), "a definition must be a list of specs", ""))
                continue
            named.setdefault(name, []).extend(expand_refs(values, named))
    return named


def expand_refs(values: list[str], named: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for value in values:
        out += named.get(value[1:], []) if value.startswith("$") else [value]
    return out


def read_specs(located: Located, env: dict) -> EnvSpecs:
    out = EnvSpecs()
    for key in sorted(env):
        if key not in QUIET:
            out.notes.append(f"spack:{key} not imported: {NOT_IMPORTED.get(key, 'not a labforge setting')}")
    named = definitions(located, env, out)
    for i, item in enumerate(env.get("specs") or []):
        where = ("spack", "specs", i)
        if isinstance(item, str):
            if item.startswith("$"):
                if item[1:] not in named:
                    out.problems.append((where, f"{item} is not defined", "define it under definitions:"))
                out.specs += [(where, s) for s in named.get(item[1:], [])]
            else:
                out.specs.append((where, item))
        elif isinstance(item, dict) and isinstance(item.get("matrix"), list):
            if "exclude" in item:
                out.notes.append(f"specs[{i}]: the matrix's exclude list is not applied; check the result")
            rows = [expand_refs(row, named) if isinstance(row, list) and all(isinstance(v, str) for v in row)
                    else None for row in item["matrix"]]
            if any(row is None for row in rows):
                out.problems.append((where, "a matrix row must be a list of specs", "write each row as [spec, ...]"))
                continue
            out.specs += [(where, " ".join(parts)) for parts in itertools.product(*rows)]
        else:
            out.problems.append((where, "this spec form is not imported", "write each spec as one string, "
                                 "a $definition or a {matrix: [[...], [...]]}"))
    return out
