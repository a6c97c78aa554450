"""Stack configuration of the lab's public entry (`labforge:gateway`): Gateway API, served by Envoy
Gateway, with cert-manager issuing each host's certificate (ACME, HTTP-01 through the Gateway).

ingress-nginx, the entry before it, was retired in March 2026 (no releases or security fixes
since): a stack still naming `labforge:ingress` is told how to move, before any resource."""

from __future__ import annotations

from pydantic import Field

from .base import _Model

INGRESS_RETIRED = ("ingress-nginx was retired in March 2026 and gets no security fixes: the lab's entry is a "
                   "Gateway API gateway now (Envoy Gateway); rename labforge:ingress to labforge:gateway, keep "
                   "acmeEmail, acmeServer and issuer, drop className and ingressNginxVersion (runbook 'Upgrade "
                   "the lab')")


class Gateway(_Model):
    # false: the cluster already runs a Gateway API implementation; give its class in className.
    install: bool = True
    class_name: str = Field("envoy", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    envoy_gateway_version: str = "v1.9.0"
    cert_manager_version: str = "v1.21.1"
    acme_email: str = Field(pattern=r"^[!-?A-~]+@[!-?A-~]+$")
    acme_server: str = Field("https://acme-v02.api.letsencrypt.org/directory", pattern=r"^https://[!-~]+$")
    issuer: str = Field("letsencrypt", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
