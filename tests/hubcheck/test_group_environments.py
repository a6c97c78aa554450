"""Users' own environments on a real JupyterHub 5.5 (the hub-check hub: real proxy, the hub's
LabSpawner running the demo's image, the Drive hook mounting each user's Drive folders): a
group member builds a group environment from a wheel in her own server, and its kernel is in
her launcher at once and again after her server is stopped and started; a user outside the
group never sees it. Needs `make demo`'s images."""

from __future__ import annotations

import json
import os

import pytest

from labforge.hub.api import Hub
from labforge.hub.check import offered, run_code, stop_server, wait_ready
from labforge.suites.image.helpers import wheel
from tests.hubcheck.conftest import ADMIN

pytestmark = pytest.mark.hubcheck

GROUP, KERNEL = "collab-neuro", "lab-env-collab-neuro--shared"
CREATE = """
import subprocess
made = subprocess.run(["lab-env", "--group", "collab-neuro", "create", "shared", "--no-index",
                       "--wheel", "/home/jovyan/drive/My Libraries/{wheel}"], capture_output=True, text=True)
print("rc", made.returncode, made.stdout, made.stderr)
"""
PROBE = "import labdemo, sys; print('demo', labdemo.__version__, labdemo.__file__, sys.prefix)"


def kernels(hub: Hub, user: str) -> dict:
    return hub.fetch("GET", f"{hub.url}/user/{user}/api/kernelspecs")["kernelspecs"]


def start(hub: Hub, user: str, profile: str) -> None:
    hub.call("POST", f"/users/{user}/server", {"profile": profile})
    wait_ready(hub, user, 180)


def test_a_group_environment_is_seen_by_its_members_only_and_after_a_restart(hub):
    url, folder, catalog = hub
    admin = Hub(url, ADMIN, timeout=120)
    profile = next(slug for entry, slug in offered(catalog) if entry.id == "2026.11")
    admin.call("POST", "/users", {"usernames": ["alice", "bob"]})
    admin.call("POST", f"/groups/{GROUP}")
    admin.call("POST", f"/groups/{GROUP}/users", {"users": ["alice"]})
    # alice's wheel, in her own Drive folder
    mine = folder / "drive" / "users" / "alice"
    mine.mkdir(parents=True, exist_ok=True)
    os.chown(mine, 1000, 1000)
    name = os.path.basename(wheel(mine, "labdemo", "1.0"))
    try:
        for user in ("alice", "bob"):
            start(admin, user, profile)
        output, error = run_code(admin, "alice", "lab-2026.11", CREATE.format(wheel=name), 180)
        assert error is None and output.startswith("rc 0"), output + str(error)
        # at once: no server restart
        spec = kernels(admin, "alice")[KERNEL]["spec"]
        assert spec["display_name"].startswith("shared") and GROUP in spec["display_name"], spec
        assert KERNEL not in kernels(admin, "bob")  # bob is not in the group: no folder, no kernel
        assert not (folder / "drive" / "groups" / GROUP / ".lab-envs" / "envs" / "shared").is_symlink()
        # and after the server was stopped and started again: the kernel lives on the Drive
        stop_server(admin, "alice", 120)
        start(admin, "alice", profile)
        assert KERNEL in kernels(admin, "alice")
        output, error = run_code(admin, "alice", KERNEL, PROBE, 180)
        assert error is None and output.startswith("demo 1.0 "), output + str(error)
        assert "/drive/Shared with groups/collab-neuro/.lab-envs/" in output, output  # the group's build
        record = json.loads(next((folder / "drive" / "groups" / GROUP / ".lab-envs" / "envs" / "shared" / "builds")
                                 .glob("*/record.json")).read_text())
        assert record["release"] == "2026.11", record
    finally:
        for user in ("alice", "bob"):
            stop_server(admin, user, 120)
