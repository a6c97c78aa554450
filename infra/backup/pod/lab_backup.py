"""A backup run, as the lab's backup CronJobs start it; standard library and the restic binary.

    lab_backup.py hub --db /srv/jupyterhub/jupyterhub.sqlite --grants /srv/jupyterhub/lab-share/grants.json
    lab_backup.py folder /drive --target drive          (a tree: the Drive, Harbor's registry volume)
    lab_backup.py stdin harbor-db.sql --target harbor-db < dump
    lab_backup.py check [--read-data-subset 10%]

`hub` copies the live database with SQLite's online backup API (a consistent copy while the hub
writes), checks the copy's integrity and the grants' JSON, and records both with a manifest of
their sha256. Every run unlocks stale locks of killed runs first, then backs up with `--host
lab-<target> --tag <target>`, then forgets what the retention (KEEP_LAST/HOURLY/DAILY/WEEKLY/MONTHLY)
no longer keeps. restic writes a snapshot last, after all its data: a run killed halfway leaves
no snapshot, so the newest snapshot is always a whole one. A successful `check` records a small
`check` snapshot, which the exporter's age alert watches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from lab_restic import Failed, main, open_repository, restic

RETENTION = {"KEEP_LAST": "--keep-last", "KEEP_HOURLY": "--keep-hourly", "KEEP_DAILY": "--keep-daily",
             "KEEP_WEEKLY": "--keep-weekly", "KEEP_MONTHLY": "--keep-monthly"}
MANIFEST = "labforge-backup.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def copy_database(db: Path, out: Path) -> str:
    """A consistent copy of a live SQLite database; its schema version (alembic's)."""
    if not db.is_file():
        raise Failed(f"{db}: no hub database here (is the hub's volume mounted?)")
    source = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)
    target = sqlite3.connect(out)
    try:
        source.backup(target)  # the online backup API: restarts by itself if the hub writes meanwhile
        if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise Failed(f"{db}: the copy fails SQLite's integrity check: the database itself is damaged")
        row = target.execute("SELECT version_num FROM alembic_version").fetchone() if _has(target, "alembic_version") \
            else None
        return row[0] if row else ""
    except sqlite3.Error as exc:
        raise Failed(f"{db}: cannot copy it: {exc}") from None
    finally:
        target.close()
        source.close()


def _has(connection, table: str) -> bool:
    return connection.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


def copy_grants(grants: Path, out: Path) -> bool:
    """The share grants as lab-share wrote them (it replaces the file whole): read once, checked."""
    if not grants.exists():
        return False  # nobody has shared a folder yet
    data = grants.read_bytes()
    try:
        json.loads(data)
    except ValueError:
        raise Failed(f"{grants}: not JSON: lab-share's store is damaged; restore it from an older snapshot") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return True


def backup_hub(db: Path, grants: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="lab-backup-") as tmp:
        staging = Path(tmp) / "hub"
        staging.mkdir()
        version = copy_database(db, staging / "jupyterhub.sqlite")
        has_grants = copy_grants(grants, staging / "lab-share" / "grants.json")
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        manifest = {"kind": "hub", "made": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "database_version": version, "files": {name: sha256(staging / name) for name in files}}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        snapshot = backup("hub", staging)
    grants_note = "grants" if has_grants else "no grants yet"
    return f"hub: snapshot {snapshot} (database version {version or 'unknown'}, {grants_note})"


def backup(target: str, folder: Path | None = None, stdin: bytes | None = None, stdin_name: str = "") -> str:
    """Snapshot `folder` (its contents at the snapshot's root, wherever it is mounted) or `stdin`."""
    open_repository(init=True)
    restic("unlock", timeout=600)  # only locks whose process is gone: a killed run's
    args = ["backup", "--host", f"lab-{target}", "--tag", target, "--json"]
    args += ["--stdin", "--stdin-filename", stdin_name] if stdin is not None else ["."]
    done = restic(*args, stdin=stdin, cwd=folder)
    summary = next((json.loads(line) for line in done.stdout.decode().splitlines()
                    if '"message_type":"summary"' in line.replace(" ", "")), {})
    forget(target)
    return summary.get("snapshot_id", "?")[:8]


def forget(target: str) -> None:
    keep = [arg for env, flag in RETENTION.items() if (value := os.environ.get(env)) for arg in (flag, value)]
    if keep:
        restic("forget", "--host", f"lab-{target}", "--tag", target, *keep, timeout=3600)


def check(subset: str) -> str:
    open_repository()
    restic("unlock", timeout=600)
    restic("check", timeout=24 * 3600)  # the structure first: a lost or truncated pack shows at once
    restic("check", f"--read-data-subset={subset}", timeout=24 * 3600)  # then the data; never prune a damaged one
    restic("prune", timeout=24 * 3600)  # what forget left behind, once a week
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    backup("check", stdin=stamp + b"\n", stdin_name="check-passed")
    return f"check: the repository is whole ({subset} of its data read back)"


def parse(argv=None):
    parser = argparse.ArgumentParser(description="A backup run of the lab (restic).")
    sub = parser.add_subparsers(dest="what", required=True)
    hub = sub.add_parser("hub")
    hub.add_argument("--db", type=Path, required=True)
    hub.add_argument("--grants", type=Path, required=True)
    folder = sub.add_parser("folder")
    folder.add_argument("path", type=Path)
    folder.add_argument("--target", required=True)
    stdin = sub.add_parser("stdin")
    stdin.add_argument("name")
    stdin.add_argument("--target", required=True)
    checking = sub.add_parser("check")
    checking.add_argument("--read-data-subset", default="10%")
    return parser.parse_args(argv)


def run(argv=None) -> str:
    args = parse(argv)
    if args.what == "hub":
        return backup_hub(args.db, args.grants)
    if args.what == "folder":
        if not args.path.is_dir():
            raise Failed(f"{args.path}: not a folder (is the volume mounted?)")
        return f"{args.target}: snapshot {backup(args.target, args.path)}"
    if args.what == "stdin":
        data = sys.stdin.buffer.read()
        if not data:
            raise Failed(f"{args.target}: nothing on standard input (did the dump fail?)")
        return f"{args.target}: snapshot {backup(args.target, stdin=data, stdin_name=args.name)}"
    return check(args.read_data_subset)


if __name__ == "__main__":
    main(run)
