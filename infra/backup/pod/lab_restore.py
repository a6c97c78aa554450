"""Restores, as ops run them (runbooks "Restore the lab" and "Give a user a folder back"):

    lab_restore.py hub --into /srv/jupyterhub [--before 2026-12-01T18:00] [--hub-url http://hub:8081]
    lab_restore.py folder --drive /drive --user alice --path "results/run-7" [--before 2026-12-01]
    lab_restore.py list [--target drive]

`hub` refuses while a hub answers at --hub-url (scale it to 0 first): a running hub would write
over the restored database. It restores the newest hub snapshot taken before --before, checks
every file against the snapshot's manifest and the database's integrity, then puts them in place;
what was there is kept next to them (`*.before-restore-<time>`).

`folder` gives one user back one folder of their Drive as it was: only paths under
`users/<user>/` are read from the snapshot, the result lands in that user's folder only (where it
was when it is gone, else beside it as `<folder>.restored-<date>`), and nothing existing is
overwritten. A path that leaves the user's folder, runs through a link, or names another user's
folder is refused before anything is read. Standard library and the restic binary only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from lab_restic import Failed, main, open_repository, reason, restic, snapshots

USER = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}", re.ASCII)  # the hub's user names (lab-share's rule)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MANIFEST = "labforge-backup.json"


def moment(text: str | None) -> dt.datetime:
    if text is None:
        return dt.datetime.now(dt.timezone.utc)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Failed(f"--before {text[:40]!r}: write a date or time, e.g. 2026-12-01 or 2026-12-01T18:00") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def chosen(target: str, before: str | None) -> dict:
    """The newest snapshot of `target` taken before `before`."""
    limit = moment(before)
    found = [s for s in snapshots("--tag", target, "--host", f"lab-{target}") if taken(s) <= limit]
    if not found:
        raise Failed(f"no {target} snapshot taken before {limit:%Y-%m-%d %H:%M} UTC (lab_restore.py list shows them)")
    return found[-1]


def taken(snapshot: dict) -> dt.datetime:
    """restic's time (nanoseconds, Z or an offset) as a datetime."""
    match = re.fullmatch(r"([0-9-]{10}T[0-9:]{8})(?:\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})", snapshot["time"], re.ASCII)
    if not match:
        raise Failed(f"snapshot {snapshot.get('short_id')}: unreadable time {snapshot['time'][:40]!r}")
    zone = "+00:00" if match.group(2) == "Z" else match.group(2)
    return dt.datetime.fromisoformat(match.group(1) + zone)


def whole() -> None:
    """The repository opens and its structure is whole (`restic check`: every index, pack size and
    snapshot tree; a truncated or lost pack shows here), before anything is restored from it."""
    open_repository()
    checked = restic("--no-lock", "check", check=False, timeout=24 * 3600)  # a backup may run meanwhile
    if checked.returncode != 0:
        raise Failed(f"the backup repository is damaged ({reason(checked)}): nothing was restored; "
                     "restore from Velero's snapshot or an older repository copy")


def hub_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/hub/api/", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, even if not with 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def restore_hub(into: Path, before: str | None, hub_url: str) -> str:
    if hub_answers(hub_url):
        raise Failed(f"a hub answers at {hub_url}: stop it first (kubectl scale deploy/hub --replicas=0), "
                     "or it writes over what is restored")
    whole()
    snapshot = chosen("hub", before)
    with tempfile.TemporaryDirectory(prefix="lab-restore-", dir=into.parent if into.parent.exists() else None) as tmp:
        staging = Path(tmp)
        restic("restore", snapshot["id"], "--target", str(staging), timeout=3600)
        manifest = verified(staging)
        if sqlite3.connect(staging / "jupyterhub.sqlite").execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise Failed(f"snapshot {snapshot['short_id']}: its database fails SQLite's integrity check")
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        for name in sorted(manifest["files"]):
            place(staging / name, into / name, f".before-restore-{stamp}")
    return (f"hub: restored snapshot {snapshot['short_id']} of {snapshot['time'][:16]} UTC into {into} "
            f"(database version {manifest.get('database_version') or 'unknown'}); start the hub")


def verified(staging: Path) -> dict:
    """The snapshot's manifest, every file it names present with its sha256."""
    try:
        manifest = json.loads((staging / MANIFEST).read_text())
    except (OSError, ValueError):
        raise Failed("the snapshot has no readable manifest: not a hub backup of labforge") from None
    for name, digest in manifest.get("files", {}).items():
        path = staging / name
        if not path.is_file() or "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise Failed(f"the snapshot's {name} does not match its manifest: the backup is damaged")
    return manifest


def place(source: Path, target: Path, keep_suffix: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.replace(target, target.with_name(target.name + keep_suffix))
    shutil.copy2(source, target.with_name(target.name + ".restoring"))
    os.replace(target.with_name(target.name + ".restoring"), target)


def user_folder(drive: Path, user: str, path: str) -> tuple[Path, str]:
    """The user's folder on the Drive and the checked relative path; refuses anything else."""
    if not USER.fullmatch(user):
        raise Failed(f"--user {user[:40]!r} is not a hub user name")
    if not path or len(path.encode()) > 1024 or CONTROL.search(path) or path.startswith("/"):
        raise Failed("--path: a folder inside the user's Drive folder, relative, e.g. results/run-7")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise Failed(f"--path {path[:80]!r} leaves the user's folder")
    home = drive / "users" / user
    if home.is_symlink() or not home.is_dir():
        raise Failed(f"{user} has no folder on the Drive")
    here = home
    for part in parts:
        here = here / part
        if here.is_symlink():
            raise Failed(f"--path runs through a link ({'/'.join(parts[:parts.index(part) + 1])}): give the real folder")
    return home, "/".join(parts)


def restore_folder(drive: Path, user: str, path: str, before: str | None) -> str:
    home, rel = user_folder(drive, user, path)
    whole()
    snapshot = chosen("drive", before)
    wanted = f"/users/{user}/{rel}"
    with tempfile.TemporaryDirectory(prefix="lab-restore-", dir=drive) as tmp:
        staging = Path(tmp)
        restic("restore", snapshot["id"], "--target", str(staging), "--include", wanted, timeout=24 * 3600)
        found = staging / "users" / user / rel
        if not found.exists() or found.is_symlink():
            raise Failed(f"{user}/{rel} is not in snapshot {snapshot['short_id']} of {snapshot['time'][:10]}")
        strays = [p for p in staging.rglob("*") if not (p == found or found in p.parents or p in found.parents)]
        if strays:  # never the case with --include; checked so that nobody else's file is ever touched
            raise Failed("the snapshot gave back more than the folder asked for: nothing was written")
        target = home / rel
        if target.exists() or target.is_symlink():
            target = target.with_name(f"{target.name}.restored-{snapshot['time'][:10]}")
        if target.exists() or target.is_symlink():
            raise Failed(f"{target.relative_to(home)} exists already: move it away first")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(found, target)  # same file system (the staging folder is on the Drive): whole or nothing
    return f"{user}: {rel} as of {snapshot['time'][:16]} UTC is back, at {target.relative_to(home)}"


def listing(target: str) -> str:
    open_repository()
    rows = [f"{s['short_id']}  {s['time'][:19]}  {','.join(s.get('tags') or [])}"
            for s in snapshots("--tag", target, "--host", f"lab-{target}")]
    return "\n".join(rows) or f"no {target} snapshots"


def parse(argv=None):
    parser = argparse.ArgumentParser(description="Restore the lab's hub, or one user's folder.")
    sub = parser.add_subparsers(dest="what", required=True)
    hub = sub.add_parser("hub")
    hub.add_argument("--into", type=Path, required=True)
    hub.add_argument("--before")
    hub.add_argument("--hub-url", default="http://hub:8081")
    folder = sub.add_parser("folder")
    folder.add_argument("--drive", type=Path, required=True)
    folder.add_argument("--user", required=True)
    folder.add_argument("--path", required=True)
    folder.add_argument("--before")
    shown = sub.add_parser("list")
    shown.add_argument("--target", default="hub")
    return parser.parse_args(argv)


def run(argv=None) -> str:
    args = parse(argv)
    if args.what == "hub":
        return restore_hub(args.into, args.before, args.hub_url)
    if args.what == "folder":
        return restore_folder(args.drive, args.user, args.path, args.before)
    return listing(args.target)


if __name__ == "__main__":
    main(run)
