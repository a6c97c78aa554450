"""A foreign environment's `packages:` kept as the release's package rules (package_rules.py).

What cannot hold in a lab image is dropped and said, once per cause: targets and architectures
(the target is labforge.yaml's), compilers (images build with the OS's gcc), the rules of the OS
compiler and Python themselves, externals found through modules, permissions. The rest --
requirements, preferences, conflicts, default variants, versions, providers, externals with their
prefix and `buildable: false` -- is kept as the environment's author wrote it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from pydantic import ValidationError

from ..core.errors import Problem
from ..core.yamlio import Located
from .package_rules import OWN, PackageRule

# Tokens of a constraint that name the machine or the compiler: never kept.
ARCH = re.compile(r"(?:target|arch|os|platform)=[!-~]+")
COMPILER = re.compile(r"%(?:\[[^\]]*\] *)?[a-z0-9_=,-]+(?:@[!-~]+)?")
KEYS = {"require", "prefer", "conflict", "variants", "version", "buildable", "externals", "providers"}
DROPPED = {"target": "the target is spack.target in labforge.yaml", "compiler": "images build with the OS compiler",
           "permissions": "the image's files belong to its own user", "package_attributes": "not a release setting"}


@dataclass
class Kept:
    rules: dict[str, dict] = field(default_factory=dict)  # name -> rule, as PackageRule reads it
    dropped: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # cause -> packages
    problems: list[Problem] = field(default_factory=list)

    def notes(self) -> list[str]:
        return [f"packages: {cause}: {', '.join(sorted(names)[:8])}"
                + (f" and {len(names) - 8} more" if len(names) > 8 else "")
                for cause, names in sorted(self.dropped.items())]


def adapt_constraint(text: str) -> str:
    """The constraint without targets and compilers ('' when nothing else was in it)."""
    return " ".join(COMPILER.sub(" ", ARCH.sub(" ", text)).split())


def keep_packages(scopes: list[tuple[Located, tuple, dict]]) -> Kept:
    """Each scope's packages: (lowest priority first) merged as spack merges them: a later scope's
    setting of a package replaces an earlier one's."""
    kept = Kept()
    for located, at, packages in scopes:
        for raw_name, settings in packages.items():
            name = str(raw_name).rstrip(":")
            if name in OWN:
                kept.dropped["labforge's own (images use the OS compiler and Python): not kept"].add(name)
                continue
            if not isinstance(settings, dict):
                kept.problems.append(located.problem(at + (raw_name,), "a package's settings are a mapping"))
                continue
            rule = kept.rules.setdefault(name, {})
            for key, value in settings.items():
                if key in DROPPED:
                    kept.dropped[f"{key} not kept ({DROPPED[key]})"].add(name)
                elif key not in KEYS:
                    kept.problems.append(located.problem(at + (raw_name, key), f"{key}: is not a spack package setting"))
                else:
                    _keep(kept, name, key, value, rule)
            try:
                PackageRule.model_validate(rule)
            except ValidationError as exc:
                error = exc.errors()[0]
                kept.problems.append(located.problem(at + (raw_name,), f"packages.{name}: {error['msg']}"))
                kept.rules.pop(name, None)
    kept.rules = {name: rule for name, rule in kept.rules.items() if rule}
    return kept


def _keep(kept: Kept, name: str, key: str, value: object, rule: dict) -> None:
    if key in ("require", "prefer", "conflict"):
        entries = [_requirement(kept, name, e) for e in (value if isinstance(value, list) else [value])]
        rule[key] = [e for e in entries if e is not None]
        if not rule[key]:
            del rule[key]
    elif key == "variants":
        text = " ".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else value
        rule[key] = adapt_constraint(text) if isinstance(text, str) else text
    elif key == "version":
        rule[key] = [str(v) for v in value] if isinstance(value, list) else value
    elif key == "externals":
        rule[key] = _externals(kept, name, value)
    else:
        rule[key] = value


def _requirement(kept: Kept, name: str, entry: object) -> dict | None:
    if isinstance(entry, str):
        entry = {"spec": entry}
    if not isinstance(entry, dict):
        return entry  # PackageRule says what is wrong
    entry = {k: v for k, v in entry.items() if k != "message"}
    when = entry.get("when")
    if isinstance(when, str) and (COMPILER.search(when) or ARCH.search(when)):
        kept.dropped["requirements on a compiler or target not kept (images build with the OS compiler "
                     "for labforge.yaml's target)"].add(name)
        return None
    for key in ("spec",):
        if isinstance(entry.get(key), str):
            adapted = adapt_constraint(entry[key])
            if adapted != entry[key]:
                kept.dropped["targets and compilers dropped from requirements"].add(name)
            if not adapted:
                return None
            entry[key] = adapted
    for key in ("one_of", "any_of"):
        if isinstance(entry.get(key), list):
            adapted = [adapt_constraint(v) if isinstance(v, str) else v for v in entry[key]]
            entry[key] = [v for v in adapted if v != ""]
            if not entry[key]:
                return None
    return entry["spec"] if set(entry) == {"spec"} else entry


def _externals(kept: Kept, name: str, value: object) -> object:
    if not isinstance(value, list):
        return value
    out = []
    for external in value:
        if isinstance(external, dict) and "prefix" not in external and "modules" in external:
            kept.dropped["externals found through modules not kept (an image has no site modules)"].add(name)
            continue
        if isinstance(external, dict):
            external = {k: external[k] for k in ("spec", "prefix") if k in external}
        out.append(external)
    return out
