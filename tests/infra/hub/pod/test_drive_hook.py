"""The Drive pre-spawn hook, as a plain function and through the shipped hub config."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

import kubernetes_validate
import pytest

from infra.hub.pod import drive_hook
from infra.hub.pod.drive_hook import MAX_NAME, collab_lab_url, drive_groups, drive_mounts, init_container, safe_name
from infra.hub.values import drive_extra_config

ROOT = "/home/jovyan/drive"

SETTINGS = {"claim": "lab-drive", "volume": "lab-drive", "root": "/home/jovyan/drive",
            "groups": ["neuro", "imaging", "lab-admins"], "patterns": ["collab-*"], "max_groups": 3,
            "image": "harbor.lab.example.org/lab/notebook:2026.11@sha256:" + "a" * 64, "uid": 1000, "gid": 1000}


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
    spawner = SimpleNamespace(user=user, volumes=[{"name": "home"}],
                              volume_mounts=[{"name": "home", "mountPath": "/home/jovyan"}],
                              init_containers=[{"name": "site-init"}])
    hook(spawner)
    hook(spawner)  # spawning twice must not duplicate mounts
    assert [v["name"] for v in spawner.volumes] == ["home", "lab-drive"]
    assert [m["mountPath"] for m in spawner.volume_mounts] == [
        "/home/jovyan", "/home/jovyan/drive/My Libraries", "/home/jovyan/drive/Shared with groups/imaging",
        "/home/jovyan/drive/Shared with all"]
    assert [c["name"] for c in spawner.init_containers] == ["site-init", "drive-folders"]


def test_collab_groups_match_a_pattern_without_being_listed():
    _, mounts = drive_mounts("alice", ["collab-brain-atlas", "collaborators", "neuro"], SETTINGS)
    groups = sorted(m["subPath"] for m in mounts if m["subPath"].startswith("groups/"))
    assert groups == ["groups/collab-brain-atlas", "groups/neuro"]


def test_group_folders_are_capped_in_name_order():
    many = [f"collab-{i:02d}" for i in range(10)] + ["neuro"]
    mounted, left_out = drive_groups(many, SETTINGS)
    assert mounted == ["collab-00", "collab-01", "collab-02"] and len(left_out) == 8
    _, mounts = drive_mounts("alice", many, SETTINGS)
    assert sum(m["subPath"].startswith("groups/") for m in mounts) == 3


def test_hook_warns_about_group_folders_left_out():
    namespace = {"c": SimpleNamespace(KubeSpawner=SimpleNamespace())}
    exec(compile(drive_extra_config(SETTINGS), "hub-config", "exec"), namespace)
    warnings = []
    log = SimpleNamespace(warning=lambda msg, *args: warnings.append(msg % args))
    user = SimpleNamespace(name="dana", groups=[SimpleNamespace(name=f"collab-{i}") for i in range(5)])
    spawner = SimpleNamespace(user=user, volumes=[], volume_mounts=[], log=log)
    namespace["c"].KubeSpawner.pre_spawn_hook(spawner)
    assert warnings == ["drive: dana has more than 3 group folders; not mounted: collab-3, collab-4"]


def test_init_container_creates_every_writable_folder_unprivileged():
    _, mounts = drive_mounts("alice", ["neuro", "collab-x"], SETTINGS)
    init = init_container(mounts, SETTINGS["image"], SETTINGS)
    assert init["command"][3:] == ["drive-folders", "/drive/users/alice", "/drive/groups/collab-x", "/drive/groups/neuro"]
    context = init["securityContext"]
    assert context["runAsUser"] == 1000 and context["runAsNonRoot"] is True
    assert context["capabilities"] == {"drop": ["ALL"]} and context["allowPrivilegeEscalation"] is False
    assert init["volumeMounts"] == [{"name": "lab-drive", "mountPath": "/drive"}]  # the whole Drive, no subPath
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "jupyter-alice"},
           "spec": {"initContainers": [init], "containers": [{"name": "notebook", "image": "x", "volumeMounts": mounts}],
                    "volumes": [{"name": "lab-drive", "persistentVolumeClaim": {"claimName": "lab-drive"}}]}}
    kubernetes_validate.validate(pod, "1.31.0", strict=True)


def run_init(init, drive):
    """The init container's own command, with its /drive mount at `drive`."""
    command = [arg.replace("/drive/", f"{drive}/") if arg.startswith("/drive/") else arg for arg in init["command"]]
    return subprocess.run(command, capture_output=True, text=True)


def test_init_script_makes_the_folders_and_is_idempotent(tmp_path):
    (tmp_path / "users").mkdir()
    (tmp_path / "groups").mkdir()
    _, mounts = drive_mounts("alice", ["neuro"], SETTINGS)
    init = init_container(mounts, SETTINGS["image"], SETTINGS)
    for _ in range(2):
        result = run_init(init, tmp_path)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "users" / "alice").is_dir() and (tmp_path / "groups" / "neuro").is_dir()
    assert not (tmp_path / "public").exists()  # read-only: made by the drive-layout job, not by users


@pytest.fixture
def drive_root():
    """A Drive root uid 1000 can reach (pytest's own tmp dirs are private to root)."""
    root = tempfile.mkdtemp(prefix="labforge-drive-")
    os.chmod(root, 0o755)
    yield Path(root)
    shutil.rmtree(root)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the script as uid 1000")
@pytest.mark.parametrize("layout_job_ran", [True, False])
def test_init_script_as_the_user(drive_root, layout_job_ran):
    for parent in ("users", "groups"):
        (drive_root / parent).mkdir(mode=0o755)  # root-owned, as Kubernetes would leave them
        if layout_job_ran:
            os.chown(drive_root / parent, 1000, 1000)
    _, mounts = drive_mounts("alice", ["neuro"], SETTINGS)
    init = init_container(mounts, SETTINGS["image"], SETTINGS)
    command = [arg.replace("/drive/", f"{drive_root}/") if arg.startswith("/drive/") else arg for arg in init["command"]]
    result = subprocess.run(command, capture_output=True, text=True, user=1000, group=1000)
    if layout_job_ran:
        assert result.returncode == 0, result.stderr
        assert (drive_root / "users" / "alice").stat().st_uid == 1000
        assert (drive_root / "groups" / "neuro").stat().st_uid == 1000
    else:
        assert result.returncode == 1 and "drive-layout job" in result.stderr


def test_collab_lab_link_opens_the_folder_the_hook_mounts():
    url = collab_lab_url("https://lab.example.org", "collab-brain atlas")
    parsed = urlparse(url)
    assert parsed.path.startswith("/hub/user-redirect/lab/tree/")
    folder = unquote(parsed.path.removeprefix("/hub/user-redirect/lab/tree/"))
    _, mounts = drive_mounts("alice", ["collab-brain atlas"], SETTINGS)
    mounted = [m["mountPath"] for m in mounts if m["subPath"].startswith("groups/")]
    assert mounted == ["/home/jovyan/" + folder]
    assert collab_lab_url("https://lab.example.org/", "..") is None


def test_settings_survive_the_trip_into_the_hub_config():
    namespace = {"c": SimpleNamespace(KubeSpawner=SimpleNamespace())}
    exec(compile(drive_extra_config(SETTINGS), "hub-config", "exec"), namespace)
    assert json.dumps(namespace["DRIVE_SETTINGS"], sort_keys=True) == json.dumps(SETTINGS, sort_keys=True)


def kubespawner_expand(value):
    """What KubeSpawner 7 does to every string of the volumes, mounts and init containers it is
    given (`_expand_user_properties`: str.format with the user's names, then a trailing '-' cut)."""
    names = dict(userid=1, unescaped_username="alice", unescaped_servername="", hubnamespace="lab",
                 username="alice", servername="", user_server="alice", safe_username="alice",
                 safe_servername="", safe_user_server="alice", escaped_username="alice", escaped_servername="",
                 escaped_user_server="alice--", pod_name="jupyter-alice", pvc_name="claim-alice", namespace="lab")
    if isinstance(value, list):
        return [kubespawner_expand(v) for v in value]
    if isinstance(value, dict):
        return {k: kubespawner_expand(v) for k, v in value.items()}
    if isinstance(value, str):
        rendered = value.format(**names)
        return rendered if value.endswith("-") else rendered.rstrip("-")
    return value


def test_what_the_hook_sets_survives_kubespawners_expansion():
    volumes, mounts = drive_mounts("alice", ["neuro", "collab-x"], SETTINGS)
    init = init_container(mounts, SETTINGS["image"], SETTINGS)
    for value in (volumes, mounts, init):
        assert kubespawner_expand(value) == value


def test_hook_keeps_volumes_and_init_containers_given_as_mappings():
    namespace = {"c": SimpleNamespace(KubeSpawner=SimpleNamespace())}
    exec(compile(drive_extra_config(SETTINGS), "hub-config", "exec"), namespace)
    user = SimpleNamespace(name="erin", groups=[])
    spawner = SimpleNamespace(user=user, volumes={"z": {"name": "home"}}, volume_mounts={"z": {"name": "home"}},
                              init_containers={"b": {"name": "second"}, "a": {"name": "first"}})
    namespace["c"].KubeSpawner.pre_spawn_hook(spawner)
    assert [c["name"] for c in spawner.init_containers] == ["first", "second", "drive-folders"]
    assert [v["name"] for v in spawner.volumes] == ["home", "lab-drive"]
    assert spawner.volume_mounts[0] == {"name": "home"} and len(spawner.volume_mounts) == 3


# --- Shared with me (grants kept by the lab-share service) -------------------------------------

GRANTS = [{"owner": "alice", "folder": "results/run-7", "user": "bob", "read_only": True},
          {"owner": "alice", "folder": "notes", "user": "bob", "read_only": False},
          {"owner": "carol", "folder": "x", "user": "dave", "read_only": True},
          {"owner": "eve", "folder": "../alice/secret", "user": "bob", "read_only": True},
          {"owner": "eve", "folder": "/etc", "user": "bob", "read_only": True},
          {"owner": "eve", "folder": "{username}", "user": "bob", "read_only": True},
          {"owner": "bob", "folder": "mine", "user": "bob", "read_only": True}]


def test_grantee_gets_each_share_under_shared_with_me_read_only_where_asked():
    _, mounts = drive_mounts("bob", [], SETTINGS, GRANTS)
    shared = [m for m in mounts if m.get("shared")]
    assert [(m["mountPath"], m["subPath"], m["readOnly"]) for m in shared] == [
        (f"{ROOT}/Shared with me/alice/notes", "users/alice/notes", False),
        (f"{ROOT}/Shared with me/alice/results/run-7", "users/alice/results/run-7", True)]
    # nothing outside an owner's tree, nothing for others, nothing of one's own
    assert all(m["subPath"].startswith("users/alice/") for m in shared)
    assert drive_mounts("carol", [], SETTINGS, GRANTS)[1] == drive_mounts("carol", [], SETTINGS)[1]


def test_shares_survive_kubespawners_expansion_and_are_capped():
    volumes, mounts = drive_mounts("bob", [], SETTINGS, GRANTS)
    init = init_container(mounts, SETTINGS["image"], SETTINGS)
    for value in (volumes, mounts, init):
        assert kubespawner_expand(value) == value
    many = [{"owner": f"u{i:03d}", "folder": "f", "user": "bob", "read_only": True} for i in range(40)]
    capped = [m for m in drive_mounts("bob", [], {**SETTINGS, "shares": {"max_received": 30}}, many)[1]
              if m.get("shared")]
    assert len(capped) == 30 and capped[0]["subPath"] == "users/u000/f"


def test_hook_reads_the_grants_store_and_revoked_grants_mount_nothing(tmp_path):
    store = tmp_path / "grants.json"
    settings = {**SETTINGS, "shares": {"store": str(store), "max_received": 30}}
    spawner = SimpleNamespace(user=SimpleNamespace(name="bob", groups=[]), volumes=[], volume_mounts=[],
                              init_containers=[], log=None)
    namespace = {"DRIVE_SETTINGS": settings}
    exec(compile(Path(drive_hook.__file__).read_text(), "drive_hook", "exec"), namespace)
    namespace["drive_pre_spawn_hook"](spawner)  # no store yet: no shares, no error
    assert not any("Shared with me" in m["mountPath"] for m in spawner.volume_mounts)
    store.write_text(json.dumps({"grants": GRANTS[:1]}))
    namespace["drive_pre_spawn_hook"](spawner)
    shared = [m for m in spawner.volume_mounts if "Shared with me" in m["mountPath"]]
    assert shared == [{"name": SETTINGS["volume"], "mountPath": f"{ROOT}/Shared with me/alice/results/run-7",
                       "subPath": "users/alice/results/run-7", "readOnly": True}]
    assert "--shared" in spawner.init_containers[-1]["command"]
    store.write_text(json.dumps({"grants": []}))  # revoked
    namespace["drive_pre_spawn_hook"](spawner)
    assert not any("Shared with me" in m["mountPath"] for m in spawner.volume_mounts)


def test_init_script_refuses_a_shared_link_and_makes_a_missing_share(tmp_path):
    (tmp_path / "users" / "alice" / "results").mkdir(parents=True)
    (tmp_path / "users" / "carol" / "secret").mkdir(parents=True)
    grants = [{"owner": "alice", "folder": "results/run-7", "user": "bob", "read_only": True}]
    init = init_container(drive_mounts("bob", [], SETTINGS, grants)[1], SETTINGS["image"], SETTINGS)
    assert run_init(init, tmp_path).returncode == 0
    assert (tmp_path / "users" / "alice" / "results" / "run-7").is_dir()  # shared before it existed
    (tmp_path / "users" / "alice" / "results" / "run-7").rmdir()
    (tmp_path / "users" / "alice" / "results" / "run-7").symlink_to(tmp_path / "users" / "carol" / "secret")
    refused = run_init(init, tmp_path)
    assert refused.returncode == 1 and "is a link" in refused.stderr and "lab-share" in refused.stderr
