"""Pre-pulling (plan with Pulumi's mocks): every user node keeps the default release and the
previous default; GPU images go only to GPU nodes; past and experimental releases are not
pre-pulled."""

from __future__ import annotations

import json

from tests.helpers.stack import REPO, by_type, chart_schema_errors, dev_values, helm_release, simulate

CATALOG = {r["id"]: r for r in json.loads((REPO / "releases" / "catalog.json").read_text())["releases"]}


def test_user_nodes_keep_the_default_and_the_previous_default():
    values = helm_release(simulate(dev_values())[0], "jupyterhub").inputs["values"]
    stable = sorted((r for r in CATALOG.values() if r["channel"] == "stable" and r["status"] == "supported"),
                    key=lambda r: r["id"], reverse=True)
    default, previous = stable[0], stable[1]
    assert values["singleuser"]["image"]["tag"] == f"{default['id']}@{default['digest']}"
    puller = values["prePuller"]
    assert puller["continuous"]["enabled"] and puller["hook"]["enabled"]
    assert puller["pullProfileListImages"] is False  # not every past and experimental image on every node
    assert puller["extraImages"] == {f"lab-{previous['id'].replace('.', '-')}": {
        "name": previous["image"], "tag": f"{previous['id']}@{previous['digest']}"}}
    assert chart_schema_errors(values) == []


def test_a_mirror_serves_the_pre_pulled_images_too():
    config = dev_values()
    config["labforge:hub"] = {**config["labforge:hub"], "imageRepository": "mirror.lab.example.org/lab/notebook"}
    values = helm_release(simulate(config)[0], "jupyterhub").inputs["values"]
    assert {image["name"] for image in values["prePuller"]["extraImages"].values()} == {
        "mirror.lab.example.org/lab/notebook"}


def test_gpu_images_are_pulled_only_on_gpu_nodes():
    records = simulate(dev_values())[0]
    daemon_set = next(r.inputs for r in by_type(records, "kubernetes:apps/v1:DaemonSet")
                      if r.name == "gpu-prepuller")
    spec = daemon_set["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "present",
                                    "effect": "NoSchedule"}]
    gpu = [r for r in CATALOG.values() if r.get("gpu")]
    assert [c["image"] for c in spec["initContainers"]] == [
        f"{r['gpu']['image']}:{r['id']}-gpu@{r['gpu']['digest']}" for r in sorted(gpu, key=lambda r: r["id"],
                                                                                 reverse=True)][:2]
    assert spec["imagePullSecrets"] == [{"name": "harbor-pull"}]
    hub = helm_release(records, "jupyterhub").inputs["values"]
    assert not any("gpu" in image["tag"] for image in hub["prePuller"]["extraImages"].values())
