"""ingress-nginx and cert-manager from their charts, and the ClusterIssuer for TLS certificates."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..config.stack import Ingress
from ..options import children


def cluster_issuer(settings: Ingress) -> dict:
    return {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
            "metadata": {"name": settings.issuer},
            "spec": {"acme": {"server": settings.acme_server, "email": settings.acme_email,
                              "privateKeySecretRef": {"name": f"{settings.issuer}-account-key"},
                              "solvers": [{"http01": {"ingress": {"ingressClassName": settings.class_name}}}]}}}


class IngressStack(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Ingress, opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:Ingress", name, None, opts)
        child = children(self, opts)
        self.controller = k8s.helm.v3.Release(
            f"{name}-nginx", name="ingress-nginx", chart="ingress-nginx", version=settings.ingress_nginx_version,
            namespace="ingress-nginx", create_namespace=True,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://kubernetes.github.io/ingress-nginx"),
            values={"controller": {"ingressClassResource": {"name": settings.class_name, "default": True},
                                   "allowSnippetAnnotations": False,
                                   "config": {"use-forwarded-headers": "true", "proxy-body-size": "0"},
                                   "metrics": {"enabled": True}}},
            opts=child)
        self.cert_manager = k8s.helm.v3.Release(
            f"{name}-cert-manager", name="cert-manager", chart="cert-manager", version=settings.cert_manager_version,
            namespace="cert-manager", create_namespace=True,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://charts.jetstack.io"),
            values={"crds": {"enabled": True}}, opts=child)
        issuer = cluster_issuer(settings)
        self.issuer = k8s.apiextensions.CustomResource(
            f"{name}-issuer", api_version=issuer["apiVersion"], kind=issuer["kind"], metadata=issuer["metadata"],
            spec=issuer["spec"], opts=children(self, opts, self.cert_manager))
        self.register_outputs({})
