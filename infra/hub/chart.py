"""JupyterHub from the zero-to-jupyterhub chart, as a real Helm release (so pre-puller hooks run)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from labforge.catalog.model import Catalog

from ..config.stack import StackConfig
from ..options import children
from .values import hub_values


class JupyterHub(pulumi.ComponentResource):
    def __init__(self, name: str, config: StackConfig, catalog: Catalog, client_secret, namespace: str,
                 drive_claim: str, home_class: str, user_nodes: bool, check_token=None, metrics_token=None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:JupyterHub", name, None, opts)
        values = hub_values(config, catalog, client_secret, drive_claim, home_class, user_nodes, check_token,
                            metrics_token)
        self.release = k8s.helm.v3.Release(
            f"{name}-chart", name="jupyterhub", chart="jupyterhub", version=config.hub.chart_version,
            namespace=namespace, repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://hub.jupyter.org/helm-chart/"),
            values=values, timeout=1200, opts=children(self, opts))
        self.url = f"https://{config.hub.host}"
        self.register_outputs({"url": self.url})
