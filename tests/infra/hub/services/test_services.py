"""The hub's services in the plan: the lab-token service, the Drive's layout job and init
containers, the offline option; and every hub values variant valid against the z2jh schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from infra.config.stack import ConfigProblem, parse
from infra.drive.layout import CAPABILITIES
from infra.hub.pod import hub_service, share_service, token_service
from infra.hub.services.share import lab_share
from infra.hub.services.token import lab_token
from tests.helpers.stack import (
    by_type,
    chart_schema_errors,
    dev_values,
    existing_cluster_values,
    helm_release,
    simulate,
)

SECRETS = {"oidcClientSecret": "s3cr3t-oidc-7f1d", "harborAdminPassword": "h", "harborOidcClientSecret": "o",
           "kubeconfig": "apiVersion: v1\nkind: Config\n", "backupPassword": "b", "hubMetricsToken": "m",
           "grafanaAdminPassword": "g", "backupS3Credentials": "AKIA:s"}


def plan(values):
    records, _ = simulate(values, SECRETS)
    return records, helm_release(records, "jupyterhub").inputs["values"]


def offline_values(cidrs=("192.0.2.10/32",)):
    values = dev_values()
    values["labforge:hub"] = {**values["labforge:hub"], "internetAccess": False, "labServiceCidrs": list(cidrs)}
    return values


@pytest.fixture(scope="module")
def online():
    return plan(dev_values())


@pytest.fixture(scope="module")
def offline():
    return plan(offline_values())


def test_token_service_is_run_by_the_hub_from_the_shipped_file(online):
    hub = online[1]["hub"]
    service = hub["services"]["lab-token"]
    shipped = hub["extraFiles"]["lab-token"]
    assert service["command"] == ["python3", shipped["mountPath"]]
    assert shipped["stringData"] == Path(token_service.__file__).read_text()
    assert service["url"] == "http://hub:8181" and service.get("admin") is not True
    env = service["environment"]
    assert env["LAB_TOKEN_IAM_TOKEN_URL"] == "https://iam.lab.example.org/realms/lab/protocol/openid-connect/token"
    assert env["LAB_TOKEN_CLIENT_ID"] == "lab-hub" and "LAB_TOKEN_CLIENT_SECRET" not in env
    assert hub["service"]["extraPorts"] == [{"name": "lab-token", "port": 8181, "targetPort": 8181},
                                            {"name": "lab-share", "port": 8182, "targetPort": 8182}]


def test_the_services_find_their_shared_helpers_where_they_are_shipped(online, tmp_path):
    files = online[1]["hub"]["extraFiles"]
    helpers = files["lab-hub-service"]
    assert helpers["stringData"] == Path(hub_service.__file__).read_text()
    assert {Path(files[name]["mountPath"]).parent for name in ("lab-token", "lab-share", "lab-hub-service")} == \
        {Path(helpers["mountPath"]).parent}
    for shipped in files.values():  # the hub pod's folder, as the chart mounts it
        (tmp_path / Path(shipped["mountPath"]).name).write_text(shipped["stringData"])
    for name in ("lab-token", "lab-share"):
        loaded = subprocess.run([sys.executable, "-c", "import runpy, sys; runpy.run_path(sys.argv[1])",
                                 Path(files[name]["mountPath"]).name], cwd=tmp_path, capture_output=True, text=True)
        assert loaded.returncode == 0, loaded.stderr


def test_share_service_is_run_by_the_hub_and_keeps_grants_on_its_volume(online):
    hub = online[1]["hub"]
    service, shipped = hub["services"]["lab-share"], hub["extraFiles"]["lab-share"]
    assert service["command"] == ["python3", shipped["mountPath"]] and service["url"] == "http://hub:8182"
    assert shipped["stringData"] == Path(share_service.__file__).read_text()
    # the hub's own volume (z2jh mounts its PVC at /srv/jupyterhub): the grants survive restarts
    assert service["environment"]["LAB_SHARE_STORE"].startswith("/srv/jupyterhub/")
    assert online[1]["hub"]["extraConfig"]["labforge-drive"].count(service["environment"]["LAB_SHARE_STORE"]) == 1


def test_token_service_has_the_narrowest_roles(online):
    roles = online[1]["hub"]["loadRoles"]
    assert roles["lab-token"]["scopes"] == ["admin:auth_state", "read:users:name"]
    assert roles["lab-token"]["services"] == ["lab-token"]
    assert roles["lab-share"] == {"description": roles["lab-share"]["description"], "scopes": ["read:users:name"],
                                  "services": ["lab-share"]}
    assert roles["user"]["scopes"] == ["self", "access:services!service=lab-token",
                                       "access:services!service=lab-share"]
    assert roles["server"]["scopes"] == ["users:activity!user", "access:servers!server",
                                         "access:services!service=lab-token", "access:services!service=lab-share"]


def test_client_secret_reaches_the_service_from_the_hub_config_only(online):
    snippet = online[1]["hub"]["extraConfig"]["labforge-token"]
    c = SimpleNamespace(JupyterHub=SimpleNamespace(services=[{"name": "other"}, {"name": "lab-token", "environment": {}}]),
                        GenericOAuthenticator=SimpleNamespace(client_secret="from-the-hub-secret"))
    exec(compile(snippet, "labforge-token", "exec"), {"c": c})
    assert c.JupyterHub.services[1]["environment"]["LAB_TOKEN_CLIENT_SECRET"] == "from-the-hub-secret"
    assert "environment" not in c.JupyterHub.services[0]
    assert "s3cr3t" not in snippet


def test_user_pods_find_and_reach_the_service(online):
    values = online[1]
    # the pod spec carries where the service is, never a token
    assert values["singleuser"]["extraEnv"] == {"LAB_TOKEN_URL": "http://hub:8181/services/lab-token/",
                                                 "LAB_SHARE_URL": "http://hub:8182/services/lab-share/"}
    to_hub = values["singleuser"]["networkPolicy"]["egress"][:2]
    assert [rule["ports"] for rule in to_hub] == [[{"port": 8181}], [{"port": 8182}]]
    assert all(rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "hub" for rule in to_hub)
    ingress = values["hub"]["networkPolicy"]["ingress"]
    assert ingress == [{"ports": [{"port": port}], "from": [
        {"podSelector": {"matchLabels": {"hub.jupyter.org/network-access-hub": "true"}}}]} for port in (8181, 8182)]


def test_online_pods_reach_public_addresses_but_not_the_cluster(online):
    rules = online[1]["singleuser"]["networkPolicy"]["egressAllowRules"]
    assert rules["nonPrivateIPs"] is True
    assert rules["privateIPs"] is False and rules["cloudMetadataServer"] is False and rules["dnsPortsPrivateIPs"] is True


def test_offline_pods_reach_only_hub_dns_and_lab_services(offline):
    policy = offline[1]["singleuser"]["networkPolicy"]
    rules = policy["egressAllowRules"]
    assert rules["nonPrivateIPs"] is False and rules["privateIPs"] is False and rules["cloudMetadataServer"] is False
    assert rules["dnsPortsPrivateIPs"] is True and rules["dnsPortsKubeSystemNamespace"] is True
    assert policy["egress"][2:] == [{"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}]}]
    assert len(policy["egress"]) == 3  # the token and share ports, the lab service: nothing else


@pytest.mark.parametrize("variant", ["online", "offline", "existing", "offline-no-services"])
def test_hub_values_are_valid_against_the_chart_schema(variant):
    values = {"online": dev_values, "offline": offline_values, "existing": existing_cluster_values,
              "offline-no-services": lambda: offline_values(())}[variant]()
    assert chart_schema_errors(plan(values)[1]) == []


def test_schema_check_does_catch_a_misplaced_key(online):
    values = dict(online[1])
    values["singleuser"] = {**values["singleuser"], "networkPolicy": {**values["singleuser"]["networkPolicy"],
                                                                     "egresAllowRules": {}}}
    assert any("egresAllowRules" in e for e in chart_schema_errors(values))


def test_bad_lab_service_address_is_refused_with_its_key():
    values = offline_values(["10.0.0.0/8", "not-a-network"])
    raw = {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("labforge:")}
    with pytest.raises(ConfigProblem) as info:
        parse(raw, {"oidcClientSecret", "harborAdminPassword", "harborOidcClientSecret"})
    assert "labforge:hub" in str(info.value) and "not-a-network" in str(info.value)


def test_drive_layout_job_runs_before_the_hub_with_only_chown_powers(online):
    records = online[0]
    jobs = by_type(records, "batch/v1:Job")
    assert [j.name for j in jobs] == ["lab-drive-layout"]
    job = jobs[0].inputs
    container = job["spec"]["template"]["spec"]["containers"][0]
    context = container["securityContext"]
    assert context["capabilities"] == {"drop": ["ALL"], "add": CAPABILITIES}
    assert context["allowPrivilegeEscalation"] is False and context.get("privileged") is not True
    assert job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "lab-drive"
    assert container["image"].startswith("harbor.lab.example.org/lab/notebook:2026.11@sha256:")
    hub = next(r for r in records if r.type == "labforge:infra:JupyterHub")
    assert any(d.endswith("lab-drive-layout") for d in hub.dependencies)


def test_drive_settings_carry_patterns_cap_and_image(online):
    source = online[1]["hub"]["extraConfig"]["labforge-drive"]
    namespace = {"c": SimpleNamespace(KubeSpawner=SimpleNamespace())}
    exec(compile(source, "labforge-drive", "exec"), namespace)
    settings = namespace["DRIVE_SETTINGS"]
    assert settings["patterns"] == ["collab-*"] and settings["max_groups"] == 20
    assert settings["image"] == container_image(online[1])


def container_image(values):
    image = values["singleuser"]["image"]
    return f"{image['name']}:{image['tag']}"


def test_service_names_agree():
    for service in (lab_token("https://iam/token", "lab", "https://lab/hub/login"), lab_share()):
        assert service.url_in_pods.startswith(f"http://hub:{service.port}/services/{service.name}/")
        assert list(service.extra_env().values()) == [service.url_in_pods]
