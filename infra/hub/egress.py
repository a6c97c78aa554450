"""Where user pods may connect to: the chart's singleuser NetworkPolicy, from hub.internetAccess.

Always: the hub (the chart's own rule, and the lab-token port), DNS, hub.labServiceCidrs; never
the cloud metadata server or other private addresses in the cluster. With internetAccess
true, every public address too; with false, nothing else (EUCAIM-style offline workstations).
"""

from __future__ import annotations

from ..config.stack import StackConfig
from .services import share as share_values
from .services import token as token_values


def singleuser_network_policy(config: StackConfig) -> dict:
    online = config.hub.internet_access
    lab_services = [{"to": [{"ipBlock": {"cidr": cidr}}]} for cidr in config.hub.lab_service_cidrs]
    return {
        "enabled": True,
        "egressAllowRules": {"cloudMetadataServer": False, "dnsPortsPrivateIPs": True,
                             "dnsPortsKubeSystemNamespace": True,
                             "nonPrivateIPs": online, "privateIPs": False},
        "egress": token_values.singleuser_egress() + share_values.singleuser_egress() + lab_services,
    }
