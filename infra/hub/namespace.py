"""The namespace users' servers run in, with a quota, default limits and network policies."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..cluster.gateway import ENVOY_NAMESPACE
from ..config.stack import Hub
from ..options import children


def namespace_objects(settings: Hub) -> list[dict]:
    """Plain Kubernetes objects (also validated by the tests with kubernetes-validate)."""
    ns = settings.namespace
    meta = lambda name: {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "labforge"}}  # noqa: E731
    return [
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta("lab-quota"),
         "spec": {"hard": {"requests.cpu": settings.quota_cpu, "requests.memory": settings.quota_memory,
                           "limits.memory": settings.quota_memory, "pods": str(settings.quota_pods)}}},
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": meta("lab-limits"),
         "spec": {"limits": [{"type": "Container",
                              "default": {"cpu": "1", "memory": "2Gi"},
                              "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
                              "max": {"cpu": "16", "memory": "64Gi"}}]}},
        # Deny all ingress by default; the chart's own policies then open only what it needs.
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("default-deny-ingress"),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
        # The Gateway's Envoy proxies reach the hub's proxy (z2jh's proxy-public).
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("allow-gateway"),
         "spec": {"podSelector": {"matchLabels": {"component": "proxy"}}, "policyTypes": ["Ingress"],
                  "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                      "kubernetes.io/metadata.name": ENVOY_NAMESPACE}}}],
                      "ports": [{"port": 8000, "protocol": "TCP"}]}]}},
    ]


class UserNamespace(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Hub, opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:UserNamespace", name, None, opts)
        child = children(self, opts)
        self.namespace = k8s.core.v1.Namespace(name, metadata={
            "name": settings.namespace,
            "labels": {"pod-security.kubernetes.io/enforce": "baseline",
                       "pod-security.kubernetes.io/warn": "restricted"}}, opts=child)
        after = children(self, opts, self.namespace)
        kinds = {"ResourceQuota": k8s.core.v1.ResourceQuota, "LimitRange": k8s.core.v1.LimitRange,
                 "NetworkPolicy": k8s.networking.v1.NetworkPolicy}
        for obj in namespace_objects(settings):
            kinds[obj["kind"]](obj["metadata"]["name"], metadata=obj["metadata"], spec=obj["spec"], opts=after)
        self.name = settings.namespace
        self.register_outputs({"namespace": self.name})
