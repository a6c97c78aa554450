"""Every chart release of the plan with a pinned copy (jupyterhub 4.4.0, harbor 1.19.1) rendered
by real Helm with the exact values the Pulumi program passes, for the example stack and for stack
configs that turn on each option; every object validated strictly against the Kubernetes schemas
of the lowest and highest supported version. Then the tests read the rendered objects."""

from __future__ import annotations

import base64
import copy
import functools
import json

import pytest
import yaml

from infra.config.versions import KUBERNETES_VERSIONS, RENDERED_CHARTS
from infra.offline.charts import rendered_releases, schema_problems
from infra.offline.simulate import PLACEHOLDER_SECRETS
from tests.helpers.stack import REPO, RUNNERS, TOKEN, copies_missing, dev_values, existing_cluster_values, simulate


def offline_values() -> dict:
    values = dev_values()
    values["labforge:hub"] = {**values["labforge:hub"], "internetAccess": False, "labServiceCidrs": ["10.40.0.0/24"]}
    return values


def runner_values() -> dict:
    values = dev_values()
    values["labforge:runners"] = dict(RUNNERS)
    return values


def without_gpus() -> dict:
    values = dev_values()
    cluster = copy.deepcopy(values["labforge:cluster"])
    cluster.pop("gpuNodes", None)
    values["labforge:cluster"] = cluster
    return values


def hub_check_values() -> dict:
    values = dev_values()
    values["labforge:hub"] = {**values["labforge:hub"],
                              "check": {"enabled": True, "image": "harbor.lab.example.org/ci/labforge:0.1.0"}}
    return values


STACKS = {"example (GPU nodes)": dev_values, "no GPU nodes": without_gpus, "existing cluster": existing_cluster_values,
          "offline hub": offline_values, "runners": runner_values, "hub check": hub_check_values}
SECRETS = {**PLACEHOLDER_SECRETS, "gitlabRunnerToken": TOKEN, "hubCheckToken": "hub-check-token-placeholder"}


pytestmark = pytest.mark.skipif(bool(copies_missing()), reason=copies_missing() or "")


@functools.cache
def rendered(stack: str):
    records, _ = simulate(STACKS[stack](), SECRETS)
    done, skipped = rendered_releases(records)
    return {r.chart: r for r in done}, skipped


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_rendered_object_is_valid_on_the_lowest_and_highest_kubernetes(stack):
    charts, skipped = rendered(stack)
    # every chart the stack deploys, rendered: the GitLab runner's (no copy kept) named, never silently left out
    assert all(line.startswith("gitlab-runner ") for line in skipped) and (stack == "runners") == bool(skipped)
    expected = set(RENDERED_CHARTS) - ({"nvidia-device-plugin"} if stack in ("no GPU nodes", "existing cluster")
                                       else set()) - ({"velero"} if stack == "existing cluster" else set())
    assert set(charts) == expected
    assert all(len(c.objects) >= 5 for c in charts.values())
    problems = [p for chart in charts.values() for p in schema_problems(chart, KUBERNETES_VERSIONS)]
    assert problems == []


def hub_config(stack: str) -> dict:
    """The values z2jh hands the hub (its Secret `hub`, key values.yaml)."""
    secret = rendered(stack)[0]["jupyterhub"].named("Secret", "hub")
    return yaml.safe_load(base64.b64decode(secret["data"]["values.yaml"]))


def containers(obj: dict) -> list[dict]:
    spec = obj.get("spec", {})
    pod = spec.get("template", {}).get("spec", spec.get("jobTemplate", {}).get("spec", {}).get("template", {})
                                       .get("spec", {}))
    return pod.get("containers", []) + pod.get("initContainers", [])


def test_the_hub_pod_carries_the_shipped_service_files():
    """What the hub container mounts (from the rendered Secret) is byte for byte the repository's
    files, at the paths the services' commands run; the Drive hook is in the hub's config."""
    chart = rendered("example (GPU nodes)")[0]["jupyterhub"]
    hub = chart.named("Deployment", "hub")
    volume = next(v for v in hub["spec"]["template"]["spec"]["volumes"] if v["name"] == "files")
    mounted = {m["mountPath"]: m["subPath"] for c in containers(hub) for m in c.get("volumeMounts", [])
               if m["name"] == "files"}
    files = chart.named("Secret", volume["secret"]["secretName"])["stringData"]
    shipped = {path.rsplit("/", 1)[-1]: files[key] for path, key in mounted.items()}
    pod = REPO / "infra" / "hub" / "pod"
    assert shipped == {"hub_service.py": (pod / "hub_service.py").read_text(),
                       "lab_share_service.py": (pod / "share_service.py").read_text(),
                       "lab_token_service.py": (pod / "token_service.py").read_text()}
    commands = [service["command"][-1] for service in hub_config("example (GPU nodes)")["hub"]["services"].values()
                if "command" in service]  # labforge-metrics is an API client: no process of its own
    assert sorted(commands) == sorted(path for path in mounted if "service.py" in path and "hub_service" not in path)
    extra = hub_config("example (GPU nodes)")["hub"]["extraConfig"]["labforge-drive"]
    assert "def drive_mounts" in extra


def test_user_pods_get_the_profile_lists_images_by_digest():
    profiles = hub_config("example (GPU nodes)")["singleuser"]["profileList"]
    images = [p["kubespawner_override"]["image"] for p in profiles if "image" in p.get("kubespawner_override", {})]
    options = [o["kubespawner_override"]["image"] for p in profiles for o in p.get("profile_options", {}).values()
               for o in o.get("choices", {}).values() if "image" in o.get("kubespawner_override", {})]
    catalog = json.loads((REPO / "releases" / "catalog.json").read_text())
    assert images + options and all("@sha256:" in image for image in images + options), images + options
    assert len(images + options) >= len([r for r in catalog["releases"] if r.get("status") != "deprecated"])


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_no_container_is_privileged_and_no_secret_sits_in_a_config_map(stack):
    charts, _ = rendered(stack)
    for chart in charts.values():
        for obj in chart.objects:
            for container in containers(obj):
                context = container.get("securityContext") or {}
                if obj["metadata"]["name"] == "nvidia-device-plugin-mps-control-daemon":
                    # NVIDIA's MPS daemon runs only on nodes labelled nvidia.com/mps.capable, which the lab never sets
                    assert obj["spec"]["template"]["spec"]["nodeSelector"]["nvidia.com/mps.capable"] == "true"
                    continue
                assert not context.get("privileged"), (chart.chart, obj["metadata"]["name"], container["name"])
            if obj["kind"] == "ConfigMap":
                text = json.dumps(obj.get("data") or {})
                leaked = [key for key, value in SECRETS.items() if value.strip() in text]
                assert leaked == [], (chart.chart, obj["metadata"]["name"], leaked)


def test_every_image_the_charts_run_is_pinned():
    for chart in rendered("example (GPU nodes)")[0].values():
        for obj in chart.objects:
            for container in containers(obj):
                image = container["image"]
                tag = image.rsplit("@", 1)[0].rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
                assert "@sha256:" in image or (tag and tag != "latest"), (chart.chart, image)
