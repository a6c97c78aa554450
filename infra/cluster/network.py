"""OpenStack network for the cluster: network, subnet, router to the external network, security group."""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from ..config.stack import OpenStackCluster
from ..options import children


class LabNetwork(pulumi.ComponentResource):
    def __init__(self, name: str, settings: OpenStackCluster, opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:Network", name, None, opts)
        child = children(self, opts)
        external = openstack.networking.get_network_output(name=settings.external_network, opts=pulumi.InvokeOptions(parent=self))

        self.network = openstack.networking.Network(f"{name}-net", name=f"{name}-net", admin_state_up=True, opts=child)
        self.subnet = openstack.networking.Subnet(
            f"{name}-subnet", name=f"{name}-subnet", network_id=self.network.id, cidr=settings.subnet_cidr,
            ip_version=4, dns_nameservers=settings.dns_nameservers, opts=child)
        self.router = openstack.networking.Router(
            f"{name}-router", name=f"{name}-router", external_network_id=external.id, opts=child)
        openstack.networking.RouterInterface(
            f"{name}-router-interface", router_id=self.router.id, subnet_id=self.subnet.id, opts=child)

        # Nodes: SSH and the Kubernetes API only from the admins' networks, HTTP(S) for the ingress.
        self.security_group = openstack.networking.SecGroup(
            f"{name}-nodes", name=f"{name}-nodes", description="labforge cluster nodes", opts=child)
        rules = [("https", 443, "0.0.0.0/0"), ("http", 80, "0.0.0.0/0")]
        rules += [(f"ssh-{i}", 22, cidr) for i, cidr in enumerate(settings.admin_cidrs)]
        rules += [(f"api-{i}", 6443, cidr) for i, cidr in enumerate(settings.admin_cidrs)]
        for rule_name, port, cidr in rules:
            openstack.networking.SecGroupRule(
                f"{name}-nodes-{rule_name}", security_group_id=self.security_group.id, direction="ingress",
                ethertype="IPv4", protocol="tcp", port_range_min=port, port_range_max=port,
                remote_ip_prefix=cidr, opts=child)
        self.external_network_id = external.id
        self.register_outputs({"network_id": self.network.id, "subnet_id": self.subnet.id})
