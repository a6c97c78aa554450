"""`labforge:hub.check`: `labforge hub check` as a CronJob (off by default), its token a secret
end to end, its hub role limited to the check user."""

from __future__ import annotations

import json

import pytest

from infra.config.stack import ConfigProblem
from infra.offline.simulate import PLACEHOLDER_SECRETS
from tests.helpers.stack import by_type, dev_values, helm_release, simulate

TOKEN = "hub-check-token-placeholder-0123456789abcdef"
CHECK = {"enabled": True, "image": "harbor.lab.example.org/ci/labforge:0.1.0", "schedule": "15 4 * * *"}


def plan(check: dict | None, token: str | None = TOKEN):
    values = dev_values()
    if check is not None:
        values["labforge:hub"] = {**values["labforge:hub"], "check": check}
    secrets = dict(PLACEHOLDER_SECRETS) | ({"hubCheckToken": token} if token else {})
    return simulate(values, secrets)[0]


def test_off_by_default():
    records = plan(None)
    assert [j for j in by_type(records, "batch/v1:CronJob") if j.name.startswith("hub-check")] == []
    assert "labforge-check" not in helm_release(records, "jupyterhub").inputs["values"]["hub"]["services"]


def test_enabled_runs_the_check_with_its_token_from_a_secret():
    records = plan(CHECK)
    [job] = [j for j in by_type(records, "batch/v1:CronJob") if j.name.startswith("hub-check")]
    spec = job.inputs["spec"]
    assert spec["schedule"] == "15 4 * * *" and spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == CHECK["image"]
    assert container["command"][:3] == ["labforge", "hub", "check"] and "--catalog" in container["command"]
    # the example stack watches the lab: the results go to Prometheus' Pushgateway
    assert container["command"][-2:] == ["--pushgateway", "http://prometheus-prometheus-pushgateway.monitoring.svc:9091"]
    env = {e["name"]: e for e in container["env"]}
    assert env["LABFORGE_HUB_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "labforge-check-token"
    assert TOKEN not in json.dumps(job.inputs)  # never in the job's own spec
    [secret] = [s for s in by_type(records, "core/v1:Secret") if s.name == "hub-check-token"]
    assert "secret" in json.dumps(secret.inputs["stringData"])  # a Pulumi secret, masked in plans
    [catalog] = [c for c in by_type(records, "core/v1:ConfigMap") if c.name == "hub-check-catalog"]
    assert json.loads(catalog.inputs["data"]["catalog.json"])["releases"]
    hub = helm_release(records, "jupyterhub").inputs["values"]["hub"]
    assert "labforge-check" in hub["services"]
    scopes = hub["loadRoles"]["labforge-check"]["scopes"]
    assert scopes and all(s.endswith("!user=labforge-check") for s in scopes)  # the check user only


@pytest.mark.parametrize("check, token, key", [
    ({"enabled": True}, TOKEN, "needs hub.check.image"),
    ({**CHECK, "image": "harbor.lab.example.org/ci/labforge:latest"}, TOKEN, "must be pinned"),
    ({**CHECK, "image": "harbor.lab.example.org/ci/labforge"}, TOKEN, "must be pinned"),
    ({**CHECK, "schedule": "daily"}, TOKEN, "labforge:hub.check.schedule"),
    ({**CHECK, "timeout": 5}, TOKEN, "labforge:hub.check.timeout"),
    (CHECK, None, "labforge:hubCheckToken: secret is not set"),
])
def test_a_check_that_cannot_run_is_refused_before_anything(check, token, key):
    with pytest.raises(ConfigProblem) as problem:
        plan(check, token)
    assert key in str(problem.value)


def test_the_cronjob_is_valid_on_the_lowest_and_highest_kubernetes():
    from infra.offline.charts import Rendered, plain, schema_problems

    [job] = [j for j in by_type(plan(CHECK), "batch/v1:CronJob") if j.name.startswith("hub-check")]
    obj = {"apiVersion": "batch/v1", "kind": "CronJob", **plain(job.inputs)}
    assert schema_problems(Rendered("hub-check", "cronjob", "-", "lab", [obj])) == []
