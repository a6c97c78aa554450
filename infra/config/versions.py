"""The versions the stack supports, in one place: the Kubernetes range every rendered chart object
is validated against, and the chart versions whose pinned copies the tests render with real Helm
(infra/offline/charts.py). A stack config may ask for no other (infra/config/checks.py)."""

from __future__ import annotations

# Lowest and highest Kubernetes minor the stack supports: z2jh 4.4.0 needs >= 1.28; both ends are
# checked on every rendered object.
KUBERNETES_VERSIONS = ("1.30", "1.35")

# Chart versions rendered by real Helm in `make test` (copies in ../shared/charts).
RENDERED_CHARTS = {"jupyterhub": "4.4.0", "harbor": "1.19.1"}


def minor(version: str) -> int:
    return int(version.split(".")[1])
