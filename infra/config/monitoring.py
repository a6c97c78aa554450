"""Stack configuration of the lab's monitoring (`labforge:monitoring`): Prometheus (with
Alertmanager, kube-state-metrics, node exporter and a Pushgateway) and Grafana from their charts,
the hub scraped with a `read:metrics` token, Harbor's metrics, dashboards and alert rules as code
(infra/monitoring). Prometheus and Alertmanager keep their data on volumes of `storageClass`."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import _Model

SIZE = r"^[0-9]+[MGT]i$"


class Monitoring(_Model):
    enabled: bool = False
    prometheus_version: str = "29.27.0"
    grafana_version: str = "12.11.1"
    namespace: str = Field("monitoring", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    # Where Prometheus, Alertmanager and Grafana keep their data (a ReadWriteOnce class).
    storage_class: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9.-]{0,252}$")
    prometheus_size: str = Field("50Gi", pattern=SIZE)
    retention: str = Field("30d", pattern=r"^[0-9]+[dw]$")
    alertmanager_size: str = Field("2Gi", pattern=SIZE)
    grafana_size: str = Field("5Gi", pattern=SIZE)
    # Grafana on its own host through the lab's Gateway (else reached with kubectl port-forward).
    grafana_host: str | None = Field(None, pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")

    @model_validator(mode="after")
    def _storage_when_enabled(self) -> "Monitoring":
        if self.enabled and not self.storage_class:
            raise ValueError("monitoring.enabled needs monitoring.storageClass: Prometheus and Alertmanager keep "
                             "their data on volumes (an emptyDir would lose every series and silence at each restart)")
        return self
