"""The lab's monitoring as Pulumi resources: Prometheus (with Alertmanager, kube-state-metrics,
node exporter and the Pushgateway) and Grafana from their charts, in their own namespace. Tokens
and passwords reach them only as Secrets mounted into the pods: the hub's `read:metrics` token
(a file Prometheus reads), Grafana's admin password, Alertmanager's webhook URL (a file too)."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import yaml

from ..cluster.gateway import listener_name, parent_ref
from ..config.monitoring import Monitoring
from ..options import children
from .dashboards import all_dashboards
from .scrape import HUB_TOKEN_FILE, Targets, harbor_targets, scrape_configs

RULES = Path(__file__).parent / "alerts.yaml"
HUB_TOKEN_SECRET, GRAFANA_SECRET, WEBHOOK_SECRET = "hub-metrics-token", "grafana-admin", "alert-webhook"
WEBHOOK_FILE = "/etc/alertmanager/secrets/webhook/url"
PUSHGATEWAY = "prometheus-prometheus-pushgateway"  # the chart's service name, release "prometheus"


def pushgateway_url(settings: Monitoring) -> str:
    return f"http://{PUSHGATEWAY}.{settings.namespace}.svc:9091"


def alertmanager_config(webhook: bool) -> dict:
    receiver = {"name": "lab-ops"}
    if webhook:
        receiver["webhook_configs"] = [{"url_file": WEBHOOK_FILE, "send_resolved": True}]
    return {"global": {}, "receivers": [receiver],
            "route": {"receiver": "lab-ops", "group_by": ["alertname", "release", "target"],
                      "group_wait": "1m", "group_interval": "10m", "repeat_interval": "6h"}}


def prometheus_values(settings: Monitoring, hub_namespace: str, webhook: bool) -> dict:
    targets = Targets(hub=f"hub.{hub_namespace}.svc:8081", exporter=f"lab-exporter.{hub_namespace}.svc:9800",
                      harbor=harbor_targets())
    volume = {"storageClass": settings.storage_class}
    alertmanager = {"enabled": True, "persistence": {"enabled": True, "size": settings.alertmanager_size, **volume},
                    "config": alertmanager_config(webhook)}
    if webhook:
        alertmanager["extraSecretMounts"] = [{"name": "webhook", "mountPath": str(Path(WEBHOOK_FILE).parent),
                                              "secretName": WEBHOOK_SECRET, "readOnly": True}]
    return {
        "server": {"retention": settings.retention,
                   "persistentVolume": {"enabled": True, "size": settings.prometheus_size, **volume},
                   "extraSecretMounts": [{"name": "hub-metrics", "mountPath": str(Path(HUB_TOKEN_FILE).parent),
                                          "secretName": HUB_TOKEN_SECRET, "readOnly": True}]},
        "extraScrapeConfigs": yaml.safe_dump(scrape_configs(targets), sort_keys=True),
        "serverFiles": {"alerting_rules.yml": yaml.safe_load(RULES.read_text(encoding="utf-8"))},
        "alertmanager": alertmanager,
        "prometheus-pushgateway": {"enabled": True},
        "kube-state-metrics": {"enabled": True},
        "prometheus-node-exporter": {"enabled": True},
    }


def grafana_values(settings: Monitoring) -> dict:
    values = {
        "admin": {"existingSecret": GRAFANA_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
        "persistence": {"enabled": True, "size": settings.grafana_size, "storageClassName": settings.storage_class},
        "datasources": {"datasources.yaml": {"apiVersion": 1, "datasources": [
            {"name": "Prometheus", "type": "prometheus", "uid": "prometheus", "access": "proxy", "isDefault": True,
             "url": f"http://prometheus-server.{settings.namespace}.svc"}]}},
        "dashboardProviders": {"dashboardproviders.yaml": {"apiVersion": 1, "providers": [
            {"name": "labforge", "folder": "Lab", "type": "file", "disableDeletion": True, "editable": False,
             "options": {"path": "/var/lib/grafana/dashboards/labforge"}}]}},
        "dashboards": {"labforge": {uid: {"json": json.dumps(board, sort_keys=True)}
                                    for uid, board in all_dashboards().items()}},
        "grafana.ini": {"auth.anonymous": {"enabled": False}, "analytics": {"reporting_enabled": False,
                                                                            "check_for_updates": False}},
    }
    if settings.grafana_host:
        values["grafana.ini"]["server"] = {"root_url": f"https://{settings.grafana_host}"}
        values["route"] = {"main": {"enabled": True, "hostnames": [settings.grafana_host],
                                    "parentRefs": [parent_ref(listener_name("grafana"))]}}
    return values


class LabMonitoring(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Monitoring, hub_namespace: str, secrets: dict,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:Monitoring", name, None, opts)
        child = children(self, opts)
        namespace = k8s.core.v1.Namespace(f"{name}-ns", metadata={"name": settings.namespace}, opts=child)
        in_namespace = children(self, opts, namespace)
        meta = lambda secret: {"name": secret, "namespace": settings.namespace}  # noqa: E731
        made = [k8s.core.v1.Secret(f"{name}-hub-token", metadata=meta(HUB_TOKEN_SECRET),
                                   string_data={"token": secrets["hubMetricsToken"]}, opts=in_namespace),
                k8s.core.v1.Secret(f"{name}-grafana-admin", metadata=meta(GRAFANA_SECRET),
                                   string_data={"admin-user": "admin", "admin-password": secrets["grafanaAdminPassword"]},
                                   opts=in_namespace)]
        webhook = secrets.get("alertWebhookUrl") is not None
        if webhook:
            made.append(k8s.core.v1.Secret(f"{name}-webhook", metadata=meta(WEBHOOK_SECRET),
                                           string_data={"url": secrets["alertWebhookUrl"]}, opts=in_namespace))
        after = children(self, opts, namespace, *made)
        k8s.helm.v3.Release(
            f"{name}-prometheus", name="prometheus", chart="prometheus", version=settings.prometheus_version,
            namespace=settings.namespace,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://prometheus-community.github.io/helm-charts"),
            values=prometheus_values(settings, hub_namespace, webhook), opts=after)
        k8s.helm.v3.Release(
            f"{name}-grafana", name="grafana", chart="grafana", version=settings.grafana_version,
            namespace=settings.namespace,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://grafana-community.github.io/helm-charts"),
            values=grafana_values(settings), opts=after)
        self.register_outputs({})
