"""Release notes: what changed for users between two releases, as Markdown."""

from __future__ import annotations

from ..inputs.project import Project
from ..inputs.releases import Release, release_ids, require_release
from ..inputs.versions import newest
from ..inputs.versions import version_key as _key
from ..locks.lockfile import release_lock
from ..locks.package_diff import package_section


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
    lines += provided(new)
    return "\n".join(lines)


def provided(release: Release) -> list[str]:
    """The packages the image takes from its base instead of building (externals of `packages:`)."""
    items = [f"- {external.spec} from `{external.prefix}`" + ("" if rule.buildable else " (never built)")
             for rule, external in release.externals]
    return ["## Provided by the base image", "", *items, ""] if items else []


def release_notes(project: Project, release_id: str, against: str | None = None) -> str:
    """The release notes of `release_id` (Markdown): its changes against `against`, by default the
    release before it (for `release publish`'s bundle and `release diff`), with the package-level
    section from both locks; a release with nothing before it gets its own notes only."""
    loaded = require_release(project, release_id)
    against = against if against is not None else previous_release(project, loaded.release.id)
    if against is None:
        return "\n".join([f"# Release {loaded.release.id}", "", loaded.release.notes, *provided(loaded.release)])
    packages = package_section(release_lock(project, against), release_lock(project, loaded.id))
    return diff_releases(require_release(project, against).release, loaded.release, packages)


def previous_release(project: Project, release_id: str) -> str | None:
    """The stable release before `release_id` (for the experimental channel: the newest stable)."""
    stable = [r for r in release_ids(project) if r != "experimental"]
    if release_id == "experimental":
        return stable[-1] if stable else None
    older = [r for r in stable if r < release_id]
    return older[-1] if older else None
