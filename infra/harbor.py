"""Harbor: the chart, then projects, a robot account for the release pipeline, retention, OIDC login,
and a pull-only robot whose credentials let the cluster pull the lab's private images."""

from __future__ import annotations

import base64
import json

import pulumi
import pulumi_kubernetes as k8s
import pulumiverse_harbor as harbor

from .cluster.gateway import listener_name, parent_ref
from .config.stack import StackConfig
from .options import children

PROJECTS = {
    "lab": "notebook images of the releases",
    "tools": "batch tool images",
    "spack-cache": "spack OCI build cache",
}
# The user namespace's image pull secret (user pods, the pre-puller, the Drive's layout job).
PULL_SECRET = "harbor-pull"
# Stable releases are tagged YYYY.MM; experimental builds "experimental" and "experimental-<date>".
RELEASE_TAGS = "{20[0-9][0-9].[0-1][0-9],latest}"


def harbor_values(config: StackConfig, swift=None) -> dict:
    h = config.harbor
    values: dict = {
        "externalURL": f"https://{h.host}",
        # Through the lab's Gateway (its https-harbor listener terminates TLS): no nginx of Harbor's own.
        "expose": {"type": "route", "tls": {"enabled": False},
                   "route": {"parentRefs": [parent_ref(listener_name("harbor"))], "hosts": [h.host]}},
        "existingSecretAdminPassword": "harbor-admin",
        "existingSecretAdminPasswordKey": "HARBOR_ADMIN_PASSWORD",
        "persistence": {"enabled": True, "resourcePolicy": "keep",
                        "persistentVolumeClaim": {"registry": {"size": h.registry_size}}},
        "trivy": {"enabled": True},
        # /metrics of core, registry, jobservice and the exporter, scraped when the monitoring is on
        "metrics": {"enabled": config.monitoring.enabled},
        "database": {"type": "internal"},
    }
    if swift is not None:
        values["persistence"]["imageChartStorage"] = {
            "type": "swift",
            "swift": {"authurl": swift["authurl"], "region": swift["region"], "container": swift["container"],
                      "authversion": 3}}
        # The registry reads the application credential from the environment (distribution's
        # REGISTRY_STORAGE_SWIFT_* overrides), so it never sits in the chart's values.
        values["registry"] = {"registry": {"extraEnvVars": [
            {"name": f"REGISTRY_STORAGE_SWIFT_{key}",
             "valueFrom": {"secretKeyRef": {"name": "harbor-swift", "key": key}}}
            for key in ("APPLICATIONCREDENTIALID", "APPLICATIONCREDENTIALSECRET")]}}
    return values


class HarborRegistry(pulumi.ComponentResource):
    def __init__(self, name: str, config: StackConfig, secrets: dict, storage, user_namespace: k8s.core.v1.Namespace,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:Harbor", name, None, opts)
        child = children(self, opts)
        h = config.harbor
        namespace = k8s.core.v1.Namespace(f"{name}-ns", metadata={"name": "harbor"}, opts=child)
        in_ns = children(self, opts, namespace)
        admin = k8s.core.v1.Secret(f"{name}-admin", metadata={"name": "harbor-admin", "namespace": "harbor"},
                                   string_data={"HARBOR_ADMIN_PASSWORD": secrets["harborAdminPassword"]}, opts=in_ns)
        swift = None
        depends = [admin]
        if storage.harbor_container is not None:
            cred = storage.harbor_credential
            depends.append(k8s.core.v1.Secret(
                f"{name}-swift", metadata={"name": "harbor-swift", "namespace": "harbor"},
                string_data={"APPLICATIONCREDENTIALID": cred.id, "APPLICATIONCREDENTIALSECRET": cred.secret},
                opts=in_ns))
            swift = {"authurl": config.cluster.openstack.auth_url, "region": config.cluster.openstack.region,
                     "container": storage.harbor_container.name}
        self.release = k8s.helm.v3.Release(
            f"{name}-chart", name="harbor", chart="harbor", version=h.chart_version, namespace="harbor",
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://helm.goharbor.io"),
            values=harbor_values(config, swift), timeout=900,
            opts=children(self, opts, *depends))

        provider = harbor.Provider(f"{name}-api", url=f"https://{h.host}", username="admin",
                                   password=secrets["harborAdminPassword"],
                                   opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release]))
        api = pulumi.ResourceOptions(parent=self, provider=provider)
        self.projects = {
            project: harbor.Project(f"{name}-{project}", name=project, public=False, vulnerability_scanning=True,
                                    auto_sbom_generation=True, opts=api)
            for project in PROJECTS
        }
        self.robot = harbor.RobotAccount(
            f"{name}-release-robot", name="release-pipeline", level="system",
            description="labforge release pipeline: push and pull in lab, tools and spack-cache only",
            permissions=[harbor.RobotAccountPermissionArgs(
                kind="project", namespace=project,
                accesses=[harbor.RobotAccountPermissionAccessArgs(action=action, resource="repository")
                          for action in ("pull", "push")]) for project in PROJECTS],
            opts=pulumi.ResourceOptions(parent=self, provider=provider, additional_secret_outputs=["secret"]))
        # The lab's own CI runners pull builder images with it (infra/runners.py).
        self.robot_docker_config = robot_docker_config(h.host, self.robot)
        # Keep every release tag (the catalog pins them by digest) and the last few experimental builds.
        harbor.RetentionPolicy(
            f"{name}-lab-retention", scope=self.projects["lab"].id, schedule="Daily",
            rules=[harbor.RetentionPolicyRuleArgs(always_retain=True, tag_matching=RELEASE_TAGS, repo_matching="**"),
                   harbor.RetentionPolicyRuleArgs(most_recently_pushed=h.keep_experimental,
                                                  tag_matching="experimental*", repo_matching="**")],
            opts=api)
        harbor.ConfigAuth(
            f"{name}-oidc", auth_mode="oidc_auth", primary_auth_mode=True, oidc_name="Lab IAM",
            oidc_endpoint=config.oidc.issuer, oidc_client_id=config.oidc.harbor_client_id,
            oidc_client_secret=secrets["harborOidcClientSecret"], oidc_scope=",".join(config.oidc.scopes + ["offline_access"]),
            oidc_groups_claim=config.oidc.groups_claim, oidc_user_claim=config.oidc.username_claim,
            oidc_admin_group=(config.oidc.admin_groups or [""])[0], oidc_auto_onboard=True, oidc_verify_cert=True,
            opts=api)
        self.pull_secret = self._pull_secret(name, h.host, config.hub.namespace, provider, user_namespace)
        self.url = f"https://{h.host}"
        self.register_outputs({"url": self.url})

    def _pull_secret(self, name: str, host: str, namespace: str, provider, user_namespace) -> k8s.core.v1.Secret:
        """A robot that may only pull from `lab` and `tools`, as a dockerconfigjson Secret."""
        robot = harbor.RobotAccount(
            f"{name}-cluster-pull", name="cluster-pull", level="system",
            description="the cluster pulls notebook and batch images: pull only, lab and tools only",
            permissions=[harbor.RobotAccountPermissionArgs(
                kind="project", namespace=project,
                accesses=[harbor.RobotAccountPermissionAccessArgs(action="pull", resource="repository")])
                for project in ("lab", "tools")],
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=list(self.projects.values()),
                                        additional_secret_outputs=["secret"]))
        config = robot_docker_config(host, robot)
        return k8s.core.v1.Secret(
            f"{name}-pull-secret", metadata={"name": PULL_SECRET, "namespace": namespace},
            type="kubernetes.io/dockerconfigjson", string_data={".dockerconfigjson": config},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[user_namespace]))


def robot_docker_config(host: str, robot: harbor.RobotAccount) -> pulumi.Output:
    """A robot account's dockerconfigjson, kept secret."""
    return pulumi.Output.secret(pulumi.Output.all(robot.full_name, robot.secret).apply(
        lambda args: docker_config(host, args[0], args[1])))


def docker_config(host: str, username: str, password: str) -> str:
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {host: {"username": username, "password": password, "auth": auth}}}, sort_keys=True)
