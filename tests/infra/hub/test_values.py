"""The hub's chart values: login, profile list from the catalog, Drive, culling, user pods."""

from __future__ import annotations

import json

import pytest

from labforge.catalog.store import load_catalog
from tests.helpers.project import REPO
from tests.helpers.stack import dev_values, helm_release, simulate


@pytest.fixture(scope="module")
def values():
    records, _ = simulate(dev_values())
    return helm_release(records, "jupyterhub").inputs["values"]


def test_oidc_login(values):
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "generic-oauth"
    assert config["Authenticator"]["enable_auth_state"] is True
    assert config["Authenticator"]["refresh_pre_spawn"] is True
    oauth = config["GenericOAuthenticator"]
    base = "https://iam.lab.example.org/realms/lab/protocol/openid-connect"
    assert (oauth["authorize_url"], oauth["token_url"], oauth["userdata_url"]) == (
        f"{base}/auth", f"{base}/token", f"{base}/userinfo")
    assert oauth["oauth_callback_url"] == "https://lab.example.org/hub/oauth_callback"
    assert oauth["client_id"] == "lab-hub" and set(oauth["client_secret"]) == {"secret"}
    assert oauth["allowed_groups"] == ["lab-members", "neuro-group", "imaging-group"]
    assert oauth["admin_groups"] == ["lab-admins"] and oauth["manage_groups"] is True
    assert oauth["auth_state_groups_key"] == "oauth_user.groups" and oauth["username_claim"] == "preferred_username"


def test_profile_list_follows_the_catalog(values):
    catalog = load_catalog(REPO / "releases" / "catalog.json")
    profiles = [p for p in values["singleuser"]["profileList"] if not p["slug"].endswith("-gpu")]  # test_infra_gpu
    assert [p["slug"] for p in profiles] == ["latest", "release-2026-05", "experimental"]
    latest, past, experimental = profiles
    newest = catalog.stable()[0]
    assert latest["display_name"] == f"Latest ({newest.id})" and latest["default"] is True
    assert latest["kubespawner_override"]["image"] == f"{newest.image}@{newest.digest}"
    assert past["default"] is False and past["kubespawner_override"]["image"].endswith(catalog.stable()[1].digest)
    assert "experimental" in experimental["display_name"] and "own risk" in experimental["description"]
    assert experimental["kubespawner_override"]["mem_limit"] == "4G"  # per-release override from config
    assert latest["kubespawner_override"]["cpu_limit"] == 4 and latest["kubespawner_override"]["mem_guarantee"] == "2G"
    # the pre-puller's image is the default profile's, pinned by digest
    assert values["singleuser"]["image"]["tag"] == f"{newest.id}@{newest.digest}"
    assert values["prePuller"]["hook"]["enabled"] is True


def test_user_pods_are_unprivileged_and_fenced(values):
    single = values["singleuser"]
    assert single["uid"] == 1000 and single["allowPrivilegeEscalation"] is False
    assert single["networkPolicy"]["enabled"] is True
    assert single["networkPolicy"]["egressAllowRules"]["cloudMetadataServer"] is False
    assert single["cloudMetadata"]["blockWithIptables"] is False  # would need a privileged init container
    assert values["cull"] == {"enabled": True, "timeout": 43200, "every": 600, "users": False}
    storage = single["storage"]
    assert storage["type"] == "dynamic" and storage["dynamic"]["storageClass"] == "lab-home"
    assert storage["extraVolumeMounts"] == [{"name": "dataset-reference-atlas", "readOnly": True,
                                            "mountPath": "/home/jovyan/datasets/reference-atlas"}]


def test_drive_hook_is_shipped_with_its_settings(values):
    source = values["hub"]["extraConfig"]["labforge-drive"]
    assert "def drive_pre_spawn_hook(spawner)" in source
    assert "c.KubeSpawner.pre_spawn_hook = drive_pre_spawn_hook" in source
    namespace = {"c": _Config()}
    exec(compile(source, "labforge-drive", "exec"), namespace)
    settings = namespace["DRIVE_SETTINGS"]
    assert settings["claim"] == "lab-drive"
    assert settings["groups"] == sorted(["lab-members", "neuro-group", "imaging-group", "lab-admins"])
    assert namespace["c"].KubeSpawner.pre_spawn_hook is namespace["drive_pre_spawn_hook"]


class _Section:
    pass


class _Config:
    def __init__(self):
        self.KubeSpawner = _Section()


def test_values_are_plain_data(values):
    json.dumps(values)  # everything the chart gets must serialise
