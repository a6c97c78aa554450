"""GPU support on the cluster: NVIDIA's device plugin, so pods can ask for `nvidia.com/gpu`.

It runs only on the GPU nodes (their labels and taint from cluster.gpuNodes). The nodes
themselves must bring the NVIDIA driver and container toolkit (a GPU node image, or NVIDIA's
GPU operator installed by the site).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..config.stack import GpuNodes
from ..options import children

CHART_REPO = "https://nvidia.github.io/k8s-device-plugin"


def device_plugin_values(gpu: GpuNodes) -> dict:
    return {"nodeSelector": dict(gpu.labels), "tolerations": [gpu.toleration()],
            "priorityClassName": "system-node-critical"}


class GpuSupport(pulumi.ComponentResource):
    def __init__(self, name: str, gpu: GpuNodes, opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:GpuSupport", name, None, opts)
        self.device_plugin = k8s.helm.v3.Release(
            f"{name}-device-plugin", name="nvidia-device-plugin", chart="nvidia-device-plugin",
            version=gpu.device_plugin_version, namespace="kube-system",
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPO),
            values=device_plugin_values(gpu), opts=children(self, opts))
        self.register_outputs({})
