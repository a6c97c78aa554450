"""Layer compression for pushed images (`publish.compression` in labforge.yaml): checked against
the lab's node runtime before anything is pushed, then passed to skopeo."""

from __future__ import annotations

from ..core.errors import LabforgeError, Problem
from ..inputs.project import PublishSettings

# The oldest release of each runtime that unpacks each compression (containerd's zstd support
# came in 1.5; CRI-O's through containers/image, zstd:chunked lazy pulls from 1.29).
NEEDS = {"gzip": {"containerd": (1, 0), "cri-o": (1, 0)},
         "zstd": {"containerd": (1, 5), "cri-o": (1, 20)},
         "zstd:chunked": {"containerd": (1, 5), "cri-o": (1, 29)}}


def skopeo_args(settings: PublishSettings) -> list[str]:
    """What skopeo copy needs for the setting; refuses one the nodes cannot unpack."""
    runtime, version = settings.node_runtime.split()
    have = tuple(int(part) for part in version.split("."))
    need = NEEDS[settings.compression][runtime]
    if have < need:
        raise LabforgeError(Problem(
            "labforge.yaml", f"{settings.compression} layers cannot be unpacked by the lab's nodes ({settings.node_runtime}; "
            f"{runtime} needs {'.'.join(map(str, need))} or newer)",
            "use gzip, or raise publish.node_runtime once the nodes are upgraded", field="publish.compression"))
    if settings.compression == "gzip":
        return []
    # zstd layers exist only in OCI manifests (Docker's schema 2 has no media type for them)
    return ["--format", "oci", "--dest-compress-format", settings.compression]
