"""The versions the stack supports, in one place: the Kubernetes range every rendered chart object
is validated against, and the chart versions whose pinned copies the tests render with real Helm
(infra/offline/charts.py). A stack config may ask for no other (infra/config/checks.py)."""

from __future__ import annotations

# Lowest and highest Kubernetes minor the stack supports: the minors upstream still patches (1.35 to
# 1.37 in December 2026; support dates in infra/config/support.yaml), every one of them also
# offered by Magnum's Cluster API driver. Both ends are checked on every rendered object.
KUBERNETES_VERSIONS = ("1.35", "1.37")

# Chart versions rendered by real Helm in `make test` (copies in ../shared/charts): every chart the
# plan deploys. A stack may ask for no other version (infra/config/checks.py).
RENDERED_CHARTS = {"jupyterhub": "4.4.0", "harbor": "1.19.1", "gateway-helm": "v1.9.0", "cert-manager": "v1.21.1",
                   "nvidia-device-plugin": "0.20.0", "prometheus": "29.27.0", "grafana": "12.11.1",
                   "velero": "12.1.0"}


def minor(version: str) -> int:
    return int(version.split(".")[1])

# Images the program runs outside the charts, pinned here and listed in docs/support.md.
RESTIC_IMAGE = "docker.io/restic/restic:0.18.1"
HUB_IMAGE = "quay.io/jupyterhub/k8s-hub:4.4.0"  # the chart's own hub image: it runs the backup scripts
HARBOR_DB_IMAGE = "docker.io/goharbor/harbor-db:v2.15.1"  # Harbor 1.19.1's database image: pg_dump
# The user scheduler z2jh deploys (a kube-scheduler): its newest patch for each supported minor,
# so it is never newer than the cluster's API server (the version skew policy).
KUBE_SCHEDULER = {"1.35": "v1.35.1", "1.36": "v1.36.1", "1.37": "v1.37.0"}
