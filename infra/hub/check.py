"""`labforge hub check` as a CronJob (`labforge:hub.check`, off by default): as the check user,
a server on each offered release in turn, its tools run in the release kernel, the result
compared with the catalog (labforge/hubcheck.py). Its hub token is a secret end to end."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from labforge.catalog.model import Catalog

from ..config.stack import StackConfig
from ..monitoring.component import pushgateway_url
from ..options import children
from .services.check import SERVICE

CATALOG_PATH = "/etc/labforge/catalog.json"


class HubCheckJob(pulumi.ComponentResource):
    def __init__(self, name: str, config: StackConfig, catalog: Catalog, token, namespace: str,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:HubCheck", name, None, opts)
        check = config.hub.check
        secret = k8s.core.v1.Secret(
            f"{name}-token", metadata={"name": f"{SERVICE}-token", "namespace": namespace},
            string_data={"token": token}, opts=children(self, opts))
        catalog_map = k8s.core.v1.ConfigMap(
            f"{name}-catalog", metadata={"name": f"{SERVICE}-catalog", "namespace": namespace},
            data={"catalog.json": catalog.to_json()}, opts=children(self, opts))
        releases = len(catalog.offered())
        container = {
            "name": "check", "image": check.image,
            "command": ["labforge", "hub", "check", "--hub", f"http://proxy-public.{namespace}.svc.cluster.local",
                        "--catalog", CATALOG_PATH, "--user", check.user, "--timeout", str(check.timeout),
                        *(["--pushgateway", pushgateway_url(config.monitoring)] if config.monitoring.enabled else [])],
            "env": [{"name": "LABFORGE_HUB_TOKEN",
                     "valueFrom": {"secretKeyRef": {"name": f"{SERVICE}-token", "key": "token"}}},
                    {"name": "LABFORGE_PROJECT", "value": "/tmp"}],
            "volumeMounts": [{"name": "catalog", "mountPath": "/etc/labforge", "readOnly": True}],
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]}},
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        }
        self.job = k8s.batch.v1.CronJob(
            f"{name}-cronjob", metadata={"name": SERVICE, "namespace": namespace},
            spec={"schedule": check.schedule, "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3,
                  "failedJobsHistoryLimit": 5,
                  "jobTemplate": {"spec": {
                      "backoffLimit": 0,
                      # each release may take its timeout twice (start, then the check) plus the stop
                      "activeDeadlineSeconds": (2 * releases + 1) * check.timeout + 60,
                      "template": {"spec": {"restartPolicy": "Never", "containers": [container],
                                            "volumes": [{"name": "catalog",
                                                         "configMap": {"name": f"{SERVICE}-catalog"}}]}}}}},
            opts=children(self, opts, secret, catalog_map))
        self.register_outputs({})
