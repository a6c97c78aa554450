"""The hub's profile list, built from the release catalog: latest stable first (the default),
past supported releases next, the experimental channel last. Images are pinned by digest."""

from __future__ import annotations

from labforge.catalog import Catalog, CatalogEntry

from .config import GpuNodes, Resources

# z2jh's scheduling.userPods.tolerations (4.x), which KubeSpawner gets unless a profile overrides them.
CHART_USER_TOLERATIONS = [{"key": key, "operator": "Equal", "value": "user", "effect": "NoSchedule"}
                          for key in ("hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated")]


def _override(entry: CatalogEntry, resources: Resources, image_repository: str | None) -> dict:
    image = f"{image_repository}@{entry.digest}" if image_repository else entry.reference
    return {
        "image": image,
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
    override = _override(entry, resources, image_repository)
    override["image"] = f"{image_repository}@{entry.gpu.digest}" if image_repository else entry.gpu.reference
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
    profiles = _cpu_profiles(catalog, resources, per_release or {}, image_repository)
    if gpu is None:
        return profiles
    entries = {e.id: e for e in catalog.supported()}
    with_gpu = []
    for profile in profiles:
        with_gpu.append(profile)
        entry = entries[profile["kubespawner_override"]["environment"]["LAB_RELEASE"]]
        if entry.gpu is not None:
            with_gpu.append(gpu_profile(profile, entry, (per_release or {}).get(entry.id, resources),
                                        image_repository, gpu))
    return with_gpu


def _cpu_profiles(catalog: Catalog, resources: Resources, per_release: dict[str, Resources],
                  image_repository: str | None) -> list[dict]:
    stable = catalog.stable()
    profiles = []
    for index, entry in enumerate(stable):
        latest = index == 0
        profiles.append({
            "display_name": f"Latest ({entry.id})" if latest else f"Release {entry.id}",
            "slug": "latest" if latest else f"release-{entry.id.replace('.', '-')}",
            "description": (f"The current release of the lab's tools (kernel {entry.kernel})." if latest
                            else f"A past release, kept so that older notebooks still run (kernel {entry.kernel})."),
            "default": latest,
            "kubespawner_override": _override(entry, per_release.get(entry.id, resources), image_repository),
        })
    experimental = catalog.experimental()
    if experimental:
        profiles.append({
            "display_name": "Latest build (experimental)",
            "slug": "experimental",
            "description": ("The newest tool versions, rebuilt often and not yet released: "
                            "use at your own risk (kernel lab-experimental)."),
            "default": not stable,
            "kubespawner_override": _override(experimental, per_release.get("experimental", resources),
                                              image_repository),
        })
    return profiles
