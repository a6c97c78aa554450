"""Security invariants over every resource the program registers, and strict schema checks."""

from __future__ import annotations

import kubernetes_validate
import pytest

from tests.helpers.stack import dev_values, existing_cluster_values, simulate, unwrap

SECRETS = {
    "oidcClientSecret": "s3cr3t-oidc-7f1d",
    "harborAdminPassword": "s3cr3t-harbor-93ab",
    "harborOidcClientSecret": "s3cr3t-harbor-oidc-55ce",
    "kubeconfig": "apiVersion: v1\nkind: Config\n# s3cr3t-kubeconfig-0a9e\n",
    "backupPassword": "s3cr3t-restic-61b0",
    "backupS3Credentials": "AKIAS3CR3T:s3cr3t-s3-key-2c4d",
    "hubMetricsToken": "s3cr3t-metrics-token-8e21",
    "grafanaAdminPassword": "s3cr3t-grafana-4d7a",
    "alertWebhookUrl": "https://chat.lab.example.org/hooks/s3cr3t-webhook-9f03",
}
MARKERS = ["s3cr3t-oidc-7f1d", "s3cr3t-harbor-93ab", "s3cr3t-harbor-oidc-55ce", "s3cr3t-kubeconfig-0a9e",
           "s3cr3t-restic-61b0", "s3cr3t-s3-key-2c4d", "s3cr3t-metrics-token-8e21", "s3cr3t-grafana-4d7a",
           "s3cr3t-webhook-9f03",
           "mock-application-credential-secret", "mock-robot-secret"]
# Types with a Kubernetes schema (CRDs like cert-manager's ClusterIssuer have none there).
CORE_GROUPS = ("kubernetes:core/", "kubernetes:networking.k8s.io/", "kubernetes:storage.k8s.io/", "kubernetes:batch/")
# What a container running as root may keep (the Drive's layout job: chown only).
ROOT_CAPABILITIES = {"CHOWN", "DAC_OVERRIDE", "FOWNER"}


@pytest.fixture(scope="module", params=["openstack", "existing"])
def records(request):
    values = dev_values() if request.param == "openstack" else existing_cluster_values()
    return simulate(values, SECRETS)[0]


def plain_strings(value, inside_secret=False):
    """Every string reachable outside a secret wrapper."""
    if isinstance(value, dict):
        if set(value) == {"secret"}:
            return
        for v in value.values():
            yield from plain_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from plain_strings(v)
    elif isinstance(value, str):
        yield value


def test_no_secret_in_plain_text(records):
    leaks = [(r.type, r.name, marker) for r in records for s in plain_strings(r.inputs)
             for marker in MARKERS if marker in s]
    assert leaks == []


def test_secrets_do_reach_their_resources_marked_secret(records):
    text = repr([r.inputs for r in records])
    assert "s3cr3t-oidc-7f1d" in text and "s3cr3t-harbor-93ab" in text


def walk(value):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def test_no_privileged_container_and_no_root_user_pods(records):
    for r in records:
        for node in walk(r.inputs):
            assert node.get("privileged") is not True, (r.type, r.name)
            assert node.get("allowPrivilegeEscalation") is not True, (r.type, r.name)
    hub = next(r for r in records if r.inputs.get("chart") == "jupyterhub")
    for r in records:
        for node in walk(r.inputs):
            context = node.get("securityContext") if isinstance(node.get("securityContext"), dict) else None
            if context and context.get("runAsUser") == 0:
                caps = context.get("capabilities", {})
                assert caps.get("drop") == ["ALL"] and set(caps.get("add", [])) <= ROOT_CAPABILITIES, (r.type, r.name)
                assert context.get("allowPrivilegeEscalation") is False, (r.type, r.name)
    single = hub.inputs["values"]["singleuser"]
    assert single["uid"] >= 1000 and single["allowPrivilegeEscalation"] is False
    assert all("uid" not in p["kubespawner_override"] for p in single["profileList"])


def k8s_objects(records):
    for r in records:
        if r.custom and r.type.startswith(CORE_GROUPS):
            obj = {k: unwrap(v) for k, v in r.inputs.items() if k not in ("__defaults",)}
            # pulumi-kubernetes inputs use the manifest's own field names
            yield r, obj


def test_every_plain_kubernetes_object_is_valid_in_strict_mode(records):
    version = dev_values()["labforge:cluster"]["kubernetesVersion"] + ".0"  # the stack's Kubernetes
    checked = 0
    for record, obj in k8s_objects(records):
        assert obj["apiVersion"] and obj["kind"], record.name
        kubernetes_validate.validate(obj, version, strict=True)
        checked += 1
    assert checked >= 7


def test_strict_validation_does_catch_a_typo():
    bad = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "x"},
           "spec": {"limits": [{"type": "Container", "defualt": {"cpu": "1"}}]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, "1.31.0", strict=True)
