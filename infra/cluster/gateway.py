"""The lab's public entry: Envoy Gateway (a Gateway API implementation) from its chart, one Gateway
with an HTTPS listener per host, and cert-manager issuing each listener's certificate (ACME,
HTTP-01 solved through the same Gateway). Plain HTTP only answers ACME challenges and redirects
to HTTPS. The hub and Harbor attach their own HTTPRoutes to it (z2jh `httpRoute`, Harbor's
`expose.route`)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..config.gateway import Gateway
from ..options import children

ENVOY_NAMESPACE = "envoy-gateway-system"  # the controller, and the Envoy proxies it runs
NAMESPACE = "lab-gateway"  # the Gateway object and its certificates
NAME = "lab"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"


def parent_ref(listener: str) -> dict:
    """How a route names the Gateway listener it attaches to."""
    return {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": NAME, "namespace": NAMESPACE,
            "sectionName": listener}


def listener_name(site: str) -> str:
    return f"https-{site}"


def gateway_object(settings: Gateway, hosts: dict[str, str]) -> dict:
    """`hosts`: site name (hub, harbor, grafana) -> host name. cert-manager's gateway-shim issues a
    certificate for each HTTPS listener into its secret (`<site>-tls`)."""
    https = [{"name": listener_name(site), "protocol": "HTTPS", "port": 443, "hostname": host,
              "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": f"{site}-tls"}]},
              "allowedRoutes": {"namespaces": {"from": "All"}}}
             for site, host in sorted(hosts.items())]
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": NAME, "namespace": NAMESPACE,
                         "annotations": {"cert-manager.io/cluster-issuer": settings.issuer}},
            "spec": {"gatewayClassName": settings.class_name,
                     "listeners": [{"name": "http", "protocol": "HTTP", "port": 80,
                                    "allowedRoutes": {"namespaces": {"from": "Same"}}}] + https}}


def cluster_issuer(settings: Gateway) -> dict:
    return {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
            "metadata": {"name": settings.issuer},
            "spec": {"acme": {"server": settings.acme_server, "email": settings.acme_email,
                              "privateKeySecretRef": {"name": f"{settings.issuer}-account-key"},
                              "solvers": [{"http01": {"gatewayHTTPRoute": {"parentRefs": [parent_ref("http")]}}}]}}}


def https_redirect() -> dict:
    """Plain HTTP gets a redirect; ACME's challenge routes (longer paths) still win."""
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "https-redirect", "namespace": NAMESPACE},
            "spec": {"parentRefs": [parent_ref("http")],
                     "rules": [{"filters": [{"type": "RequestRedirect",
                                             "requestRedirect": {"scheme": "https", "statusCode": 301}}]}]}}


def cert_manager_values() -> dict:
    # CRDs with the chart; the Gateway API support (gateway-shim) is off unless asked for.
    return {"crds": {"enabled": True},
            "config": {"apiVersion": "controller.config.cert-manager.io/v1alpha1",
                       "kind": "ControllerConfiguration", "enableGatewayAPI": True}}


class LabGateway(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Gateway, hosts: dict[str, str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:Gateway", name, None, opts)
        child = children(self, opts)
        installed = []
        if settings.install:
            envoy = k8s.helm.v3.Release(
                f"{name}-envoy", name="envoy-gateway", chart="gateway-helm", version=settings.envoy_gateway_version,
                namespace=ENVOY_NAMESPACE, create_namespace=True,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="oci://docker.io/envoyproxy"),
                values={"deployment": {"replicas": 2}}, opts=child)
            gateway_class = k8s.apiextensions.CustomResource(
                f"{name}-class", api_version="gateway.networking.k8s.io/v1", kind="GatewayClass",
                metadata={"name": settings.class_name}, spec={"controllerName": CONTROLLER},
                opts=children(self, opts, envoy))
            installed = [envoy, gateway_class]
        self.cert_manager = k8s.helm.v3.Release(
            f"{name}-cert-manager", name="cert-manager", chart="cert-manager", version=settings.cert_manager_version,
            namespace="cert-manager", create_namespace=True,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://charts.jetstack.io"),
            values=cert_manager_values(), opts=child)
        namespace = k8s.core.v1.Namespace(f"{name}-ns", metadata={"name": NAMESPACE}, opts=child)
        after = children(self, opts, namespace, *installed, self.cert_manager)
        issuer = cluster_issuer(settings)
        k8s.apiextensions.CustomResource(
            f"{name}-issuer", api_version=issuer["apiVersion"], kind=issuer["kind"], metadata=issuer["metadata"],
            spec=issuer["spec"], opts=children(self, opts, self.cert_manager))
        for obj in (gateway_object(settings, hosts), https_redirect()):
            k8s.apiextensions.CustomResource(
                f"{name}-{obj['metadata']['name']}", api_version=obj["apiVersion"], kind=obj["kind"],
                metadata=obj["metadata"], spec=obj["spec"], opts=after)
        self.register_outputs({})
