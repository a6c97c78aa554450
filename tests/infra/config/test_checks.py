"""Stack config cross-checks: each careless or hostile config is refused with one line naming the
key, before any resource is registered; and generated configs either are refused that way or give
a plan whose charts Helm renders into objects valid on every supported Kubernetes."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config.stack import ConfigProblem
from infra.config.versions import RENDERED_CHARTS
from infra.offline.charts import rendered_releases, schema_problems
from infra.offline.mocks import install
from tests.helpers.stack import copies_missing, dev_values, existing_cluster_values, simulate


def changed(key: str, path: str, value):
    return lambda: _apply(dev_values(), key, path, value)


HUB, CLUSTER = "labforge:hub", "labforge:cluster"
DATASET = {"name": "reference-atlas", "claim": "other-claim"}
CASES = {
    "CPU guarantee above the limit": (changed(HUB, "resources.cpuGuarantee", 6), "hub.resources.cpuGuarantee",
                                      "is above cpuLimit"),
    "memory guarantee above the limit": (changed(HUB, "profileResources.experimental.memGuarantee", "6G"),
                                         "hub.profileResources.experimental.memGuarantee", "is above memLimit"),
    "a limit above the namespace quota": (changed(HUB, "quotaCpu", "2"), "hub.resources.cpuLimit",
                                          "is above hub.quotaCpu"),
    "two datasets of one name": (changed(HUB, "datasets.1", DATASET), "hub.datasets", "is given 2 times"),
    "a subPath climbing out": (changed(HUB, "datasets.0.subPath", "../other-lab"), "hub.datasets[0].subPath",
                               "escapes its volume"),
    "an absolute subPath": (changed(HUB, "datasets.0.subPath", "/etc"), "hub.datasets[0].subPath",
                            "escapes its volume"),
    "a group allowed twice": (changed("labforge:oidc", "allowedGroups", ["lab-members", "lab-members"]),
                              "oidc.allowedGroups", "is given 2 times"),
    "a token inside the GitLab URL": (
        lambda: {**dev_values(), "labforge:runners": {"gitlabUrl": "https://oauth2:glpat-abcdefghij0123456789@gitlab."
                                                                   "lab.example.org", "flavor": "c1.8xlarge"}},
        "runners.gitlabUrl", "holds credentials"),
    "a token in a query string": (changed("labforge:oidc", "issuer", "https://iam.lab.example.org/realms/lab?"
                                                                      "access_token=abc"),
                                  "oidc.issuer", "credential in its query string"),
    "latest as a chart version": (changed("labforge:harbor", "chartVersion", "latest"), "harbor.chartVersion",
                                  "is not an exact version"),
    "a Prometheus chart the tests never rendered": (changed("labforge:monitoring", "prometheusVersion", "29.0.0"),
                                                    "monitoring.prometheusVersion", "is not the prometheus chart"),
    "a hub chart the tests never rendered": (changed(HUB, "chartVersion", "4.3.0"), "hub.chartVersion",
                                             "not the jupyterhub chart version"),
    "a version range": (changed("labforge:gateway", "certManagerVersion", "^1.18"), "gateway.certManagerVersion",
                        "is not an exact version"),
    "a Kubernetes the stack does not support": (changed(CLUSTER, "kubernetesVersion", "1.27"),
                                                "cluster.kubernetesVersion", "outside the supported"),
    "a negative quota": (changed(HUB, "quotaMemory", "-5Gi"), "hub.quotaMemory", "not a positive"),
    "a zero quota": (changed(HUB, "quotaCpu", "0"), "hub.quotaCpu", "not a positive"),
    "a subnet with host bits": (changed(CLUSTER, "openstack.subnetCidr", "10.20.0.1/22"),
                                "cluster.openstack.subnetCidr", "is not a network"),
    "a subnet overlapping the pods": (changed(CLUSTER, "openstack.subnetCidr", "10.100.0.0/22"),
                                      "cluster.openstack.subnetCidr", "overlaps the cluster's pods network"),
    "a malformed admin range": (changed(CLUSTER, "openstack.adminCidrs", ["192.0.2.0/33"]),
                                "cluster.openstack.adminCidrs[0]", "is not a network"),
    "two control-plane nodes": (changed(CLUSTER, "openstack.masterCount", 2), "cluster.openstack.masterCount",
                                "etcd needs a majority"),
    "an image repository with a tag": (changed(HUB, "imageRepository", "harbor.lab.example.org/lab/notebook:latest"),
                                       "hub.imageRepository", "without a tag"),
}


def refused_before_anything(values) -> str:
    monitor = install()
    with pytest.raises(ConfigProblem) as caught:
        simulate(values)
    assert monitor.records == [], "resources were registered before the config was refused"
    return str(caught.value)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_cross_check_names_the_key_before_anything_is_registered(case):
    make, key, message = CASES[case]
    text = refused_before_anything(make())
    line = next((line for line in text.splitlines() if f"labforge:{key}:" in line), None)
    assert line and message in line, text


def test_the_example_stacks_pass_every_check():
    simulate(dev_values())
    simulate(existing_cluster_values())


@pytest.mark.parametrize("content, message", [
    ("config: [unclosed\n", "not valid YAML"),
    ("config:\n  labforge:hub: " + "[" * 200 + "]" * 200 + "\n", "nested too deeply"),
    ("config:\n  big: |\n" + ("    " + "x" * 1000 + "\n") * 1100, "larger than 1024 KiB"),
    ("- just\n- a list\n", "must be a mapping"),
    ("config: [1, 2]\n", "must be a mapping"),
])
def test_a_stack_file_that_is_not_a_config_is_one_clear_error(tmp_path, content, message, capsys):
    from infra.offline.plan import main

    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text(content)
    # the plan's main in this process (an exception would fail the test as a traceback would)
    code = main(["--stack-file", str(stack), "--out", str(tmp_path / "plan")])
    said = capsys.readouterr().err
    assert code == 1 and message in said and len(said.splitlines()) == 1, said
    assert not (tmp_path / "plan").exists()


# Careless values for the keys ops edit most.
MUTATIONS = st.one_of(
    st.tuples(st.just(HUB), st.sampled_from(["resources.cpuGuarantee", "resources.cpuLimit",
                                             "profileResources.experimental.cpuLimit"]),
              st.one_of(st.floats(-4, 64, allow_nan=False), st.integers(-2, 300))),
    st.tuples(st.just(HUB), st.sampled_from(["resources.memGuarantee", "resources.memLimit", "quotaMemory",
                                             "quotaCpu"]),
              st.sampled_from(["1G", "16G", "900G", "0", "-1G", "1Ti", "200", "lots", "512M"])),
    st.tuples(st.just(HUB), st.sampled_from(["datasets.0.subPath", "datasets.0.name", "datasets.1.name"]),
              st.sampled_from(["atlas", "../x", "/abs", "a/../../b", "reference-atlas", "Atlas", "ok-2"])),
    st.tuples(st.just(HUB), st.just("cullTimeout"), st.integers(-10, 10**6)),
    st.tuples(st.just(CLUSTER), st.sampled_from(["openstack.subnetCidr"]),
              st.sampled_from(["10.20.0.0/22", "10.254.0.0/24", "300.1.1.0/24", "10.20.0.0", "172.16.0.0/12"])),
    st.tuples(st.just(CLUSTER), st.sampled_from(["openstack.masterCount", "openstack.nodeCount", "gpuNodes.count",
                                                 "gpuNodes.gpusPerServer"]), st.integers(-1, 9)),
    st.tuples(st.just(CLUSTER), st.just("kubernetesVersion"), st.sampled_from(["1.29", "1.30", "1.33", "1.35",
                                                                             "1.36", "2.0"])),
    st.tuples(st.just("labforge:harbor"), st.just("chartVersion"), st.sampled_from(["1.19.1", "1.19", "latest"])),
)


@pytest.mark.skipif(bool(copies_missing()), reason=copies_missing() or "")
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(MUTATIONS, min_size=1, max_size=3))
def test_a_generated_stack_is_refused_cleanly_or_renders_valid_charts(mutations):
    values = dev_values()
    for key, path, value in mutations:
        values = _apply(values, key, path, value)
    monitor = install()
    try:
        records, _ = simulate(values)
    except ConfigProblem as problem:
        assert monitor.records == [] and all(line.strip().startswith("- labforge:")
                                             for line in str(problem).splitlines()[1:]), str(problem)
        return
    rendered, _ = rendered_releases(records)
    assert {r.chart for r in rendered} == set(RENDERED_CHARTS)
    assert [p for r in rendered for p in schema_problems(r)] == []


def _apply(values: dict, key: str, path: str, value) -> dict:
    target = values[key] = copy.deepcopy(values[key])
    *parents, last = path.split(".")
    for part in parents:
        target = _padded(target, part)[int(part)] if part.isdigit() else target.setdefault(part, {})
    _padded(target, last)[int(last) if last.isdigit() else last] = value
    return values


def _padded(target, part: str):
    """A list long enough for index `part` (new datasets get names of their own)."""
    while part.isdigit() and len(target) <= int(part):
        target.append({"name": f"extra-{len(target)}", "claim": "extra"})
    return target
