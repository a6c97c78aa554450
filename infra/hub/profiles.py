"""The hub's profile list, built from the release catalog: latest stable first (the default),
past supported releases next, the experimental channel last. Images are pinned by digest."""

from __future__ import annotations

from labforge.catalog import Catalog, CatalogEntry, PublishedImage

from ..config import GpuNodes, Resources

# z2jh's scheduling.userPods.tolerations (4.x), which KubeSpawner gets unless a profile overrides them.
CHART_USER_TOLERATIONS = [{"key": key, "operator": "Equal", "value": "user", "effect": "NoSchedule"}
                          for key in ("hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated")]


def _pinned(image: PublishedImage, image_repository: str | None) -> str:
    """The image by digest, from the mirror `image_repository` when one is set."""
    return f"{image_repository}@{image.digest}" if image_repository else image.reference


def _override(entry: CatalogEntry, image: PublishedImage, resources: Resources, image_repository: str | None) -> dict:
    return {
        "image": _pinned(image, image_repository),
        "cpu_guarantee": resources.cpu_guarantee,
        "cpu_limit": resources.cpu_limit,
        "mem_guarantee": resources.mem_guarantee,
        "mem_limit": resources.mem_limit,
        "environment": {"LAB_RELEASE": entry.id},
    }


def gpu_profile(cpu: dict, entry: CatalogEntry, resources: Resources, image_repository: str | None,
                gpu: GpuNodes) -> dict:
    """The GPU image of a release, right below its CPU profile: same kernel, on a GPU node."""
    assert entry.gpu is not None
    override = _override(entry, entry.gpu, resources, image_repository)
    # An override replaces the chart's user-pod tolerations: keep them, and add the GPU nodes' one.
    override |= {"extra_resource_limits": {"nvidia.com/gpu": str(gpu.gpus_per_server)},
                 "tolerations": CHART_USER_TOLERATIONS + [gpu.toleration()], "node_selector": dict(gpu.labels)}
    return {
        "display_name": f"{cpu['display_name']} with GPU",
        "slug": f"{cpu['slug']}-gpu",
        "description": (f"The same tools and kernel ({entry.kernel}) built with CUDA, on a node with "
                        f"{gpu.gpus_per_server} NVIDIA GPU{'s' if gpu.gpus_per_server > 1 else ''}."),
        "default": False,
        "kubespawner_override": override,
    }


def profile_list(catalog: Catalog, resources: Resources, per_release: dict[str, Resources] | None = None,
                 image_repository: str | None = None, gpu: GpuNodes | None = None) -> list[dict]:
    """Without GPU nodes (gpu None) the list has no GPU profiles, whatever the catalog holds."""
    per_release = per_release or {}
    profiles = []
    for entry, profile in _cpu_profiles(catalog, resources, per_release, image_repository):
        profiles.append(profile)
        if gpu is not None and entry.gpu is not None:
            profiles.append(gpu_profile(profile, entry, per_release.get(entry.id, resources), image_repository, gpu))
    return profiles


def _cpu_profiles(catalog: Catalog, resources: Resources, per_release: dict[str, Resources],
                  image_repository: str | None) -> list[tuple[CatalogEntry, dict]]:
    """(entry, profile): latest stable first, past stable releases, the experimental channel."""
    stable = catalog.stable()
    profiles = []
    for index, entry in enumerate(stable):
        latest = index == 0
        profiles.append((entry, {
            "display_name": f"Latest ({entry.id})" if latest else f"Release {entry.id}",
            "slug": "latest" if latest else f"release-{entry.id.replace('.', '-')}",
            "description": (f"The current release of the lab's tools (kernel {entry.kernel})." if latest
                            else f"A past release, kept so that older notebooks still run (kernel {entry.kernel})."),
            "default": latest,
            "kubespawner_override": _override(entry, entry, per_release.get(entry.id, resources), image_repository),
        }))
    experimental = catalog.experimental()
    if experimental:
        profiles.append((experimental, {
            "display_name": "Latest build (experimental)",
            "slug": "experimental",
            "description": ("The newest tool versions, rebuilt often and not yet released: "
                            "use at your own risk (kernel lab-experimental)."),
            "default": not stable,
            "kubespawner_override": _override(experimental, experimental,
                                              per_release.get("experimental", resources), image_repository),
        }))
    return profiles
