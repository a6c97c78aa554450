"""Typed stack configuration, validated before any resource is registered.

Plain settings come from `pulumi config set labforge:<key> ...` (objects as JSON/YAML);
secrets only from `pulumi config set --secret` and stay pulumi Outputs end to end.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from .backup import Backup
from .base import ConfigProblem, _Model
from .checks import cross_checks
from .cluster import Cluster, GpuNodes, OpenStackCluster  # noqa: F401 -- GpuNodes, OpenStackCluster: read by the components
from .gateway import INGRESS_RETIRED, Gateway
from .hubcheck import HubCheck
from .monitoring import Monitoring
from .runners import Runners

NAMESPACE = "labforge"
SECRET_KEYS = ("oidcClientSecret", "harborAdminPassword", "harborOidcClientSecret", "kubeconfig", "gitlabRunnerToken",
               "hubCheckToken", "backupPassword", "backupS3Credentials", "hubMetricsToken", "grafanaAdminPassword",
               "alertWebhookUrl")


class Oidc(_Model):
    issuer: str = Field(pattern=r"^https://[!-~]+[!-.0-~]$")
    client_id: str
    harbor_client_id: str = "harbor"
    username_claim: str = "preferred_username"
    groups_claim: str = "groups"
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email"])
    allowed_groups: list[str] = Field(default_factory=list)
    admin_groups: list[str] = Field(default_factory=list)
    allow_all: bool = False
    # Groups with a shared Drive folder; other values of the groups claim mount nothing.
    drive_groups: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _someone_may_log_in(self) -> "Oidc":
        if not self.allowed_groups and not self.allow_all:
            raise ValueError("set oidc.allowedGroups, or oidc.allowAll: true to let every IAM user in")
        return self


class Harbor(_Model):
    host: str
    chart_version: str = "1.19.1"
    storage: Literal["swift", "pvc"] = "swift"
    registry_size: str = Field("200Gi", pattern=r"^[0-9]+[GT]i$")
    keep_experimental: int = Field(5, ge=1)


class Resources(_Model):
    cpu_guarantee: float = Field(0.5, gt=0)
    cpu_limit: float = Field(4, gt=0)
    mem_guarantee: str = Field("2G", pattern=r"^[0-9]+[MG]$")
    mem_limit: str = Field("8G", pattern=r"^[0-9]+[MG]$")


class Dataset(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    claim: str
    sub_path: str = ""


class Hub(_Model):
    host: str
    chart_version: str = "4.4.0"
    namespace: str = Field("lab", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    catalog: str = "releases/catalog.json"
    image_repository: str | None = None
    cull_timeout: int = Field(12 * 3600, ge=600)
    home_size: str = Field("10Gi", pattern=r"^[0-9]+[MGT]i$")
    resources: Resources = Resources()
    profile_resources: dict[str, Resources] = Field(default_factory=dict)
    datasets: list[Dataset] = Field(default_factory=list)
    quota_cpu: str = "200"
    quota_memory: str = "800Gi"
    quota_pods: int = Field(300, ge=1)
    # false: user pods reach only the hub, DNS and labServiceCidrs (EUCAIM workstations: no
    # internet at run time); pip, git clone and downloads from notebooks then fail.
    internet_access: bool = True
    lab_service_cidrs: list[str] = Field(default_factory=list)
    check: HubCheck = HubCheck()  # `labforge hub check` as a CronJob (off by default)

    @model_validator(mode="after")
    def _cidrs(self) -> "Hub":
        bad = [c for c in self.lab_service_cidrs if not _is_cidr(c)]
        if bad:
            raise ValueError(f"hub.labServiceCidrs: {', '.join(bad)} is not an address range such as 10.0.0.0/24")
        return self


class Drive(_Model):
    mode: Literal["manila", "nfs", "storageClass"] = "manila"
    size: str = Field("1Ti", pattern=r"^[0-9]+[GT]i$")
    share_type: str = "default"
    nfs_server: str | None = None
    nfs_path: str | None = None
    storage_class: str | None = None
    # Group folders: the user's IAM groups named in oidc.driveGroups (or allowed/admin groups)
    # or matching one of these patterns (fnmatch, e.g. "collab-*"); at most maxGroups mounted.
    group_patterns: list[str] = Field(default_factory=list)
    max_groups: int = Field(20, ge=0, le=100)

    @model_validator(mode="after")
    def _mode_settings(self) -> "Drive":
        if self.mode == "nfs" and not (self.nfs_server and self.nfs_path):
            raise ValueError("drive.mode is nfs: set drive.nfsServer and drive.nfsPath")
        if self.mode == "storageClass" and not self.storage_class:
            raise ValueError("drive.mode is storageClass: set drive.storageClass (a ReadWriteMany class)")
        return self


class Storage(_Model):
    home_storage_class: str = "lab-home"
    home_provisioner: str = "cinder.csi.openstack.org"
    create_home_storage_class: bool = True
    user_buckets: bool = True


class StackConfig(_Model):
    cluster: Cluster
    gateway: Gateway
    oidc: Oidc
    harbor: Harbor
    hub: Hub
    drive: Drive = Drive()
    storage: Storage = Storage()
    runners: Runners | None = None  # GitLab Runner for release pipelines (off by default)
    backup: Backup = Backup()  # restic and Velero (off unless the stack turns it on; on in the example)
    monitoring: Monitoring = Monitoring()  # Prometheus, Alertmanager, Grafana (likewise)

    @model_validator(mode="after")
    def _cross_checks(self) -> "StackConfig":
        if self.cluster.mode == "existing" and self.drive.mode == "manila":
            raise ValueError("drive.mode manila needs cluster.mode openstack; use nfs or storageClass")
        if self.cluster.mode == "existing" and self.harbor.storage == "swift":
            raise ValueError("harbor.storage swift needs cluster.mode openstack; use pvc")
        if self.runners and self.cluster.mode == "openstack" and not self.runners.flavor:
            raise ValueError("runners on a Magnum cluster need runners.flavor (the build nodes' flavor)")
        if self.backup.enabled and self.cluster.mode == "existing" and not self.backup.repository:
            raise ValueError("backup.enabled but backups have nowhere to go: an existing cluster has no Swift of the "
                             "lab's; give backup.repository (s3:https://HOST/BUCKET) and the backupS3Credentials secret")
        if self.backup.enabled and self.backup.snapshots and self.cluster.mode == "existing":
            raise ValueError("backup.snapshots takes Cinder and Manila snapshots (Velero's OpenStack plugin) and needs "
                             "cluster.mode openstack: set backup.snapshots: false")
        return self


def _is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return "/" in value


def _key(loc: tuple) -> str:
    parts = [to_camel(p) if isinstance(p, str) else str(p) for p in loc]
    return f"{NAMESPACE}:" + ".".join(parts) if parts else f"{NAMESPACE}:(stack)"


def parse(values: dict, secrets_present: set[str] | frozenset[str] = frozenset()) -> StackConfig:
    """Validate plain config values; raise ConfigProblem listing every problem with its key."""
    problems: list[str] = []
    config = None
    if "ingress" in values:  # a stack from before the Gateway: one line that says how to move
        problems.append(f"{NAMESPACE}:ingress: {INGRESS_RETIRED}")
        values = {k: v for k, v in values.items() if k != "ingress"}
    try:
        config = StackConfig.model_validate(values)
    except ValidationError as exc:
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "is required"
            elif err["type"] == "extra_forbidden":
                msg = "is not a known key (check its spelling against docs/stack-config.md)"
            problems.append(f"{_key(tuple(err['loc']))}: {msg}")
    if config is not None:
        problems += cross_checks(config)
    required = {"oidcClientSecret", "harborAdminPassword", "harborOidcClientSecret"}
    if config is not None and config.cluster.mode == "existing":
        required.add("kubeconfig")
    if config is not None and config.runners is not None:
        required.add("gitlabRunnerToken")
    if config is not None and config.hub.check.enabled:
        required.add("hubCheckToken")
    if config is not None and config.backup.enabled:
        required |= {"backupPassword"} | ({"backupS3Credentials"} if config.backup.repository else set())
    if config is not None and config.monitoring.enabled:
        required |= {"hubMetricsToken", "grafanaAdminPassword"}
    for key in sorted(required - set(secrets_present)):
        problems.append(f"{NAMESPACE}:{key}: secret is not set (pulumi config set --secret {key} ...)")
    if problems:
        raise ConfigProblem(problems)
    return config


def load():
    """Read the stack's config through pulumi.Config: the plain model and the secret Outputs."""
    import pulumi

    cfg = pulumi.Config(NAMESPACE)
    values = {}
    for field_name, field in StackConfig.model_fields.items():
        key = field.alias or field_name
        value = cfg.get_object(key)
        if value is not None:
            values[key] = value
    early = _unknown_keys(cfg) + _plain_secrets()
    secrets = {key: cfg.get_secret(key) for key in SECRET_KEYS}
    try:
        config = parse(values, {k for k, v in secrets.items() if v is not None})
    except ConfigProblem as exc:
        exc.problems[:0] = early
        raise ConfigProblem(exc.problems) from None
    if early:
        raise ConfigProblem(early)
    return config, secrets


def _plain_secrets() -> list[str]:
    """A secret set without --secret sits in plain text in the stack file: refuse it."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return [f"{NAMESPACE}:{key}: is stored in plain text (pulumi config set --secret {key} ...)"
            for key in SECRET_KEYS
            if f"{NAMESPACE}:{key}" in keys and not runtime_config.is_config_secret(f"{NAMESPACE}:{key}")]


def _unknown_keys(cfg) -> list[str]:
    """A misspelt key would otherwise be ignored silently and its default used."""
    from pulumi.runtime import config as runtime_config

    known = {f.alias for f in StackConfig.model_fields.values()} | set(SECRET_KEYS)
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    names = sorted(k.split(":", 1)[1] for k in keys if k.startswith(f"{NAMESPACE}:"))
    return [f"{NAMESPACE}:{k}: {INGRESS_RETIRED}" if k == "ingress" else
            f"{NAMESPACE}:{k}: is not a known key (check its spelling against docs/stack-config.md)"
            for k in names if k not in known]
