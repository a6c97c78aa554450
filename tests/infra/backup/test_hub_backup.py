"""The hub's backup and restore, rehearsed with the real parts: a real JupyterHub (the plan's
services, roles and config) with users, an API token, lab-share grants and running servers is
backed up *while it runs and writes* (infra/backup/pod/lab_backup.py, SQLite's online backup, the
real restic), then restored into a fresh hub (lab_restore.py): the users are there, the token
still works, the grants are still served. And the faults: a restore into a running hub, a refused
password, a store that is not there, a damaged repository, a backup killed halfway."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.helpers.backups import POD, backup, repository, restic, restore
from tests.helpers.token_loopback import Iam, running_hub

pytestmark = [pytest.mark.drills,
              pytest.mark.skipif(not shutil.which("restic"), reason="restic is installed by 'make system'")]
USERS = ("alice", "bob", "carol")


@pytest.fixture(scope="module")
def iam():
    iam = Iam()
    yield iam
    iam.server.shutdown()


def call(url: str, token: str, method: str = "GET", body=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def hub_files(work) -> list[str]:
    return ["--db", str(work / "jupyterhub.sqlite"), "--grants", str(work / "lab-share" / "grants.json")]


def test_a_running_hub_is_backed_up_and_restored_into_a_fresh_one(tmp_path, iam):
    key, repo = secrets.token_hex(32), repository(tmp_path / "repo")
    work, fresh = tmp_path / "hub", tmp_path / "fresh"
    work.mkdir()
    with running_hub(work, iam, USERS, crypt_key=key) as hub:
        token = hub.api("POST", "/users/alice/tokens", {"note": "analysis script", "expires_in": 30 * 86400})["token"]
        call(hub.share_url + "grants", token, "POST", {"folder": "results/run-7", "user": "bob", "read_only": True})
        assert all(u["servers"][""]["ready"] for u in hub.api("GET", "/users") if u["name"] in USERS)
        # the hub keeps writing while the backup copies its database
        stop, added = threading.Event(), []

        def writer():
            while not stop.is_set():
                name = f"late-{len(added)}"
                hub.api("POST", f"/users/{name}")
                added.append(name)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            time.sleep(0.5)
            done = backup(repo, "hub", *hub_files(work))
        finally:
            stop.set()
            thread.join()
        assert done.returncode == 0 and "hub: snapshot" in done.stdout and "grants" in done.stdout, done.stderr
        assert len(added) > 2, "the hub wrote nothing while the backup ran"
        before = {u["name"] for u in hub.api("GET", "/users")}
        # a restore into a hub that is running is refused, and writes nothing
        refused = restore(repo, "hub", "--into", str(fresh), "--hub-url", hub.url)
        assert refused.returncode == 1 and "stop it first" in refused.stderr and not fresh.exists()
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    restored = restore(repo, "hub", "--into", str(fresh), "--hub-url", hub.url)
    assert restored.returncode == 0 and "start the hub" in restored.stdout, restored.stderr
    with running_hub(fresh, iam, (), crypt_key=key) as again:
        names = {u["name"] for u in again.api("GET", "/users")}
        assert set(USERS) <= names <= before and any(n.startswith("late-") for n in names)
        assert call(f"{again.url}/hub/api/user", token)["name"] == "alice"  # her script's token still works
        grants = call(again.share_url + "grants", token)
        assert grants["given"] == [{"user": "bob", "folder": "results/run-7", "read_only": True}]


def test_refused_credentials_and_a_missing_store_are_one_line_and_nothing_is_made(tmp_path):
    work = tmp_path / "hub"
    (work / "lab-share").mkdir(parents=True)
    subprocess.run(["sqlite3", str(work / "jupyterhub.sqlite"), "create table alembic_version(version_num text);"],
                   check=True)
    repo = repository(tmp_path / "repo")
    assert backup(repo, "hub", *hub_files(work)).returncode == 0
    wrong = backup({**repo, "RESTIC_PASSWORD": "not-the-password"}, "hub", *hub_files(work))
    assert wrong.returncode == 1 and "refused the credentials" in wrong.stderr and wrong.stderr.count("\n") == 1
    gone = backup(repository(tmp_path / "nowhere" / "repo") | {"RESTIC_REPOSITORY": "rest:http://127.0.0.1:9/x"},
                  "hub", *hub_files(work))
    assert gone.returncode == 1 and gone.stderr.startswith("error: ") and "Traceback" not in gone.stderr
    assert len(json.loads(restic(repo, "snapshots", "--json").stdout)) == 1  # nothing new, nothing half


def test_a_damaged_repository_is_detected_and_its_backup_refused(tmp_path):
    work = tmp_path / "hub"
    (work / "lab-share").mkdir(parents=True)
    subprocess.run(["sqlite3", str(work / "jupyterhub.sqlite"),
                    "create table alembic_version(version_num text); create table users(name text);"
                    "insert into users values ('alice');"], check=True)
    (work / "lab-share" / "grants.json").write_text('{"grants": []}\n')
    repo = repository(tmp_path / "repo")
    assert backup(repo, "hub", *hub_files(work)).returncode == 0
    assert backup(repo, "check", "--read-data-subset", "100%").returncode == 0
    packs = sorted((tmp_path / "repo" / "data").rglob("*"), key=lambda p: p.stat().st_size if p.is_file() else 0)
    damaged = packs[-1]
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])  # truncated, as a lost write leaves it
    checked = backup(repo, "check", "--read-data-subset", "100%")
    assert checked.returncode == 1 and checked.stderr.startswith("error: restic check failed")
    assert checked.stderr.count("\n") == 1
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    refused = restore(repo, "hub", "--into", str(fresh), "--hub-url", "http://127.0.0.1:9")
    assert refused.returncode == 1 and "the backup repository is damaged" in refused.stderr
    assert refused.stderr.count("\n") == 1 and list(fresh.iterdir()) == []


def test_a_backup_killed_halfway_leaves_the_newest_whole_snapshot_and_the_next_run_catches_up(tmp_path):
    drive, repo = tmp_path / "drive", repository(tmp_path / "repo")
    (drive / "users" / "ada").mkdir(parents=True)
    (drive / "users" / "ada" / "first.txt").write_text("first\n")
    assert backup(repo, "folder", str(drive), "--target", "drive").returncode == 0
    for i in range(48):  # enough that the next run writes several packs: 48 MiB that do not compress
        (drive / "users" / "ada" / f"big-{i}.bin").write_bytes(secrets.token_bytes(1 << 20))
    packs = set((tmp_path / "repo" / "data").rglob("*"))
    run = subprocess.Popen([sys.executable, str(POD / "lab_backup.py"), "folder", str(drive), "--target", "drive"],
                           env={**os.environ, **repo}, start_new_session=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not set((tmp_path / "repo" / "data").rglob("*")) - packs:
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)  # halfway through its packs; a node lost: no cleanup at all
    assert run.wait() == -signal.SIGKILL
    snapshots = json.loads(restic(repo, "snapshots", "--json").stdout)
    assert len(snapshots) == 1  # the killed run made none: the newest is still the whole first one
    assert restic(repo, "--no-lock", "check").returncode == 0  # whole (its lock is the killed run's: stale later)
    again = backup(repo, "folder", str(drive), "--target", "drive")  # its stale lock does not stop it
    assert again.returncode == 0, again.stderr
    newest = json.loads(restic(repo, "snapshots", "--json", "--latest", "1").stdout)[-1]
    listed = restic(repo, "ls", newest["id"]).stdout
    assert "/users/ada/big-39.bin" in listed and "/users/ada/first.txt" in listed
