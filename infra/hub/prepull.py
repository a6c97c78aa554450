"""Images the nodes keep pulled, so a user's server starts without waiting for a pull.

Every user node holds the default release (z2jh pre-pulls `singleuser.image`) and the previous
default (`prePuller.extraImages`): after a release day, users who stay on the old one start at
once too. Past and experimental releases are not pre-pulled (`pullProfileListImages: false`):
few users pick them and each would cost every node its disk. GPU images go only to the GPU
nodes, with a DaemonSet of our own (z2jh's pre-puller pulls on every user node).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from labforge.catalog.model import Catalog, CatalogEntry, PublishedImage

from ..config.stack import GpuNodes
from ..options import children

PAUSE = "registry.k8s.io/pause:3.10.1"  # the tag z2jh 4.4.0 uses for its own pre-puller


def kept_releases(catalog: Catalog) -> list[CatalogEntry]:
    """The default release and the one before it: the default, then the newest other supported
    stable release (the previous default, or the newer one after a rollback)."""
    default = catalog.default_entry()
    others = [r for r in catalog.stable() if default is None or r.id != default.id]
    return ([default] if default is not None and default.channel == "stable" else []) + others[:1]


def pinned(entry: CatalogEntry, image: PublishedImage, suffix: str, image_repository: str | None) -> tuple[str, str]:
    """(name, tag) as z2jh's image values take them: the tag carries the digest."""
    return image_repository or image.image, f"{entry.id}{suffix}@{image.digest}"


def extra_images(catalog: Catalog, image_repository: str | None) -> dict:
    """prePuller.extraImages: the previous default (the default is singleuser.image)."""
    images = {}
    for entry in kept_releases(catalog)[1:]:
        name, tag = pinned(entry, entry, "", image_repository)
        images[f"lab-{entry.id.replace('.', '-')}"] = {"name": name, "tag": tag}
    return images


def gpu_images(catalog: Catalog, image_repository: str | None) -> list[str]:
    return [":".join(pinned(entry, entry.gpu, "-gpu", image_repository))
            for entry in kept_releases(catalog) if entry.gpu is not None]


def gpu_prepuller_spec(images: list[str], gpu: GpuNodes, pull_secret: str) -> dict:
    """A DaemonSet on the GPU nodes whose init containers pull each image and exit at once."""
    labels = {"app.kubernetes.io/name": "labforge-gpu-prepuller"}
    pulls = [{"name": f"pull-{index}", "image": image, "command": ["/bin/sh", "-c", "exit 0"],
              "resources": {"requests": {"cpu": "1m", "memory": "4Mi"}, "limits": {"memory": "32Mi"}}}
             for index, image in enumerate(images)]
    return {
        "selector": {"matchLabels": labels},
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "100%"}},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "nodeSelector": dict(gpu.labels), "tolerations": [gpu.toleration()],
                "imagePullSecrets": [{"name": pull_secret}], "terminationGracePeriodSeconds": 0,
                "automountServiceAccountToken": False,
                "initContainers": pulls,
                "containers": [{"name": "pause", "image": PAUSE,
                                "resources": {"requests": {"cpu": "1m", "memory": "4Mi"},
                                              "limits": {"memory": "16Mi"}}}],
                "securityContext": {"runAsNonRoot": True, "runAsUser": 65534},
            },
        },
    }


class GpuPrePuller(pulumi.ComponentResource):
    def __init__(self, name: str, namespace: str, images: list[str], gpu: GpuNodes, pull_secret: str,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:GpuPrePuller", name, None, opts)
        self.daemon_set = k8s.apps.v1.DaemonSet(
            name, metadata={"name": "labforge-gpu-prepuller", "namespace": namespace},
            spec=gpu_prepuller_spec(images, gpu, pull_secret), opts=children(self, opts))
        self.register_outputs({})
