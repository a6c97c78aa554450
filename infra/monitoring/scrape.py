"""What Prometheus scrapes besides the chart's own jobs (pods, nodes, kube-state-metrics, the
Pushgateway): the hub, Harbor and the lab exporter. One function, so the deployed configuration
and the test's real Prometheus on loopback scrape with the same jobs, paths and credentials."""

from __future__ import annotations

from dataclasses import dataclass

HUB_TOKEN_FILE = "/etc/prometheus/secrets/hub-metrics/token"  # mounted from the Secret, never in values
HUB_JOB, HARBOR_JOB, EXPORTER_JOB, PUSHGATEWAY_JOB = "jupyterhub", "harbor", "lab-exporter", "pushgateway"


@dataclass(frozen=True)
class Targets:
    hub: str  # host:port of the hub's own port (8081)
    exporter: str  # host:port of the lab exporter
    harbor: tuple[str, ...] = ()  # host:port of Harbor's metrics endpoints (exporter, core, registry, jobservice)
    pushgateway: str | None = None  # only where the chart's own job does not scrape it
    hub_token_file: str = HUB_TOKEN_FILE


def scrape_configs(targets: Targets, interval: str = "30s") -> list[dict]:
    jobs = [
        # JupyterHub 5 serves /hub/metrics only to a token with read:metrics (labforge-metrics).
        {"job_name": HUB_JOB, "metrics_path": "/hub/metrics", "scrape_interval": interval,
         "authorization": {"type": "Bearer", "credentials_file": targets.hub_token_file},
         "static_configs": [{"targets": [targets.hub]}]},
        {"job_name": EXPORTER_JOB, "scrape_interval": interval, "static_configs": [{"targets": [targets.exporter]}]},
    ]
    if targets.harbor:
        jobs.append({"job_name": HARBOR_JOB, "scrape_interval": interval,
                     "static_configs": [{"targets": list(targets.harbor)}]})
    if targets.pushgateway:
        jobs.append({"job_name": PUSHGATEWAY_JOB, "honor_labels": True, "scrape_interval": interval,
                     "static_configs": [{"targets": [targets.pushgateway]}]})
    return jobs


def harbor_targets(namespace: str = "harbor") -> tuple[str, ...]:
    """Harbor's metrics ports (chart value metrics.enabled: true), service by service."""
    return tuple(f"harbor-{part}.{namespace}.svc:8001" for part in ("exporter", "core", "registry", "jobservice"))
