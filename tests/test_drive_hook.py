"""The Drive pre-spawn hook, as a plain function and through the shipped hub config."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from infra.drive_hook import MAX_NAME, drive_mounts, safe_name
from infra.hub_values import drive_extra_config

SETTINGS = {"claim": "lab-drive", "volume": "lab-drive", "root": "/home/jovyan/drive",
            "groups": ["neuro", "imaging", "lab-admins"]}


@pytest.mark.parametrize("raw, expected", [
    ("alice", "alice"),
    ("alice.smith@uni.example", "alice.smith@uni.example"),
    ("../../etc", "etc"),
    ("..", None),
    (".hidden", "hidden"),
    ("a/b", "a-b"),
    ("a b\tc", "a-b-c"),
    ("x" * 200, "x" * MAX_NAME),
    ("", None),
    ("///", None),
    (None, None),
    ("a..b", "a.b"),
])
def test_safe_name(raw, expected):
    assert safe_name(raw) == expected


def paths(mounts):
    return {m["mountPath"]: (m["subPath"], m.get("readOnly", False)) for m in mounts}


def test_user_gets_own_folder_known_groups_and_public_area():
    volumes, mounts = drive_mounts("alice", ["neuro", "unknown-iam-group", "imaging"], SETTINGS)
    assert volumes == [{"name": "lab-drive", "persistentVolumeClaim": {"claimName": "lab-drive"}}]
    assert paths(mounts) == {
        "/home/jovyan/drive/My Libraries": ("users/alice", False),
        "/home/jovyan/drive/Shared with groups/imaging": ("groups/imaging", False),
        "/home/jovyan/drive/Shared with groups/neuro": ("groups/neuro", False),
        "/home/jovyan/drive/Shared with all": ("public", True),
    }


def test_unknown_groups_mount_nothing():
    _, mounts = drive_mounts("bob", ["other", "../neuro"], SETTINGS)
    assert not any("Shared with groups" in m["mountPath"] for m in mounts)


def test_no_path_escapes_the_drive():
    settings = {**SETTINGS, "groups": ["../../root", "a/../../b", ".."]}
    _, mounts = drive_mounts("../../admin", ["../../root", "a/../../b", ".."], settings)
    for mount in mounts:
        assert ".." not in mount["subPath"].split("/") and not mount["subPath"].startswith("/")
        assert mount["mountPath"].startswith("/home/jovyan/drive/")
    assert paths(mounts)["/home/jovyan/drive/My Libraries"] == ("users/admin", False)


def test_unusable_user_name_mounts_nothing():
    assert drive_mounts("..", ["neuro"], SETTINGS) == ([], [])


def test_colliding_group_names_mount_once():
    settings = {**SETTINGS, "groups": ["neuro lab", "neuro/lab"]}
    _, mounts = drive_mounts("alice", ["neuro lab", "neuro/lab"], settings)
    assert sum("Shared with groups" in m["mountPath"] for m in mounts) == 1


def test_shipped_hook_updates_a_spawner_and_is_idempotent():
    namespace = {"c": SimpleNamespace(KubeSpawner=SimpleNamespace())}
    exec(compile(drive_extra_config(SETTINGS), "hub-config", "exec"), namespace)
    hook = namespace["c"].KubeSpawner.pre_spawn_hook
    user = SimpleNamespace(name="carol", groups=[SimpleNamespace(name="imaging"), SimpleNamespace(name="x")])
    spawner = SimpleNamespace(user=user, volumes=[{"name": "home"}], volume_mounts=[{"name": "home", "mountPath": "/home/jovyan"}])
    hook(spawner)
    hook(spawner)  # spawning twice must not duplicate mounts
    assert [v["name"] for v in spawner.volumes] == ["home", "lab-drive"]
    assert [m["mountPath"] for m in spawner.volume_mounts] == [
        "/home/jovyan", "/home/jovyan/drive/My Libraries", "/home/jovyan/drive/Shared with groups/imaging",
        "/home/jovyan/drive/Shared with all"]
