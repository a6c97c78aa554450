"""What every service the hub runs for the lab has, in one shape (`HubService`): a name, a port
(where user servers reach it), its hub.services entry, its roles (hub.loadRoles), the file
shipped into the hub pod (infra/hub/pod) and the hub config it adds. infra/hub/values.py turns a
list of them into the chart's values; nothing there knows one service from another."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

FOLDER = "/usr/local/share/labforge"  # the hub pod's folder of shipped service files
# The chart's labels of the hub pod (z2jh 4.x "modern" labels; release name "jupyterhub").
HUB_POD = {"app.kubernetes.io/name": "jupyterhub", "app.kubernetes.io/instance": "jupyterhub",
           "app.kubernetes.io/component": "hub"}


@dataclass(frozen=True)
class HubService:
    name: str
    service: dict  # hub.services.NAME
    roles: dict  # hub.loadRoles entries: the service's own role, and what users and servers get for it
    port: int | None = None  # None: not reached by user servers (an API client such as labforge-check)
    shipped: ModuleType | None = None  # the infra/hub/pod module the hub runs, shipped verbatim
    shipped_as: str = ""  # its path in the hub pod
    config: dict | None = None  # hub.extraConfig entries (Python run in jupyterhub_config.py), if any
    url_variable: str = ""  # the variable that tells a user's server where the service is

    @property
    def url_in_pods(self) -> str:
        return f"http://hub:{self.port}/services/{self.name}/"

    def extra_env(self) -> dict:
        """singleuser.extraEnv: the service's URL for the image's client (lab-token, lab-share)."""
        return {self.url_variable: self.url_in_pods} if self.url_variable else {}

    def extra_files(self) -> dict:
        """hub.extraFiles: the shipped module's source, verbatim, at `shipped_as` in the hub pod."""
        return shipped(self.name, self.shipped_as, self.shipped) if self.shipped else {}

    def extra_ports(self) -> list[dict]:
        return [{"name": self.name, "port": self.port, "targetPort": self.port}] if self.port else []

    def hub_ingress(self) -> list[dict]:
        """hub.networkPolicy.ingress: pods allowed to reach the hub (user servers, the proxy) may
        reach the service's port too."""
        if not self.port:
            return []
        return [{"ports": [{"port": self.port}],
                 "from": [{"podSelector": {"matchLabels": {"hub.jupyter.org/network-access-hub": "true"}}}]}]

    def singleuser_egress(self) -> list[dict]:
        return [{"to": [{"podSelector": {"matchLabels": HUB_POD}}], "ports": [{"port": self.port}]}] if self.port else []


def shipped(key: str, mount_path: str, module: ModuleType) -> dict:
    """hub.extraFiles: the source of `module`, verbatim, at `mount_path` in the hub pod."""
    return {key: {"mountPath": mount_path, "stringData": Path(module.__file__).read_text(encoding="utf-8")}}
