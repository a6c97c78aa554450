"""Users' modules are their tools: each tool module carries its hidden dependencies' environment.

Part of the labforge build context (run by spack-stage.sh after `spack module lmod refresh`);
labforge copies it, never edit it in a render.

Spack's Lmod modules load the modules of their implicit dependencies (`depends_on("python/
3.11.2-4uehvdi")`). Those are hidden from `module avail`, but once loaded Lmod (8.6, Debian
bookworm's) lists them in `module list` and in the Lab's module panel, hashes and all, next to
the tools. Here every visible module gets the environment lines of the hidden modules it would
load, recursively, in their place: loading a tool sets the same environment, and only tools are
listed. An inlined `setenv` becomes `pushenv`, so unloading one of two tools that share a
dependency gives the other's value back. The hidden files stay, loaded by nothing.

    python3 spack-modules.py MODULES_ROOT [OTHER_ROOT...]

OTHER_ROOTs are read, never changed: a user's spack environment (lab-env) inlines the release's
hidden modules its own modules load.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LOADS = re.compile(r'^\s*(?:depends_on|load|always_load)\("([^"]+)"\)\s*$')
HIDDEN = re.compile(r'hide_version\("([^"]+)"\)')
ENVIRONMENT = re.compile(r"^\s*(prepend_path|append_path|remove_path|setenv|unsetenv|pushenv)\(")


def module_files(root: Path) -> dict[str, Path]:
    """Module name (NAME/VERSION, as `module load` takes it) -> file, over every module tree
    (each folder holding NAME/VERSION.lua files, e.g. linux-debian12-x86_64/Core)."""
    found = {}
    for path in sorted(root.rglob("*.lua")):
        if not path.name.startswith("."):
            found[f"{path.parent.name}/{path.stem}"] = path
    return found


def hidden_names(root: Path) -> set[str]:
    names = set()
    for rc in root.rglob(".modulerc.lua"):
        names |= set(HIDDEN.findall(rc.read_text(encoding="utf-8")))
    return names


def inlined(name: str, files: dict[str, Path], hidden: set[str], seen: set[str]) -> list[str]:
    """The environment lines of hidden module `name` and of the hidden modules it loads."""
    if name in seen or name not in files:
        return []
    seen.add(name)
    lines = []
    for line in files[name].read_text(encoding="utf-8").splitlines():
        load = LOADS.match(line)
        if load and load.group(1) in hidden:
            lines += inlined(load.group(1), files, hidden, seen)
        elif load:
            lines.append(line.strip())  # a tool loading another tool: it stays a module of its own
        elif ENVIRONMENT.match(line):
            lines.append(re.sub(r"^\s*setenv\(", "pushenv(", line.strip()))
    return lines


def rewrite(path: Path, files: dict[str, Path], hidden: set[str]) -> bool:
    out, emitted, changed = [], set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        load = LOADS.match(line)
        if not (load and load.group(1) in hidden):
            out.append(line)
            emitted.add(line.strip())
            continue
        changed = True
        out.append(f"-- {load.group(1)}: an implicit dependency, its environment inlined (spack-modules.py)")
        for env in inlined(load.group(1), files, hidden, set()):
            if env not in emitted:
                out.append(env)
                emitted.add(env)
    if changed:
        path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return changed


def main(root: Path, others: list[Path]) -> int:
    files, hidden = module_files(root), hidden_names(root)
    visible = [name for name in files if name not in hidden]
    for other in others:  # the root's own files win a name
        files = {**module_files(other), **files}
        hidden |= hidden_names(other)
    rewritten = [name for name in visible if rewrite(files[name], files, hidden)]
    print(f"spack-modules: {len(visible)} tool modules, {len(rewritten)} with their {len(hidden)} hidden "
          "dependencies' environment inlined")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]]))
