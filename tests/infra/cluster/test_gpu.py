"""GPU nodes and GPU profiles: a Magnum node group, NVIDIA's device plugin, a GPU profile below
each release's CPU profile when the catalog has its GPU image; nothing of it without GPU config."""

from __future__ import annotations

import json

import pytest
import yaml

from infra.config.stack import ConfigProblem, parse
from tests.helpers.stack import (
    REPO,
    by_type,
    chart_schema_errors,
    dev_values,
    existing_cluster_values,
    helm_release,
    simulate,
)


def without_gpu_nodes(values: dict) -> dict:
    values["labforge:cluster"] = {k: v for k, v in values["labforge:cluster"].items() if k != "gpuNodes"}
    return values


@pytest.fixture(scope="module")
def gpu_plan():
    return simulate(dev_values())[0]


def profiles(records) -> list[dict]:
    return helm_release(records, "jupyterhub").inputs["values"]["singleuser"]["profileList"]


def test_gpu_node_group_is_labelled_and_tainted(gpu_plan):
    groups = {r.name: r.inputs for r in by_type(gpu_plan, "containerinfra/nodeGroup:NodeGroup")}
    gpu = groups["lab-gpu-nodes"]
    assert gpu["flavorId"] == "g1.a100" and gpu["nodeCount"] == 1 and gpu["role"] == "gpu"
    # user nodes too: z2jh requires hub.jupyter.org/node-purpose=user of every user pod here
    assert gpu["labels"]["kubelet_options"] == ("--node-labels=nvidia.com/gpu.present=true,"
                                                "hub.jupyter.org/node-purpose=user "
                                                "--register-with-taints=nvidia.com/gpu=present:NoSchedule")
    hub = helm_release(gpu_plan, "jupyterhub").inputs["values"]
    assert hub["scheduling"]["userPods"]["nodeAffinity"]["matchNodePurpose"] == "require"


def test_device_plugin_runs_only_on_gpu_nodes(gpu_plan):
    plugin = helm_release(gpu_plan, "nvidia-device-plugin").inputs
    assert plugin["namespace"] == "kube-system" and plugin["repositoryOpts"]["repo"].startswith("https://nvidia.github.io")
    assert plugin["values"]["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert plugin["values"]["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "present",
                                               "effect": "NoSchedule"}]


def test_gpu_profile_sits_below_its_cpu_profile(gpu_plan):
    listed = profiles(gpu_plan)
    assert [p["slug"] for p in listed] == ["latest", "latest-gpu", "release-2026-05", "experimental"]
    cpu, gpu = listed[0], listed[1]
    catalog = json.loads((REPO / "releases" / "catalog.json").read_text())
    gpu_digest = next(r["gpu"]["digest"] for r in catalog["releases"] if r["id"] == "2026.11")
    override = gpu["kubespawner_override"]
    assert override["image"].endswith("@" + gpu_digest) and gpu["default"] is False
    assert override["extra_resource_limits"] == {"nvidia.com/gpu": "1"}
    assert override["node_selector"] == {"nvidia.com/gpu.present": "true"}
    chart = yaml.safe_load((REPO / "tests" / "fixtures" / "z2jh-4.4.0" / "values.yaml").read_text())
    assert override["tolerations"] == chart["scheduling"]["userPods"]["tolerations"] + [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}]
    assert override["environment"] == cpu["kubespawner_override"]["environment"]  # the same release and kernel
    assert "tolerations" not in cpu["kubespawner_override"] and gpu["display_name"] == "Latest (2026.11) with GPU"


def test_gpu_values_are_valid_against_the_chart_schema(gpu_plan):
    assert chart_schema_errors(helm_release(gpu_plan, "jupyterhub").inputs["values"]) == []


def test_without_gpu_config_nothing_changes(tmp_path):
    """No gpuNodes: no node group, no device plugin, and the hub values are exactly those of a
    catalog without any GPU image."""
    plain_catalog = json.loads((REPO / "releases" / "catalog.json").read_text())
    for entry in plain_catalog["releases"]:
        entry.pop("gpu", None)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(plain_catalog))
    values = without_gpu_nodes(dev_values())
    records = simulate(values)[0]
    values["labforge:hub"] = {**values["labforge:hub"], "catalog": str(path)}
    baseline = simulate(values)[0]
    assert not [r for r in records if "gpu" in r.name or r.inputs.get("chart") == "nvidia-device-plugin"]
    assert helm_release(records, "jupyterhub").inputs["values"] == helm_release(baseline, "jupyterhub").inputs["values"]


def test_existing_cluster_gets_profiles_but_no_node_group():
    values = existing_cluster_values()
    values["labforge:cluster"] = {**values["labforge:cluster"], "gpuNodes": {"labels": {"gpu": "a100"},
                                                                           "taint": "gpu=yes:NoSchedule"}}
    records = simulate(values)[0]
    assert not by_type(records, "containerinfra/nodeGroup:NodeGroup")
    gpu = next(p for p in profiles(records) if p["slug"] == "latest-gpu")
    assert gpu["kubespawner_override"]["node_selector"] == {"gpu": "a100"}


def test_openstack_gpu_nodes_need_a_flavor():
    values = dev_values()
    values["labforge:cluster"]["gpuNodes"] = {"count": 2}
    raw = {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("labforge:")}
    with pytest.raises(ConfigProblem, match="gpuNodes.flavor is required"):
        parse(raw, {"oidcClientSecret", "harborAdminPassword", "harborOidcClientSecret"})
