"""Bad stack configs stop before any resource is registered, with every problem and its key."""

from __future__ import annotations

import copy
import json

import pytest

from infra.config.stack import ConfigProblem
from infra.offline.mocks import install
from infra.offline.simulate import PLACEHOLDER_SECRETS
from labforge.core.errors import LabforgeError
from tests.helpers.stack import dev_values, existing_cluster_values, simulate


def changed(path: str, value, base=None) -> dict:
    values = copy.deepcopy(base or dev_values())
    key, *rest = path.split(".")
    if not rest:
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
        return values
    node = values[key]
    for part in rest[:-1]:
        node = node[part]
    if value is None:
        node.pop(rest[-1], None)
    else:
        node[rest[-1]] = value
    return values


CASES = {
    "missing cluster": (changed("labforge:cluster", None), "labforge:cluster: is required"),
    "unknown top-level key": ({**dev_values(), "labforge:hubb": {"host": "x"}}, "labforge:hubb: is not a known key"),
    "misspelt nested key": (changed("labforge:hub.cullTimout", 60), "labforge:hub.cullTimout: is not a known key"),
    "bad cluster mode": (changed("labforge:cluster.mode", "magnum"), "labforge:cluster.mode"),
    "openstack without settings": (changed("labforge:cluster.openstack", None), "cluster.openstack is not set"),
    "bad subnet": (changed("labforge:cluster.openstack.subnetCidr", "10.20.0.0"), "labforge:cluster.openstack.subnetCidr"),
    "bad public key": (changed("labforge:cluster.openstack.keypairPublicKey", "not-a-key"), "keypairPublicKey"),
    "nobody may log in": (changed("labforge:oidc.allowedGroups", []), "set oidc.allowedGroups, or oidc.allowAll"),
    "issuer not https": (changed("labforge:oidc.issuer", "http://iam"), "labforge:oidc.issuer"),
    "bad acme email": (changed("labforge:gateway.acmeEmail", "ops"), "labforge:gateway.acmeEmail"),
    "cull too short": (changed("labforge:hub.cullTimeout", 5), "labforge:hub.cullTimeout"),
    "manila on existing cluster": (changed("labforge:drive.mode", "manila", existing_cluster_values()),
                                   "drive.mode manila needs cluster.mode openstack"),
    "nfs without server": (changed("labforge:drive", {"mode": "nfs"}), "set drive.nfsServer and drive.nfsPath"),
    "bad memory": (changed("labforge:hub.resources", {"memLimit": "8 GB"}), "labforge:hub.resources.memLimit"),
    "negative pod quota": (changed("labforge:hub.quotaPods", -1), "labforge:hub.quotaPods"),
    "negative group cap": (changed("labforge:drive.maxGroups", -3), "labforge:drive.maxGroups"),
    "a stack from before the Gateway": ({**dev_values(), "labforge:ingress": {"acmeEmail": "ops@lab.example.org"}},
                                        "labforge:ingress: ingress-nginx was retired in March 2026"),
    "backups with nowhere to go": (changed("labforge:backup", {"enabled": True, "snapshots": False},
                                           existing_cluster_values()), "backups have nowhere to go"),
    "snapshots without OpenStack": (changed("labforge:backup.snapshots", True, existing_cluster_values()),
                                    "backup.snapshots takes Cinder and Manila snapshots"),
    "a repository that is not S3": (changed("labforge:backup.repository", "sftp:backup@host:/lab"),
                                    "labforge:backup.repository"),
    "an hour of 25": (changed("labforge:backup.hubSchedule", "0 25 * * *"), "labforge:backup.hubSchedule"),
    "a schedule in other digits": (changed("labforge:backup.driveSchedule", "0 \u0663 * * *"),
                                   "labforge:backup.driveSchedule"),
    "monitoring without storage": (changed("labforge:monitoring.storageClass", None),
                                   "monitoring.enabled needs monitoring.storageClass"),
    "a retention that keeps nothing": (changed("labforge:backup.retention", {"daily": 0}),
                                       "labforge:backup.retention.daily"),
}


@pytest.mark.parametrize("case", sorted(CASES), ids=sorted(CASES))
def test_bad_config_is_reported_before_any_resource(case):
    values, expected = CASES[case]
    with pytest.raises(ConfigProblem) as info:
        simulate(values)
    assert expected in str(info.value)
    assert install().records == []  # nothing registered
    assert "Traceback" not in str(info.value)


def test_all_problems_in_one_message():
    values = changed("labforge:oidc.issuer", "http://iam")
    values = changed("labforge:hub.cullTimeout", 5, values)
    values["labforge:typo"] = "x"
    with pytest.raises(ConfigProblem) as info:
        simulate(values)
    assert len(info.value.problems) == 3
    assert str(info.value).startswith("invalid stack configuration (3 problem(s)):")


def test_missing_secrets_are_named():
    secrets = {k: v for k, v in PLACEHOLDER_SECRETS.items() if k not in ("oidcClientSecret", "kubeconfig")}
    with pytest.raises(ConfigProblem) as info:
        simulate(existing_cluster_values(), secrets)
    text = str(info.value)
    assert "labforge:oidcClientSecret: secret is not set (pulumi config set --secret oidcClientSecret" in text
    assert "labforge:kubeconfig: secret is not set" in text


def test_missing_catalog_is_a_clear_error(tmp_path):
    values = changed("labforge:hub.catalog", str(tmp_path / "nope.json"))
    with pytest.raises(LabforgeError) as info:
        simulate(values)
    assert "release catalog not found" in str(info.value)
    assert install().records == []


def test_empty_catalog_is_a_clear_error(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"schema": 1, "releases": []}))
    with pytest.raises(LabforgeError) as info:
        simulate(changed("labforge:hub.catalog", str(path)))
    assert "lists no supported release" in str(info.value)


def test_secret_set_without_secret_flag_is_refused():
    from infra.offline.simulate import run
    from tests.helpers.stack import to_config

    with pytest.raises(ConfigProblem) as info:
        run(to_config(dev_values()), None, plain_keys=("harborAdminPassword",))
    assert "labforge:harborAdminPassword: is stored in plain text (pulumi config set --secret" in str(info.value)
    assert install().records == []
