"""Stack configuration of the cluster (`labforge:cluster`): Magnum on OpenStack or an existing
cluster, its Kubernetes version, and GPU nodes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import TAINT, NodeLabels, _Model, toleration


class OpenStackCluster(_Model):
    auth_url: str = Field(pattern=r"^https://[!-~]+$")
    region: str = "RegionOne"
    external_network: str
    image: str = "fedora-coreos-40"
    flavor: str = "m1.large"
    master_flavor: str = "m1.large"
    master_count: int = Field(1, ge=1)
    node_count: int = Field(2, ge=1)
    user_flavor: str = "m1.xlarge"
    user_node_count: int = Field(2, ge=0)
    subnet_cidr: str = Field("10.20.0.0/22", pattern=r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$")
    dns_nameservers: list[str] = Field(default_factory=lambda: ["1.1.1.1", "9.9.9.9"])
    keypair_public_key: str = Field(pattern=r"^(ssh-(ed25519|rsa)|ecdsa-sha2-[!-~]+) [!-~]+")
    admin_cidrs: list[str] = Field(default_factory=list)
    availability_zone: str | None = None


class GpuNodes(_Model):
    """Nodes with NVIDIA GPUs for the GPU profiles: a Magnum node group in openstack mode (flavor,
    count, image), or nodes the existing cluster already has (labels and taint only)."""
    flavor: str | None = None
    count: int = Field(1, ge=0)
    # A node image with the NVIDIA driver and container toolkit (default: the cluster template's).
    image: str | None = None
    labels: NodeLabels = Field(default_factory=lambda: {"nvidia.com/gpu.present": "true"})
    taint: str = Field("nvidia.com/gpu=present:NoSchedule",
                       pattern=TAINT)
    gpus_per_server: int = Field(1, ge=1, le=8)
    device_plugin_version: str = "0.20.0"

    def toleration(self) -> dict:
        return toleration(self.taint)


class Cluster(_Model):
    mode: Literal["openstack", "existing"]
    kubernetes_version: str = Field("1.36", pattern=r"^1\.[0-9]+$")
    openstack: OpenStackCluster | None = None
    gpu_nodes: GpuNodes | None = None

    @model_validator(mode="after")
    def _openstack_needs_settings(self) -> "Cluster":
        if self.mode == "openstack" and self.openstack is None:
            raise ValueError("cluster.mode is openstack but cluster.openstack is not set")
        if self.mode == "openstack" and self.gpu_nodes is not None and not self.gpu_nodes.flavor:
            raise ValueError("cluster.gpuNodes.flavor is required in openstack mode (the GPU flavor of the node group)")
        return self
