"""Where user pods may connect to: the chart's singleuser NetworkPolicy, from hub.internetAccess.

Always: the hub (the chart's own rule, and the lab-token port), DNS, hub.labServiceCidrs; never
the cloud metadata server or other private addresses in the cluster. With internetAccess
true, every public address too; with false, nothing else (EUCAIM-style offline workstations).
"""

from __future__ import annotations

from ..config.stack import StackConfig
from .services.service import HubService


def singleuser_network_policy(config: StackConfig, services: list[HubService]) -> dict:
    online = config.hub.internet_access
    lab_services = [{"to": [{"ipBlock": {"cidr": cidr}}]} for cidr in config.hub.lab_service_cidrs]
    return {
        "enabled": True,
        "egressAllowRules": {"cloudMetadataServer": False, "dnsPortsPrivateIPs": True,
                             "dnsPortsKubeSystemNamespace": True,
                             "nonPrivateIPs": online, "privateIPs": False},
        "egress": [rule for service in services for rule in service.singleuser_egress()] + lab_services,
    }
