"""Checks across the stack configuration's keys, run after each key is valid on its own and before
any resource is registered: what Kubernetes, Helm or the users would otherwise find mid-deployment
or at every spawn. Each problem is one line naming the key and what to do (README "Stack config
checks")."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from .versions import KUBERNETES_VERSIONS, RENDERED_CHARTS, minor

# The networks Magnum's Kubernetes uses inside the cluster (calico pods, services): a node subnet
# overlapping them makes routing to pods or services fail on some nodes.
CLUSTER_NETWORKS = {"pods": ipaddress.ip_network("10.100.0.0/16"), "services": ipaddress.ip_network("10.254.0.0/16")}
EXACT_VERSION = re.compile(r"v?[0-9]+\.[0-9]+\.[0-9]+")
# Query parameters and value shapes that carry a credential.
SECRET_PARAMETERS = {"token", "private_token", "access_token", "password", "secret", "key", "apikey", "api_key"}
SECRET_SHAPES = re.compile(r"\b(glpat-|glrt-|ghp_|github_pat_|xox[bp]-)[A-Za-z0-9_-]{8,}")
UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
         "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(text: str) -> float | None:
    """A Kubernetes quantity (4, 500m, 2G, 8Gi) as a number, or None."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(m|[KMGT]i?)?", str(text).strip())
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2) or ""
    return number / 1000 if unit == "m" else number * UNITS[unit]


def cross_checks(config) -> list[str]:
    problems: list[str] = []
    for check in (_resources, _unique_names, _paths, _versions, _networks, _counts):
        problems += check(config)
    return problems


def _resources(config) -> list[str]:
    hub = config.hub
    problems = []
    sets = {"hub.resources": hub.resources, **{f"hub.profileResources.{k}": v for k, v in hub.profile_resources.items()}}
    quota_cpu, quota_memory = quantity(hub.quota_cpu), quantity(hub.quota_memory)
    for key, res in sets.items():
        if res.cpu_guarantee > res.cpu_limit:
            problems.append(f"labforge:{key}.cpuGuarantee: {res.cpu_guarantee:g} is above cpuLimit {res.cpu_limit:g} "
                            "(Kubernetes refuses every such user pod): lower it or raise the limit")
        if quantity(res.mem_guarantee) > quantity(res.mem_limit):
            problems.append(f"labforge:{key}.memGuarantee: {res.mem_guarantee} is above memLimit {res.mem_limit} "
                            "(Kubernetes refuses every such user pod): lower it or raise the limit")
        if quota_cpu is not None and res.cpu_limit > quota_cpu:
            problems.append(f"labforge:{key}.cpuLimit: {res.cpu_limit:g} is above hub.quotaCpu {hub.quota_cpu} "
                            "(no such pod fits in the namespace quota): lower it or raise the quota")
        if quota_memory is not None and quantity(res.mem_limit) > quota_memory:
            problems.append(f"labforge:{key}.memLimit: {res.mem_limit} is above hub.quotaMemory {hub.quota_memory} "
                            "(no such pod fits in the namespace quota): lower it or raise the quota")
    for key, text in (("hub.quotaCpu", hub.quota_cpu), ("hub.quotaMemory", hub.quota_memory)):
        if not quantity(text):
            problems.append(f"labforge:{key}: {text!r} is not a positive Kubernetes quantity: write e.g. 200 or 800Gi")
    if config.runners and quantity(config.runners.job_cpu) == 0:
        problems.append("labforge:runners.jobCpu: must be above 0: write e.g. 4 or 500m")
    return problems


def _duplicates(values, key: str, what: str) -> list[str]:
    return [f"labforge:{key}: {value!r} is given {count} times: keep one ({what})"
            for value, count in Counter(values).items() if count > 1]


def _unique_names(config) -> list[str]:
    oidc, hub, drive = config.oidc, config.hub, config.drive
    return (_duplicates([d.name for d in hub.datasets], "hub.datasets",
                        "each dataset is a volume of every user pod; two of one name fail every spawn")
            + _duplicates([(d.claim, d.sub_path) for d in hub.datasets], "hub.datasets",
                          "the same claim and subPath mounted twice")
            + _duplicates(oidc.allowed_groups, "oidc.allowedGroups", "a group is allowed once")
            + _duplicates(oidc.admin_groups, "oidc.adminGroups", "a group is admin once")
            + _duplicates(oidc.drive_groups, "oidc.driveGroups", "a group has one Drive folder")
            + _duplicates(drive.group_patterns, "drive.groupPatterns", "a pattern matches once")
            + _duplicates(hub.lab_service_cidrs, "hub.labServiceCidrs", "a range is allowed once"))


def _relative_path_problem(key: str, value: str) -> str | None:
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or "\\" in value or any(c in value for c in "\0\n"):
        return (f"labforge:{key}: {value!r} escapes its volume: give a path inside it, relative, without "
                "'..' (e.g. atlas/v2)")
    return None


def _paths(config) -> list[str]:
    problems = []
    for i, dataset in enumerate(config.hub.datasets):
        if dataset.sub_path and (problem := _relative_path_problem(f"hub.datasets[{i}].subPath", dataset.sub_path)):
            problems.append(problem)
    drive = config.drive
    if drive.nfs_path is not None and (not drive.nfs_path.startswith("/") or ".." in drive.nfs_path.split("/")):
        problems.append(f"labforge:drive.nfsPath: {drive.nfs_path!r} must be an absolute export path without '..' "
                        "(e.g. /export/drive)")
    for i, pattern in enumerate(drive.group_patterns):
        if "/" in pattern or pattern in (".", ".."):
            problems.append(f"labforge:drive.groupPatterns[{i}]: {pattern!r} would name a folder outside the "
                            "group folders: a pattern matches one group name (no '/')")
    return problems + _credentials(config)


def _credentials(config) -> list[str]:
    """A credential written into a plain value sits in the stack file and in chart values."""
    problems = []
    for key, value in _leaves(config.model_dump(by_alias=True)):
        text = str(value)
        found = None
        if "://" in text:
            parts = urlsplit(text)
            if parts.username or parts.password or "@" in parts.netloc:
                found = "holds credentials (USER:PASSWORD@)"
            elif {k.lower() for k in parse_qs(parts.query)} & SECRET_PARAMETERS:
                found = "holds a credential in its query string"
        if found is None and SECRET_SHAPES.search(text):
            found = "holds what looks like an access token"
        if found:
            problems.append(f"labforge:{key}: {found}: remove it and give it as a secret "
                            "(pulumi config set --secret gitlabRunnerToken|oidcClientSecret|harborAdminPassword ...)")
    return problems


def _leaves(data, prefix=""):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _leaves(v, f"{prefix}[{i}]")
    elif data is not None:
        yield prefix, data


def _versions(config) -> list[str]:
    problems = []
    charts = [("hub.chartVersion", "jupyterhub", config.hub.chart_version),
              ("harbor.chartVersion", "harbor", config.harbor.chart_version),
              ("gateway.certManagerVersion", "cert-manager", config.gateway.cert_manager_version)]
    if config.gateway.install:
        charts.append(("gateway.envoyGatewayVersion", "gateway-helm", config.gateway.envoy_gateway_version))
    if config.cluster.gpu_nodes:
        charts.append(("cluster.gpuNodes.devicePluginVersion", "nvidia-device-plugin",
                       config.cluster.gpu_nodes.device_plugin_version))
    for key, chart, version in charts + day_two_charts(config):
        if not EXACT_VERSION.fullmatch(version):
            problems.append(f"labforge:{key}: {version!r} is not an exact version (no latest, ranges or "
                            "wildcards): write e.g. 1.2.3")
        elif version != RENDERED_CHARTS[chart]:
            problems.append(f"labforge:{key}: {version!r} is not the {chart} chart version the tests render "
                            f"with real Helm ({RENDERED_CHARTS[chart]}): use it, or add that chart's copy and test it")
    low, high = KUBERNETES_VERSIONS
    version = config.cluster.kubernetes_version
    if not minor(low) <= minor(version) <= minor(high):
        problems.append(f"labforge:cluster.kubernetesVersion: {version} is outside the supported {low} to {high} "
                        "(every chart object is validated against both ends)")
    repository = config.hub.image_repository
    if repository and (":" in repository.rsplit("/", 1)[-1] or "@" in repository):
        problems.append(f"labforge:hub.imageRepository: {repository!r} must be a repository without a tag or "
                        "digest: each release's image is pinned by its digest from the catalog")
    return problems


def day_two_charts(config) -> list[tuple[str, str, str]]:
    """(key, chart, version) of the monitoring and backup charts the stack deploys."""
    charts = []
    monitoring = getattr(config, "monitoring", None)
    if monitoring is not None and monitoring.enabled:
        charts += [("monitoring.prometheusVersion", "prometheus", monitoring.prometheus_version),
                   ("monitoring.grafanaVersion", "grafana", monitoring.grafana_version)]
    backup = getattr(config, "backup", None)
    if backup is not None and backup.enabled and backup.snapshots:
        charts.append(("backup.veleroVersion", "velero", backup.velero_version))
    return charts


def _networks(config) -> list[str]:
    problems = []
    openstack = config.cluster.openstack
    if openstack is None:
        return problems
    try:
        subnet = ipaddress.ip_network(openstack.subnet_cidr)
    except ValueError as exc:
        return [f"labforge:cluster.openstack.subnetCidr: {openstack.subnet_cidr!r} is not a network ({exc}): "
                "write its first address, e.g. 10.20.0.0/22"]
    for name, network in CLUSTER_NETWORKS.items():
        if subnet.overlaps(network):
            problems.append(f"labforge:cluster.openstack.subnetCidr: {subnet} overlaps the cluster's {name} network "
                            f"{network}: choose another range, e.g. 10.20.0.0/22")
    for i, cidr in enumerate(openstack.admin_cidrs):
        try:
            ipaddress.ip_network(cidr)
        except ValueError:
            problems.append(f"labforge:cluster.openstack.adminCidrs[{i}]: {cidr!r} is not a network such as "
                            "192.0.2.0/24")
    for i, server in enumerate(openstack.dns_nameservers):
        try:
            ipaddress.ip_address(server)
        except ValueError:
            problems.append(f"labforge:cluster.openstack.dnsNameservers[{i}]: {server!r} is not an IP address")
    return problems


def _counts(config) -> list[str]:
    openstack = config.cluster.openstack
    if openstack is not None and openstack.master_count % 2 == 0:
        return [f"labforge:cluster.openstack.masterCount: {openstack.master_count} control-plane nodes tolerate no "
                "more failures than one fewer (etcd needs a majority): use 1, 3 or 5"]
    return []
