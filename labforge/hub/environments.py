"""`labforge hub usage --drive DIR`: users' and groups' own environments (lab-env) per release,
read from the Drive share mounted on an admin machine (its users/ and groups/ folders), so that
deprecating or retiring a release shows whose environments it affects.

Everything on the Drive is the users' data: only the layout lab-env writes is read, through no
link, each record bounded in size; what does not fit is counted as unreadable, never followed.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..inputs.releases import IMAGE_ID

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # lab_env_store.py's names (shipped in the image, it imports nothing)
OWNER = re.compile(r"[A-Za-z0-9._@+-]{1,63}")
MAX_RECORD = 64 * 1024
MAX_ENVIRONMENTS = 100_000  # a Drive of a very large lab; past it the count says it stopped


@dataclass(frozen=True)
class Environment:
    owner: str  # a user's name, or "group:NAME"
    name: str
    release: str  # "unreadable" when the record is missing, too large or not lab-env's


def _plain(path: Path) -> bool:
    return not path.is_symlink() and path.is_dir()


def _record(build: Path) -> str:
    """The release the active build records, or "unreadable"."""
    record = build / "record.json"
    try:
        if record.is_symlink() or not record.is_file() or record.stat().st_size > MAX_RECORD:
            return "unreadable"
        with open(record, "rb") as handle:
            data = json.loads(handle.read(MAX_RECORD + 1))
    except (OSError, ValueError):
        return "unreadable"
    release = data.get("release") if isinstance(data, dict) else None
    return release if isinstance(release, str) and IMAGE_ID.fullmatch(release) else "unreadable"


def environments(drive: Path) -> tuple[list[Environment], bool]:
    """Every environment on the Drive (users/ and groups/), and whether the scan stopped early."""
    found: list[Environment] = []
    for top, label in (("users", "{}"), ("groups", "group:{}")):
        base = drive / top
        if not _plain(base):
            continue
        for owner in sorted(os.listdir(base)):
            envs = base / owner / ".lab-envs" / "envs"
            if not OWNER.fullmatch(owner) or not _plain(base / owner) or not _plain(envs.parent) or not _plain(envs):
                continue
            for name in sorted(os.listdir(envs)):
                if not NAME.fullmatch(name) or not _plain(envs / name):
                    continue
                current = envs / name / "current"
                target = os.readlink(current) if current.is_symlink() else ""
                # lab-env's own link, builds/N, inside the environment's folder
                ok = re.fullmatch(r"builds/[0-9]{1,6}", target) and _plain(envs / name / target)
                found.append(Environment(label.format(owner), name, _record(envs / name / target) if ok
                                         else "unreadable"))
                if len(found) >= MAX_ENVIRONMENTS:
                    return found, True
    return found, False


def per_release(found: list[Environment]) -> list[dict]:
    """Per release: how many environments, and their owners in the order found (once each)."""
    counts: dict[str, int] = {}
    owners: dict[str, dict[str, None]] = {}  # a dict as an ordered set: 100,000 environments stay linear
    for env in found:
        counts[env.release] = counts.get(env.release, 0) + 1
        owners.setdefault(env.release, {})[env.owner] = None
    return [{"release": release, "environments": counts[release], "owners": list(owners[release])}
            for release in sorted(counts)]
