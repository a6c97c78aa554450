"""The hub's profile list, built from the release catalog: latest stable first (the default),
past supported releases next, the experimental channel last. Images are pinned by digest."""

from __future__ import annotations

from labforge.catalog.model import Catalog, CatalogEntry, PublishedImage, profile_slug

from ..config.stack import GpuNodes, Resources

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
    """(entry, profile): the default first, the other stable releases newest first (deprecated
    ones marked), the experimental channel last; retired releases are not offered."""
    default = catalog.default_entry()
    stable = sorted((r for r in catalog.offered() if r.channel == "stable"), key=lambda r: r.id, reverse=True)
    newest = catalog.stable()[0].id if catalog.stable() else None
    ordered = ([default] if default is not None and default.channel == "stable" else []) + \
        [r for r in stable if default is None or r.id != default.id]
    profiles = []
    for entry in ordered:
        is_default = default is not None and entry.id == default.id
        profile = {"display_name": display_name(entry, is_default, newest), "slug": profile_slug(entry, is_default),
                   "description": description(entry, is_default), "default": is_default,
                   "kubespawner_override": _override(entry, entry, per_release.get(entry.id, resources),
                                                     image_repository)}
        if entry.status == "deprecated":
            profile["kubespawner_override"]["environment"]["LAB_RELEASE_NOTICE"] = notice(entry)
        profiles.append((entry, profile))
    experimental = catalog.experimental()
    if experimental:
        profiles.append((experimental, {
            "display_name": "Latest build (experimental)",
            "slug": "experimental",
            "description": ("The newest tool versions, rebuilt often and not yet released: "
                            "use at your own risk (kernel lab-experimental)."),
            "default": not ordered,
            "kubespawner_override": _override(experimental, experimental,
                                              per_release.get("experimental", resources), image_repository),
        }))
    return profiles


def display_name(entry: CatalogEntry, is_default: bool, newest: str | None) -> str:
    if is_default:
        # A pinned default older than the newest release is what the lab recommends, not the latest.
        return f"Latest ({entry.id})" if entry.id == newest else f"Recommended ({entry.id})"
    if entry.status == "deprecated":
        return f"Release {entry.id} (deprecated)"
    return f"Release {entry.id}"


def description(entry: CatalogEntry, is_default: bool) -> str:
    if is_default:
        return f"The current release of the lab's tools (kernel {entry.kernel})."
    if entry.status == "deprecated":
        return f"{notice(entry)} (kernel {entry.kernel})"
    return f"A past release, kept so that older notebooks still run (kernel {entry.kernel})."


def notice(entry: CatalogEntry) -> str:
    """What users of a deprecated release read: on the spawn page, in the Lab and in each kernel."""
    dep = entry.deprecation
    if dep is None:
        return f"Release {entry.id} is deprecated."
    text = f"Release {entry.id} is deprecated: it can be started until {dep.until}; move to release {dep.use}."
    return f"{text} {dep.message}" if dep.message else text


def retired_notices(catalog: Catalog) -> dict[str, str]:
    """Profile slug -> the message a user who asks for a retired release gets instead (a saved
    spawn URL, or a server whose last options named it)."""
    notices = {}
    for entry in catalog.releases:
        if entry.status != "retired" or entry.channel != "stable":
            continue
        use = entry.retirement.use if entry.retirement else None
        since = f" on {entry.retirement.since}" if entry.retirement else ""
        text = (f"Release {entry.id} was retired{since} and can no longer be started: choose "
                f"{'release ' + use if use else 'another release'} below. Your files are kept.")
        slug = profile_slug(entry, is_default=False)  # a retired release is never the default
        notices[slug] = notices[f"{slug}-gpu"] = text
    return notices
