"""The whole lab, wired together: config in, one line per component, outputs out."""

from __future__ import annotations

from pathlib import Path

import pulumi

from labforge.catalog.model import Catalog
from labforge.catalog.store import load_catalog

from .backup.component import LabBackups
from .cluster.gateway import LabGateway
from .cluster.gpu import GpuSupport
from .cluster.magnum import MagnumCluster, kubernetes_provider
from .cluster.network import LabNetwork
from .config.stack import StackConfig
from .drive.layout import DriveLayout
from .drive.storage import LabStorage
from .harbor import PULL_SECRET, HarborRegistry
from .hub.chart import JupyterHub
from .hub.check import HubCheckJob
from .hub.namespace import UserNamespace
from .hub.prepull import GpuPrePuller, gpu_images
from .hub.values import default_image_reference
from .monitoring.component import LabMonitoring
from .runners import GitLabRunners

REPO = Path(__file__).resolve().parents[1]


def read_catalog(config: StackConfig) -> Catalog:
    path = Path(config.hub.catalog)
    path = path if path.is_absolute() else REPO / path
    return load_catalog(path, config.hub.catalog, require_releases=True)


def public_hosts(config: StackConfig) -> dict[str, str]:
    """What the lab's Gateway serves over HTTPS: site -> host."""
    hosts = {"hub": config.hub.host, "harbor": config.harbor.host}
    if config.monitoring.enabled and config.monitoring.grafana_host:
        hosts["grafana"] = config.monitoring.grafana_host
    return hosts


def build(config: StackConfig, secrets: dict, catalog: Catalog) -> dict:
    subnet_cidr, user_nodes = None, False
    if config.cluster.mode == "openstack":
        network = LabNetwork("lab", config.cluster.openstack)
        cluster = MagnumCluster("lab", config.cluster, network, config.runners)
        kubeconfig, subnet_cidr = cluster.kubeconfig, config.cluster.openstack.subnet_cidr
        user_nodes = cluster.user_nodes is not None
    else:
        kubeconfig = secrets["kubeconfig"]
    provider = kubernetes_provider("lab-k8s", kubeconfig)
    on_cluster = pulumi.ResourceOptions(providers=[provider])

    entry = [LabGateway("gateway", config.gateway, public_hosts(config), opts=on_cluster)]
    if config.cluster.gpu_nodes is not None:
        GpuSupport("gpu", config.cluster.gpu_nodes, opts=on_cluster)
    users = UserNamespace("lab-users", config.hub, opts=on_cluster)
    storage = LabStorage("lab", config, users.namespace, subnet_cidr, opts=on_cluster)
    registry = HarborRegistry("harbor", config, secrets, storage, users.namespace,
                              opts=pulumi.ResourceOptions(providers=[provider], depends_on=entry))
    # The Drive's top folders, before any user pod mounts one (in the default image, pulled from Harbor).
    layout = DriveLayout("lab-drive-layout", config.hub.namespace, storage.drive_claim,
                         default_image_reference(config, catalog), PULL_SECRET,
                         opts=pulumi.ResourceOptions(providers=[provider], depends_on=[storage, registry]))
    if config.runners is not None:  # release pipelines on the lab's own build nodes
        GitLabRunners("runners", config.runners, secrets["gitlabRunnerToken"], registry,
                      opts=pulumi.ResourceOptions(providers=[provider], depends_on=[registry]))
    images = gpu_images(catalog, config.hub.image_repository)
    if config.cluster.gpu_nodes is not None and images:  # GPU images only where they run
        GpuPrePuller("gpu-prepuller", config.hub.namespace, images, config.cluster.gpu_nodes, PULL_SECRET,
                     opts=pulumi.ResourceOptions(providers=[provider], depends_on=[users, registry]))
    hub = JupyterHub("hub", config, catalog, secrets["oidcClientSecret"], users.name, storage.drive_claim,
                     storage.home_storage_class, user_nodes, secrets.get("hubCheckToken"), secrets.get("hubMetricsToken"),
                     opts=pulumi.ResourceOptions(providers=[provider],
                                                 depends_on=[users, storage, layout, registry, *entry]))
    if config.hub.check.enabled:  # every offered release started and run in the hub, on a schedule
        HubCheckJob("hub-check", config, catalog, secrets["hubCheckToken"], config.hub.namespace,
                    opts=pulumi.ResourceOptions(providers=[provider], depends_on=[hub]))
    if config.monitoring.enabled:  # Prometheus, Alertmanager, Grafana: the lab watched
        LabMonitoring("monitoring", config.monitoring, config.hub.namespace, secrets,
                      opts=pulumi.ResourceOptions(providers=[provider], depends_on=[hub]))
    if config.backup.enabled:  # what users own, to object storage, restorable
        LabBackups("backups", config, secrets, storage, storage.drive_claim,
                   opts=pulumi.ResourceOptions(providers=[provider], depends_on=[hub, registry]))
    return {"hub_url": hub.url, "harbor_url": registry.url, "kubeconfig": pulumi.Output.secret(kubeconfig)}
