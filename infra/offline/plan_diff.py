"""What a change does to the plan, for a merge request: resources added, removed and changed, and
for each changed one the inputs (chart values included) that differ, key by key.

`python -m infra.offline.plan --against OLD` compares with OLD: a plan.json, or a git ref whose
plan is made in a scratch worktree with that ref's own program, stack file and catalog (what is
deployed now, when OLD is the branch ops deploy from)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTH = 100  # characters of a value shown before it is cut


def flat(value, prefix: str = "") -> dict[str, object]:
    """Leaves of `value` by their path: values.hub.config.X, tools[2].name."""
    if isinstance(value, dict) and value:
        out: dict[str, object] = {}
        for key in sorted(value):
            out |= flat(value[key], f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, item in enumerate(value):
            out |= flat(item, f"{prefix}[{i}]")
        return out
    return {prefix: value}


def shown(value) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."


def diff_plans(old: dict, new: dict) -> list[str]:
    before = {r["urn"]: r for r in old["resources"]}
    after = {r["urn"]: r for r in new["resources"]}
    lines: list[str] = []
    for urn in sorted(after.keys() - before.keys()):
        lines.append(f"+ {after[urn]['type']}  {after[urn]['name']}")
    for urn in sorted(before.keys() - after.keys()):
        lines.append(f"- {before[urn]['type']}  {before[urn]['name']}")
    for urn in sorted(before.keys() & after.keys()):
        changes = _changes(before[urn], after[urn])
        if changes:
            lines.append(f"~ {after[urn]['type']}  {after[urn]['name']}")
            lines += [f"    {line}" for line in changes]
    return lines


def _changes(old: dict, new: dict) -> list[str]:
    a = flat({k: old.get(k) for k in ("inputs", "dependencies", "parent", "provider")})
    b = flat({k: new.get(k) for k in ("inputs", "dependencies", "parent", "provider")})
    lines = []
    for key in sorted(a.keys() | b.keys()):
        if a.get(key, ...) == b.get(key, ...):
            continue
        name = key.removeprefix("inputs.")
        if key not in a:
            lines.append(f"{name}: added {shown(b[key])}")
        elif key not in b:
            lines.append(f"{name}: removed (was {shown(a[key])})")
        else:
            lines.append(f"{name}: {shown(a[key])} -> {shown(b[key])}")
    return lines


def summary_line(lines: list[str]) -> str:
    counts = {sign: sum(1 for line in lines if line.startswith(sign + " ")) for sign in "+-~"}
    return f"{counts['+']} to add, {counts['-']} to remove, {counts['~']} to change"


def plan_shaped(data: bytes, shown: str) -> dict:
    """A plan document as `make plan` writes it, or ValueError naming what is wrong."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise ValueError(f"--against {shown}: not JSON: not a plan.json of `make plan`") from None
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(resources, list) or not all(
            isinstance(r, dict) and isinstance(r.get("urn"), str) and isinstance(r.get("type"), str)
            and isinstance(r.get("name"), str) and isinstance(r.get("inputs", {}), dict) for r in resources):
        raise ValueError(f"--against {shown}: not a plan.json of `make plan` (no list of resources with urn, type, "
                         "name and inputs)")
    return document


def old_plan(against: str, stack_file: Path, repo: Path) -> dict:
    """The plan document of `against`: a plan.json file, or a git ref planned in a worktree."""
    shown = repr(against[:80]) if not against.isprintable() else against[:80]
    path = Path(against)
    if path.is_file():
        return plan_shaped(path.read_bytes()[: 64 * 2**20], shown)
    if against.startswith("-") or not against.isprintable():
        raise ValueError(f"--against {shown}: neither a plan.json nor a git ref (a ref does not start with '-')")
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options",
                             f"{against}^{{commit}}"], capture_output=True, text=True)
    if commit.returncode != 0 or not commit.stdout.strip():
        raise ValueError(f"--against {shown}: neither a plan.json nor a git ref here")
    with tempfile.TemporaryDirectory(prefix="labforge-plan-") as tmp:
        tree = Path(tmp) / "tree"
        added = subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "--quiet", "--", str(tree),
                                commit.stdout.strip()], capture_output=True, text=True)
        if added.returncode != 0:
            raise ValueError(f"--against {shown}: git could not check it out "
                             f"({added.stderr.strip().splitlines()[-1][:200] if added.stderr.strip() else 'git failed'})")
        try:
            relative = stack_file.resolve().relative_to(repo) if stack_file.resolve().is_relative_to(repo) else None
            stack = tree / relative if relative and (tree / relative).exists() else stack_file
            out = Path(tmp) / "plan"
            made = subprocess.run([sys.executable, "-m", "infra.offline.plan", "--stack-file", str(stack),
                                   "--out", str(out)], cwd=tree, capture_output=True, text=True)
            if made.returncode != 0:
                raise ValueError(f"--against {against}: its plan failed: {made.stderr.strip()[-300:]}")
            return plan_shaped((out / "plan.json").read_bytes(), shown)
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], capture_output=True)
