"""The resource graph of the Pulumi program, run against Pulumi's mocks."""

from __future__ import annotations

import json

import pytest

from tests.helpers.stack import by_type, dev_values, existing_cluster_values, helm_release, simulate


@pytest.fixture(scope="module")
def openstack_stack():
    return simulate(dev_values())


@pytest.fixture(scope="module")
def existing_stack():
    return simulate(existing_cluster_values())


def test_openstack_mode_builds_network_cluster_and_storage(openstack_stack):
    records, outputs = openstack_stack
    types = {r.type for r in records}
    for expected in ("openstack:networking/network:Network", "openstack:networking/subnet:Subnet",
                     "openstack:networking/router:Router", "openstack:networking/routerInterface:RouterInterface",
                     "openstack:networking/secGroup:SecGroup", "openstack:compute/keypair:Keypair",
                     "openstack:containerinfra/clusterTemplate:ClusterTemplate",
                     "openstack:containerinfra/cluster:Cluster", "openstack:containerinfra/nodeGroup:NodeGroup",
                     "openstack:sharedfilesystem/share:Share", "openstack:sharedfilesystem/shareAccess:ShareAccess",
                     "openstack:identity/applicationCredential:ApplicationCredential"):
        assert expected in types, expected
    assert {r.inputs["name"] for r in by_type(records, "objectstorage/container:Container")} == {
        "lab-harbor-registry", "lab-user-buckets", "lab-backups", "lab-velero"}
    router = by_type(records, "networking/router:Router")[0]
    assert router.inputs["externalNetworkId"] == "external-network-id"
    users = next(r for r in by_type(records, "containerinfra/nodeGroup:NodeGroup") if r.name == "lab-user-nodes")
    assert users.inputs["role"] == "user"
    assert "hub.jupyter.org/node-purpose=user" in users.inputs["labels"]["kubelet_options"]
    access = by_type(records, "shareAccess:ShareAccess")[0]
    assert access.inputs["accessTo"] == "10.20.0.0/22" and access.inputs["accessLevel"] == "rw"
    assert outputs["hub_url"] == "https://lab.example.org" and outputs["harbor_url"] == "https://harbor.lab.example.org"


def test_kubernetes_provider_uses_the_magnum_kubeconfig(openstack_stack):
    records, outputs = openstack_stack
    provider = by_type(records, "pulumi:providers:kubernetes")[0]
    cluster = by_type(records, "containerinfra/cluster:Cluster")[0]
    assert cluster.urn in provider.dependencies
    assert "secret" in provider.inputs["kubeconfig"]  # still marked secret
    assert outputs["kubeconfig"].startswith("apiVersion: v1")
    k8s = [r for r in records if r.custom and r.type.startswith("kubernetes:")]
    assert k8s and all(r.provider.split("::")[-1].startswith(provider.urn.split("::")[-1]) for r in k8s)


def test_every_resource_sits_under_a_component(openstack_stack):
    records, _ = openstack_stack
    components = {r.urn: r for r in records if not r.custom}
    assert {c.type for c in components.values()} == {
        "labforge:infra:Network", "labforge:infra:Cluster", "labforge:infra:Gateway", "labforge:infra:UserNamespace",
        "labforge:infra:Storage", "labforge:infra:Harbor", "labforge:infra:JupyterHub",
        "labforge:infra:GpuSupport", "labforge:infra:GpuPrePuller",  # the example stack has GPU nodes
        "labforge:infra:DriveLayout", "labforge:infra:Monitoring", "labforge:infra:Backups"}
    orphans = [r.name for r in records if r.custom and r.parent not in components
               and not r.type.startswith("pulumi:providers:kubernetes")]
    assert orphans == []


def test_existing_mode_has_no_openstack_resources(existing_stack):
    records, _ = existing_stack
    assert not [r for r in records if r.type.startswith("openstack:")]
    provider = by_type(records, "pulumi:providers:kubernetes")[0]
    assert provider.inputs["kubeconfig"] == {"secret": "apiVersion: v1\nkind: Config\n# placeholder kubeconfig\n"}
    pv = by_type(records, "core/v1:PersistentVolume")[0]
    assert pv.inputs["spec"]["nfs"] == {"server": "nfs.lab.example.org", "path": "/export/drive"}
    assert not by_type(records, "storage.k8s.io/v1:StorageClass")


def test_drive_is_a_bound_read_write_many_claim(openstack_stack):
    records, _ = openstack_stack
    pv = by_type(records, "core/v1:PersistentVolume")[0]
    pvc = by_type(records, "core/v1:PersistentVolumeClaim")[0]
    assert pv.inputs["spec"]["nfs"] == {"server": "10.20.0.5", "path": "/volumes/_nogroup/lab-drive"}
    assert pvc.inputs["spec"]["volumeName"] == pv.inputs["metadata"]["name"]
    assert pvc.inputs["metadata"]["namespace"] == "lab" and pvc.inputs["spec"]["accessModes"] == ["ReadWriteMany"]
    namespace = next(r for r in records if r.type == "kubernetes:core/v1:Namespace" and r.name == "lab-users")
    assert namespace.urn in pvc.dependencies


def test_storage_class_drive_mode(tmp_path):
    values = existing_cluster_values()
    values["labforge:drive"] = {"mode": "storageClass", "storageClass": "cephfs", "size": "1Ti"}
    records, _ = simulate(values)
    assert not by_type(records, "core/v1:PersistentVolume")
    assert by_type(records, "core/v1:PersistentVolumeClaim")[0].inputs["spec"]["storageClassName"] == "cephfs"


def test_charts_are_pinned_helm_v3_releases(openstack_stack):
    records, _ = openstack_stack
    expected = {"jupyterhub": ("4.4.0", "https://hub.jupyter.org/helm-chart/"),
                "harbor": ("1.19.1", "https://helm.goharbor.io"),
                "gateway-helm": ("v1.9.0", "oci://docker.io/envoyproxy"),
                "cert-manager": ("v1.21.1", "https://charts.jetstack.io"),
                "nvidia-device-plugin": ("0.20.0", "https://nvidia.github.io/k8s-device-plugin"),
                "prometheus": ("29.27.0", "https://prometheus-community.github.io/helm-charts"),
                "grafana": ("12.11.1", "https://grafana-community.github.io/helm-charts"),
                "velero": ("12.1.0", "https://vmware-tanzu.github.io/helm-charts")}
    assert {r.inputs["chart"] for r in by_type(records, "helm.sh/v3:Release")} == set(expected)
    for chart, (version, repo) in expected.items():
        release = helm_release(records, chart)
        assert release.inputs["version"] == version and release.inputs["repositoryOpts"]["repo"] == repo
    hub = helm_release(records, "jupyterhub")
    entry_urns = {r.urn for r in by_type(records, "helm.sh/v3:Release") if r.inputs["chart"] in ("gateway-helm",
                                                                                                  "cert-manager")}
    assert entry_urns <= set(hub.dependencies)


def test_gateway_implementation_can_be_left_to_the_cluster():
    """gateway.install false: the cluster's own Gateway API implementation; cert-manager and the
    Gateway are still the lab's."""
    values = dev_values()
    values["labforge:gateway"] = {**values["labforge:gateway"], "install": False, "className": "cilium"}
    records, _ = simulate(values)
    charts = {r.inputs["chart"] for r in by_type(records, "helm.sh/v3:Release")}
    assert "gateway-helm" not in charts and "cert-manager" in charts
    assert not by_type(records, "GatewayClass")
    gateway = by_type(records, "gateway.networking.k8s.io/v1:Gateway")[0]
    assert gateway.inputs["spec"]["gatewayClassName"] == "cilium"


def test_harbor_projects_robot_retention_and_oidc(openstack_stack):
    records, _ = openstack_stack
    assert {r.inputs["name"] for r in by_type(records, "index/project:Project")} == {"lab", "tools", "spack-cache"}
    robot = next(r for r in by_type(records, "robotAccount:RobotAccount") if r.inputs["name"] == "release-pipeline")
    perms = robot.inputs["permissions"]
    assert {p["namespace"] for p in perms} == {"lab", "tools", "spack-cache"}
    assert all({a["action"] for a in p["accesses"]} == {"push", "pull"} for p in perms)
    assert all(a["resource"] == "repository" for p in perms for a in p["accesses"])
    rules = by_type(records, "retentionPolicy:RetentionPolicy")[0].inputs["rules"]
    assert any(r.get("alwaysRetain") and "20[0-9][0-9]" in r["tagMatching"] for r in rules)
    assert any(r.get("mostRecentlyPushed") == 5 and r["tagMatching"] == "experimental*" for r in rules)
    auth = by_type(records, "configAuth:ConfigAuth")[0].inputs
    assert auth["authMode"] == "oidc_auth" and auth["oidcEndpoint"] == "https://iam.lab.example.org/realms/lab"
    values = helm_release(records, "harbor").inputs["values"]
    assert values["trivy"]["enabled"] is True and values["externalURL"] == "https://harbor.lab.example.org"
    # TLS ends at the lab's Gateway (its https-harbor listener); Harbor's route attaches there
    assert values["expose"]["type"] == "route" and values["expose"]["route"]["hosts"] == ["harbor.lab.example.org"]
    assert values["expose"]["route"]["parentRefs"][0]["sectionName"] == "https-harbor"
    assert values["persistence"]["imageChartStorage"]["type"] == "swift" and values["metrics"]["enabled"] is True


def test_user_namespace_has_quota_limits_and_policies(openstack_stack):
    records, _ = openstack_stack
    kinds = {r.type.rsplit(":", 1)[-1] for r in records if r.inputs.get("metadata", {}).get("namespace") == "lab"}
    assert {"ResourceQuota", "LimitRange", "NetworkPolicy", "PersistentVolumeClaim"} <= kinds


def test_the_cluster_pulls_private_images_with_a_pull_only_robot(openstack_stack):
    records, _ = openstack_stack
    robot = next(r for r in by_type(records, "robotAccount:RobotAccount") if r.inputs["name"] == "cluster-pull")
    perms = robot.inputs["permissions"]
    assert {p["namespace"] for p in perms} == {"lab", "tools"}
    assert all([a["action"] for a in p["accesses"]] == ["pull"] for p in perms)
    secret = next(r for r in by_type(records, "core/v1:Secret") if r.name == "harbor-pull-secret").inputs
    assert secret["type"] == "kubernetes.io/dockerconfigjson" and secret["metadata"]["namespace"] == "lab"
    config = json.loads(secret["stringData"]["secret"][".dockerconfigjson"])  # all of it marked secret
    assert config["auths"]["harbor.lab.example.org"]["username"] == "robot$cluster-pull"
    values = helm_release(records, "jupyterhub").inputs["values"]
    assert values["singleuser"]["image"]["pullSecrets"] == ["harbor-pull"]
    job = next(r for r in records if r.type.endswith("batch/v1:Job")).inputs
    assert job["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "harbor-pull"}]
