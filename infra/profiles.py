"""The hub's profile list, built from the release catalog: latest stable first (the default),
past supported releases next, the experimental channel last. Images are pinned by digest."""

from __future__ import annotations

from labforge.catalog import Catalog, CatalogEntry

from .config import Resources


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


def profile_list(catalog: Catalog, resources: Resources, per_release: dict[str, Resources] | None = None,
                 image_repository: str | None = None) -> list[dict]:
    per_release = per_release or {}
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
