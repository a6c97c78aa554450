"""GitLab runners on the lab's cluster (`labforge:runners`, off by default): a build node group,
GitLab's official chart with the Kubernetes executor, the runner token only as a secret."""

from __future__ import annotations

import json
import tomllib

import pytest

from infra.config.stack import ConfigProblem
from infra.offline.simulate import PLACEHOLDER_SECRETS, run
from tests.helpers.project import REPO
from tests.helpers.stack import (
    RUNNERS,
    TOKEN,
    by_type,
    dev_values,
    existing_cluster_values,
    helm_release,
    simulate,
    to_config,
    unwrap,
)

CHART_FACTS = REPO / "tests" / "fixtures" / "gitlab-runner-0.86.0"


def with_runners(values: dict, **changes) -> dict:
    values["labforge:runners"] = {**RUNNERS, **changes}
    return values


def plan(values: dict, token: str | None = TOKEN):
    secrets = dict(PLACEHOLDER_SECRETS) | ({"gitlabRunnerToken": token} if token else {})
    return simulate(values, secrets)[0]


@pytest.fixture(scope="module")
def records():
    return plan(with_runners(dev_values()))


def test_build_node_group_is_labelled_tainted_and_scales(records):
    group = next(r.inputs for r in by_type(records, "containerinfra/nodeGroup:NodeGroup") if r.name == "lab-build-nodes")
    assert group["flavorId"] == "c1.8xlarge" and group["role"] == "build"
    assert (group["minNodeCount"], group["maxNodeCount"], group["nodeCount"]) == (0, 12, 1)
    assert group["labels"]["kubelet_options"] == ("--node-labels=labforge.org/node-purpose=build "
                                                  "--register-with-taints=labforge.org/build=true:NoSchedule")


def test_official_chart_with_the_kubernetes_executor_on_build_nodes(records):
    release = helm_release(records, "gitlab-runner").inputs
    assert release["repositoryOpts"]["repo"] == "https://charts.gitlab.io" and release["namespace"] == "gitlab-runner"
    values = release["values"]
    assert values["gitlabUrl"] == RUNNERS["gitlabUrl"] and values["concurrent"] == 24
    assert values["rbac"] == {"create": True} and values["runners"]["secret"] == "gitlab-runner-token"
    config = tomllib.loads(values["runners"]["config"])["runners"][0]["kubernetes"]
    assert config["node_selector"] == {"labforge.org/node-purpose": "build"}
    assert config["node_tolerations"] == {"labforge.org/build=true": "NoSchedule"}
    assert config["image_pull_secrets"] == ["labforge-build-pull"]
    assert config["volumes"]["secret"] == [{"name": "labforge-build-registry",
                                            "mount_path": "/run/secrets/labforge-registry", "read_only": True}]
    assert (config["cpu_request"], config["memory_request"]) == ("4", "8Gi")
    assert values["nodeSelector"] == {"labforge.org/node-purpose": "build"}


def known(name: str) -> set[str]:
    return set((CHART_FACTS / name).read_text().split())


def paths(values: dict, known_paths: set[str], prefix: str = "") -> list[str]:
    """Every key path set in values; maps the chart leaves free-form (nodeSelector) are not entered."""
    found = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        found.append(path)
        if isinstance(value, dict) and any(p.startswith(path + ".") for p in known_paths):
            found += paths(value, known_paths, path + ".")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value) \
                and any(p.startswith(path + ".") for p in known_paths):
            for item in value:
                found += paths(item, known_paths, path + ".")
    return found


def test_every_value_is_one_the_pinned_chart_reads(records):
    """A misspelled key is silently ignored by Helm (this chart has no values schema)."""
    release = helm_release(records, "gitlab-runner").inputs
    assert release["version"] == CHART_FACTS.name.removeprefix("gitlab-runner-")
    chart_paths = known("value-paths.txt")
    assert set(paths(release["values"], chart_paths)) - chart_paths == set()
    assert "{{" not in release["values"]["runners"]["config"]  # the chart runs it through tpl


def test_every_executor_setting_is_one_the_runner_reads(records):
    config = tomllib.loads(helm_release(records, "gitlab-runner").inputs["values"]["runners"]["config"])
    executor_keys = known("executor-keys.txt")
    assert set(paths(config["runners"][0], executor_keys, "runners.")) - executor_keys == set()


def test_no_secret_in_plain_values(records):
    secret = next(r for r in records if r.name == "runners-token")
    assert secret.inputs["stringData"] == {"secret": {"runner-token": TOKEN, "runner-registration-token": ""}}
    registry = next(r for r in records if r.name == "runners-registry")
    assert set(registry.inputs["stringData"]) == {"secret"}  # the robot's password stays a secret
    chart = helm_release(records, "gitlab-runner").inputs
    plain = json.dumps(chart["values"])
    assert TOKEN not in plain and "mock-robot-secret" not in plain and unwrap(chart["values"]) == chart["values"]


def test_runners_are_off_by_default():
    records = simulate(dev_values())[0]
    assert not [r for r in records if r.inputs.get("chart") == "gitlab-runner" or r.name == "lab-build-nodes"]


def test_existing_cluster_gets_the_runner_but_no_node_group():
    records = plan(with_runners(existing_cluster_values(), flavor=None))
    assert helm_release(records, "gitlab-runner") and not [r for r in records if r.name == "lab-build-nodes"]


@pytest.mark.parametrize("changes, message", [
    ({"flavor": None}, "runners on a Magnum cluster need runners.flavor"),
    ({"minNodes": 5, "maxNodes": 2}, "runners.minNodes (5) is above runners.maxNodes (2)"),
    ({"concurrent": 0}, "labforge:runners.concurrent"),
    ({"gitlabUrl": "http://gitlab"}, "labforge:runners.gitlabUrl"),
    ({"labels": {'a" = "b': "x"}}, "labforge:runners.labels"),
    ({"labels": {"purpose": "{{ .Values.x }}"}}, "labforge:runners.labels"),
])
def test_bad_runner_settings_are_refused(changes, message):
    with pytest.raises(ConfigProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan(with_runners(dev_values(), **changes))


def test_runner_token_must_be_a_secret():
    with pytest.raises(ConfigProblem, match="labforge:gitlabRunnerToken: secret is not set"):
        plan(with_runners(dev_values()), token=None)
    with pytest.raises(ConfigProblem, match="labforge:gitlabRunnerToken: is stored in plain text"):
        run(to_config(with_runners(dev_values())), dict(PLACEHOLDER_SECRETS) | {"gitlabRunnerToken": TOKEN},
            plain_keys=("gitlabRunnerToken",))
