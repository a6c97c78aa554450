"""The hub service Prometheus scrapes the hub as (`labforge-metrics`, when monitoring is on): a
token with `read:metrics` and nothing else. JupyterHub 5 serves /hub/metrics only to such a
token; turning its authentication off would show every user's activity to the cluster."""

from __future__ import annotations

from .service import HubService

SERVICE = "labforge-metrics"


def labforge_metrics(token) -> HubService:
    return HubService(SERVICE, {"apiToken": token},
                      {SERVICE: {"description": "Read the hub's metrics (Prometheus)", "scopes": ["read:metrics"],
                                 "services": [SERVICE]}})
