"""The Kubernetes cluster: Magnum on OpenStack, or an existing cluster's kubeconfig."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_openstack as openstack

from ..config.runners import Runners
from ..config.stack import Cluster, GpuNodes
from ..options import children
from .network import LabNetwork

USER_NODE_LABEL = "hub.jupyter.org/node-purpose=user"


class MagnumCluster(pulumi.ComponentResource):
    """Cluster template, cluster and a node group reserved for user pods."""

    def __init__(self, name: str, settings: Cluster, network: LabNetwork, runners: Runners | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:Cluster", name, None, opts)
        child = children(self, opts)
        os_settings = settings.openstack
        assert os_settings is not None  # guaranteed by the config model
        keypair = openstack.compute.Keypair(f"{name}-admin", name=f"{name}-admin",
                                            public_key=os_settings.keypair_public_key, opts=child)
        labels = {
            "kube_tag": f"v{settings.kubernetes_version}",
            "auto_healing_enabled": "true",
            "cinder_csi_enabled": "true",
            "manila_csi_enabled": "true",
            "master_lb_floating_ip_enabled": "true",
        }
        if os_settings.admin_cidrs:
            labels["master_lb_allowed_cidrs"] = ",".join(os_settings.admin_cidrs)
        if os_settings.availability_zone:
            labels["availability_zone"] = os_settings.availability_zone
        self.template = openstack.containerinfra.ClusterTemplate(
            f"{name}-template", name=f"{name}-k8s-{settings.kubernetes_version}", coe="kubernetes",
            image=os_settings.image, external_network_id=network.external_network_id,
            fixed_network=network.network.id, fixed_subnet=network.subnet.id,
            flavor=os_settings.flavor, master_flavor=os_settings.master_flavor,
            network_driver="calico", master_lb_enabled=True, floating_ip_enabled=False,
            labels=labels, opts=child)
        self.cluster = openstack.containerinfra.Cluster(
            f"{name}-cluster", name=name, cluster_template_id=self.template.id,
            master_count=os_settings.master_count, node_count=os_settings.node_count,
            keypair=keypair.name, merge_labels=True, opts=child)
        self.user_nodes = None
        if os_settings.user_node_count:
            # Kubernetes label for z2jh's user-pod scheduling, passed to kubelet by Magnum.
            self.user_nodes = openstack.containerinfra.NodeGroup(
                f"{name}-user-nodes", name="user", cluster_id=self.cluster.id, role="user",
                flavor_id=os_settings.user_flavor, node_count=os_settings.user_node_count,
                min_node_count=1, max_node_count=max(os_settings.user_node_count * 3, 3),
                labels={"kubelet_options": f"--node-labels={USER_NODE_LABEL}"}, merge_labels=True, opts=child)
        self.gpu_nodes = None
        gpu = settings.gpu_nodes
        if gpu is not None and gpu.count:
            # GPU nodes: labelled for the GPU profiles' node selector, tainted so only they land there.
            self.gpu_nodes = openstack.containerinfra.NodeGroup(
                f"{name}-gpu-nodes", name="gpu", cluster_id=self.cluster.id, role="gpu",
                flavor_id=gpu.flavor, node_count=gpu.count, min_node_count=0, max_node_count=max(gpu.count * 2, 1),
                labels={"kubelet_options": gpu_kubelet_options(gpu)}, merge_labels=True,
                **({"image_id": gpu.image} if gpu.image else {}), opts=child)
        self.build_nodes = None
        if runners is not None:
            # CI jobs compile here, and nothing else does: labelled for the runner's node selector,
            # tainted so user pods never land on them; the autoscaler keeps between min and max.
            self.build_nodes = openstack.containerinfra.NodeGroup(
                f"{name}-build-nodes", name="build", cluster_id=self.cluster.id, role="build",
                flavor_id=runners.flavor, node_count=max(runners.min_nodes, 1), min_node_count=runners.min_nodes,
                max_node_count=runners.max_nodes, labels={"kubelet_options": node_kubelet_options(runners.labels, runners.taint)},
                merge_labels=True, opts=child)
        self.kubeconfig = pulumi.Output.secret(self.cluster.kubeconfig.apply(lambda k: k["raw_config"]))
        self.register_outputs({"kubeconfig": self.kubeconfig})


def node_kubelet_options(labels: dict[str, str], taint: str, extra_labels: tuple[str, ...] = ()) -> str:
    """Magnum passes these to kubelet: the node group's labels and its taint."""
    listed = ",".join([f"{k}={v}" for k, v in sorted(labels.items())] + list(extra_labels))
    return f"--node-labels={listed} --register-with-taints={taint}"


def gpu_kubelet_options(gpu: GpuNodes) -> str:
    # GPU nodes are user nodes too: z2jh requires that label of every user pod ("require" below).
    return node_kubelet_options(gpu.labels, gpu.taint, (USER_NODE_LABEL,))


def kubernetes_provider(name: str, kubeconfig: pulumi.Input[str],
                        depends_on: list[pulumi.Resource] | None = None) -> k8s.Provider:
    return k8s.Provider(name, kubeconfig=kubeconfig, enable_server_side_apply=True,
                        opts=pulumi.ResourceOptions(depends_on=depends_on or []))
