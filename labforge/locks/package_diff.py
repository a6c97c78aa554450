"""Package-level release notes from two locks: what is installed in the image that changed."""

from __future__ import annotations

from .lockfile import Lock


def installed(lock: Lock) -> dict[str, set[tuple[str, str]]]:
    """Package name -> {(version, hash)} of what the image holds (run-time closure)."""
    by_name: dict[str, set[tuple[str, str]]] = {}
    for digest in lock.runtime_closure():
        node = lock.nodes[digest]
        by_name.setdefault(node.name, set()).add((node.version, digest))
    return by_name


def _show(entries: set[tuple[str, str]]) -> str:
    return ", ".join(f"{v} ({h[:7]})" for v, h in sorted(entries))


def package_changes(old: Lock, new: Lock) -> dict[str, list[str]]:
    before, after = installed(old), installed(new)
    changes: dict[str, list[str]] = {"Packages added": [], "Packages removed": [], "Packages changed": []}
    for name in sorted(after.keys() - before.keys()):
        changes["Packages added"].append(f"- `{name}` {_show(after[name])}")
    for name in sorted(before.keys() - after.keys()):
        changes["Packages removed"].append(f"- `{name}` {_show(before[name])}")
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        if a == b:
            continue
        if {v for v, _ in a} == {v for v, _ in b}:
            what = "rebuilt (same version, new hash: a dependency or variant changed)"
        else:
            what = "version"
        changes["Packages changed"].append(f"- `{name}` {_show(a)} → {_show(b)}: {what}")
    return changes


def package_section(old: Lock | None, new: Lock | None) -> list[str]:
    """Markdown lines; says plainly when a lock is missing."""
    if old is None or new is None:
        return ["## Packages", "", "Not compared: both releases need a lock (labforge release lock ID).", ""]
    changes = package_changes(old, new)
    counts = ", ".join(f"{len(items)} {title.split()[1]}" for title, items in changes.items())
    lines = ["## Packages", "", f"Installed packages: {len(old.runtime_closure())} → "
             f"{len(new.runtime_closure())} ({counts}).", ""]
    for title, items in changes.items():
        if items:
            lines += [f"### {title}", "", *items, ""]
    return lines
