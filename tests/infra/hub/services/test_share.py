"""lab-share against a real JupyterHub (5.5, with the plan's services, roles and extraConfig, on
loopback): users play their notebooks with the image's real `lab-share` command and their own
server's environment; then the Drive hook turns the stored grants into the grantee's mounts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from infra.hub.pod import share_service
from infra.hub.pod.drive_hook import drive_mounts, read_grants
from tests.helpers.project import REPO
from tests.helpers.token_loopback import Iam, running_hub

COMMAND = REPO / "images" / "notebook" / "files" / "lab_share.py"
USERS = ("alice", "bob", "carol")
SETTINGS = {"claim": "lab-drive", "volume": "lab-drive", "root": "/home/jovyan/drive", "groups": [],
            "patterns": [], "max_groups": 3, "image": "img", "uid": 1000, "gid": 1000}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    iam = Iam()
    try:
        with running_hub(tmp_path_factory.mktemp("hub"), iam, USERS) as hub:
            yield hub
    finally:
        iam.server.shutdown()


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """Each user's home with a Drive: `My Libraries` holds results/run-7, notes and a link."""
    root = tmp_path_factory.mktemp("homes")
    for user in USERS:
        own = root / user / "drive" / "My Libraries"
        (own / "results" / "run-7").mkdir(parents=True)
        (own / "notes").mkdir()
        (own / "elsewhere").symlink_to(root / "carol")
    return root


def lab_share(hub, homes, user: str, *args: str) -> subprocess.CompletedProcess:
    env = {**hub.server_env(user), "PATH": os.environ["PATH"], "HOME": str(homes / user)}
    return subprocess.run([sys.executable, str(COMMAND), *args], env=env, capture_output=True, text=True, timeout=60)


def ask(hub, user: str, method: str, body=None, query: str = "") -> tuple[int, dict]:
    token = hub.server_env(user)["JUPYTERHUB_API_TOKEN"]
    request = urllib.request.Request(hub.share_url + "grants" + query, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_grant_list_and_revoke_with_the_command(hub, homes):
    added = lab_share(hub, homes, "alice", "add", "results/run-7", "bob", "--read-only")
    assert added.returncode == 0 and "shared results/run-7 with bob (read-only)" in added.stdout, added.stderr
    again = lab_share(hub, homes, "alice", "add", str(homes / "alice/drive/My Libraries/notes"), "bob")
    assert again.returncode == 0, again.stderr
    mine = json.loads(lab_share(hub, homes, "alice", "--json", "list").stdout)
    assert mine["given"] == [{"user": "bob", "folder": "results/run-7", "read_only": True},
                             {"user": "bob", "folder": "notes", "read_only": False}]
    theirs = json.loads(lab_share(hub, homes, "bob", "--json", "list").stdout)
    assert [g["owner"] for g in theirs["received"]] == ["alice", "alice"] and theirs["given"] == []
    # stored durably, on the hub's volume: a restarted service reads the same grants
    assert len(share_service.Grants(str(hub.share_store)).received("bob")) == 2
    # the hook mounts them for bob at his next start, read-only where asked
    _, mounts = drive_mounts("bob", [], SETTINGS, read_grants({"shares": {"store": str(hub.share_store)}}))
    shared = {m["mountPath"]: m["readOnly"] for m in mounts if m.get("shared")}
    assert shared == {"/home/jovyan/drive/Shared with me/alice/results/run-7": True,
                      "/home/jovyan/drive/Shared with me/alice/notes": False}
    removed = lab_share(hub, homes, "alice", "remove", "notes", "bob")
    assert removed.returncode == 0, removed.stderr
    left = read_grants({"shares": {"store": str(hub.share_store)}})
    assert [(g["folder"], g["user"]) for g in left] == [("results/run-7", "bob")]


def test_only_the_owner_revokes_and_nobody_names_another_users_folder(hub, homes):
    code, _ = ask(hub, "bob", "DELETE", query="?" + urllib.parse.urlencode({"folder": "results/run-7", "user": "bob"}))
    assert code == 404  # bob shares nothing: alice's grant is not his to revoke
    assert ask(hub, "alice", "GET")[1]["given"][0]["folder"] == "results/run-7"
    for folder in ("../alice/results", "/home/jovyan/drive/My Libraries/notes", "a/../../b", ".ssh", "{username}",
                   "a\\b", "", "x/" * 9):
        code, answer = ask(hub, "carol", "POST", {"folder": folder, "user": "bob"})
        assert code == 400 and answer["error"] == "bad_grant", (folder, answer)


def test_links_unknown_users_and_oneself_are_refused(hub, homes):
    link = lab_share(hub, homes, "alice", "add", "elsewhere", "bob")
    assert link.returncode == 1 and "is a link" in link.stderr and "Traceback" not in link.stderr
    outside = lab_share(hub, homes, "alice", "add", str(homes / "carol"), "bob")
    assert outside.returncode == 1 and "only folders under" in outside.stderr
    unknown = lab_share(hub, homes, "alice", "add", "notes", "mallory")
    assert unknown.returncode == 1 and "'mallory' is not a user of the Lab" in unknown.stderr
    oneself = lab_share(hub, homes, "alice", "add", "notes", "alice")
    assert oneself.returncode == 1 and "another user" in oneself.stderr


def test_a_user_gives_at_most_the_cap(hub):
    for index in range(share_service.MAX_GIVEN):
        code, _ = ask(hub, "carol", "POST", {"folder": f"f{index}", "user": "bob", "read_only": True})
        assert code == 201
    code, answer = ask(hub, "carol", "POST", {"folder": "one-more", "user": "bob"})
    assert code == 400 and "remove one first" in answer["message"]
    assert ask(hub, "carol", "POST", {"folder": "f0", "user": "bob", "read_only": False})[0] == 200  # a change


def test_calls_without_a_users_token_are_refused(hub):
    request = urllib.request.Request(hub.share_url + "grants")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    outside = subprocess.run([sys.executable, str(COMMAND), "list"], capture_output=True, text=True,
                             env={"PATH": os.environ["PATH"], "HOME": "/tmp"})
    assert outside.returncode == 1 and "LAB_SHARE_URL" in outside.stderr and "Traceback" not in outside.stderr
