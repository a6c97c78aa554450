"""What the chart values of every lab hub service (lab-token, lab-share) share: the file the hub
runs, shipped into its pod, and the network paths between user servers, the hub and a service's
port."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

FOLDER = "/usr/local/share/labforge"  # the hub pod's folder of shipped service files
# The chart's labels of the hub pod (z2jh 4.x "modern" labels; release name "jupyterhub").
HUB_POD = {"app.kubernetes.io/name": "jupyterhub", "app.kubernetes.io/instance": "jupyterhub",
           "app.kubernetes.io/component": "hub"}


def shipped(key: str, mount_path: str, module: ModuleType) -> dict:
    """hub.extraFiles: the source of `module`, verbatim, at `mount_path` in the hub pod."""
    return {key: {"mountPath": mount_path, "stringData": Path(module.__file__).read_text(encoding="utf-8")}}


def hub_ingress(port: int) -> list[dict]:
    """hub.networkPolicy.ingress: pods allowed to reach the hub (user servers, the proxy) may
    reach the service's port too."""
    return [{"ports": [{"port": port}],
             "from": [{"podSelector": {"matchLabels": {"hub.jupyter.org/network-access-hub": "true"}}}]}]


def singleuser_egress(port: int) -> list[dict]:
    return [{"to": [{"podSelector": {"matchLabels": HUB_POD}}], "ports": [{"port": port}]}]
