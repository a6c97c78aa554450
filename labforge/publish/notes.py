"""Release notes: what changed for users between two releases, as Markdown."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from ..inputs.releases import Release


def _key(version: str) -> tuple:
    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (0, Version("0"), version)


def newest(versions: list[str]) -> str:
    return max(versions, key=_key)


def diff_releases(old: Release, new: Release, packages: list[str] | None = None) -> str:
    """`packages`: the package-level section from the two locks (spackbuild.packagediff), if any."""
    before = {t.name: t for t in old.tools}
    after = {t.name: t for t in new.tools}
    sections: dict[str, list[str]] = {k: [] for k in
                                      ("Added", "Removed", "Upgraded", "Downgraded", "Default changes",
                                       "Other version changes", "JupyterLab extras")}
    for name in sorted(after.keys() - before.keys()):
        sections["Added"].append(f"- **{name}** {', '.join(after[name].versions)}")
    for name in sorted(before.keys() - after.keys()):
        sections["Removed"].append(f"- **{name}** {', '.join(before[name].versions)}")
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        top_a, top_b = newest(a.versions), newest(b.versions)
        kept = sorted(set(a.versions) & set(b.versions), key=_key)
        note = f" (still available: {', '.join(kept)})" if kept and top_a != top_b else ""
        if _key(top_b) > _key(top_a):
            sections["Upgraded"].append(f"- **{name}** {top_a} → {top_b}{note}")
        elif _key(top_b) < _key(top_a):
            sections["Downgraded"].append(f"- **{name}** {top_a} → {top_b}{note}")
        elif set(a.versions) != set(b.versions):
            added = sorted(set(b.versions) - set(a.versions), key=_key)
            dropped = sorted(set(a.versions) - set(b.versions), key=_key)
            parts = ([f"added {', '.join(added)}"] if added else []) + ([f"dropped {', '.join(dropped)}"] if dropped else [])
            sections["Other version changes"].append(f"- **{name}** {'; '.join(parts)}")
        if a.default_version != b.default_version:
            sections["Default changes"].append(
                f"- **{name}**: `module load {name}` now loads {b.default_version} (was {a.default_version})")
    old_extras, new_extras = set(old.jupyterlab.extras), set(new.jupyterlab.extras)
    sections["JupyterLab extras"] += [f"- added `{x}`" for x in sorted(new_extras - old_extras)]
    sections["JupyterLab extras"] += [f"- removed `{x}`" for x in sorted(old_extras - new_extras)]

    lines = [f"# Release {new.id}", "", f"Changes against release {old.id}.", ""]
    if new.notes.strip():
        lines += [new.notes.strip(), ""]
    changed = False
    for title, items in sections.items():
        if items:
            changed = True
            lines += [f"## {title}", "", *items, ""]
    if not changed:
        lines += ["No tool changes.", ""]
    lines += packages or []
    return "\n".join(lines)
