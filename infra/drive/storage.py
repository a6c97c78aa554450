"""Storage: the shared Drive (Manila or NFS, as a PV/PVC), object storage, home volume class."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_openstack as openstack

from ..config.stack import Drive, StackConfig
from ..options import children

DRIVE_CLAIM = "lab-drive"


def home_storage_class(name: str, provisioner: str) -> dict:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "labforge"}},
            "provisioner": provisioner, "reclaimPolicy": "Retain", "allowVolumeExpansion": True,
            "volumeBindingMode": "WaitForFirstConsumer"}


def drive_objects(drive: Drive, namespace: str, server=None, path=None) -> list[dict]:
    """The Drive as Kubernetes sees it: an NFS PersistentVolume bound to one RWX claim,
    or just a claim on a ReadWriteMany StorageClass."""
    labels = {"app.kubernetes.io/managed-by": "labforge", "app.kubernetes.io/component": "drive"}
    claim_spec: dict = {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": drive.size}}}
    objects = []
    if drive.mode == "storageClass":
        claim_spec["storageClassName"] = drive.storage_class
    else:
        objects.append({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": f"{namespace}-drive", "labels": labels},
            "spec": {"capacity": {"storage": drive.size}, "accessModes": ["ReadWriteMany"],
                     "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
                     "mountOptions": ["nfsvers=4.1", "hard"],
                     "nfs": {"server": server, "path": path},
                     "claimRef": {"namespace": namespace, "name": DRIVE_CLAIM}}})
        claim_spec.update(storageClassName="", volumeName=f"{namespace}-drive")
    objects.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {"name": DRIVE_CLAIM, "namespace": namespace, "labels": labels},
                    "spec": claim_spec})
    return objects


def _split_export(location: str) -> tuple[str, str]:
    server, _, path = location.partition(":")
    return server, path


class LabStorage(pulumi.ComponentResource):
    def __init__(self, name: str, config: StackConfig, namespace: k8s.core.v1.Namespace, subnet_cidr: str | None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:Storage", name, None, opts)
        child = children(self, opts)
        # Only the Kubernetes objects wait for the namespace; the OpenStack ones start at once.
        in_namespace = children(self, opts, namespace)
        drive, storage = config.drive, config.storage
        self.harbor_container = None
        self.harbor_credential = None
        self.backup_container_name = self.velero_container_name = None
        self.backup_credential = self.velero_credential = None
        openstack_mode = config.cluster.mode == "openstack"

        server, path = drive.nfs_server, drive.nfs_path
        if drive.mode == "manila":
            share = openstack.sharedfilesystem.Share(
                f"{name}-drive", name=f"{name}-drive", share_proto="NFS", share_type=drive.share_type,
                size=_gib(drive.size), description="The lab's shared Drive", opts=child)
            openstack.sharedfilesystem.ShareAccess(
                f"{name}-drive-access", share_id=share.id, access_type="ip", access_to=subnet_cidr,
                access_level="rw", opts=child)
            export = share.export_locations.apply(lambda locations: _split_export(locations[0]["path"]))
            server, path = export[0], export[1]

        if openstack_mode and config.harbor.storage == "swift":
            self.harbor_container = openstack.objectstorage.Container(
                f"{name}-harbor-registry", name=f"{name}-harbor-registry", opts=child)
            # A credential that can only use object storage, for Harbor's registry.
            self.harbor_credential = openstack.identity.ApplicationCredential(
                f"{name}-harbor-swift", name=f"{name}-harbor-swift", roles=["member"],
                access_rules=[{"path": "/v1/**", "method": method, "service": "object-store"}
                              for method in ("GET", "HEAD", "PUT", "POST", "DELETE")],
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(additional_secret_outputs=["secret"])))
        if openstack_mode and config.backup.enabled:
            self.backup_storage(name, config, child)
        if openstack_mode and storage.user_buckets:
            openstack.objectstorage.Container(f"{name}-user-buckets", name=f"{name}-user-buckets",
                                              opts=child)

        if storage.create_home_storage_class:
            obj = home_storage_class(storage.home_storage_class, storage.home_provisioner)
            k8s.storage.v1.StorageClass(f"{name}-home", metadata=obj["metadata"], provisioner=obj["provisioner"],
                                        reclaim_policy=obj["reclaimPolicy"],
                                        allow_volume_expansion=obj["allowVolumeExpansion"],
                                        volume_binding_mode=obj["volumeBindingMode"], opts=in_namespace)
        for obj in drive_objects(drive, config.hub.namespace, server, path):
            kind = {"PersistentVolume": k8s.core.v1.PersistentVolume,
                    "PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim}[obj["kind"]]
            kind(f"{name}-{obj['kind'].lower()}", metadata=obj["metadata"], spec=obj["spec"], opts=in_namespace)
        self.drive_claim = DRIVE_CLAIM
        self.home_storage_class = storage.home_storage_class
        self.register_outputs({"drive_claim": DRIVE_CLAIM})


    def backup_storage(self, name: str, config: StackConfig, child: pulumi.ResourceOptions) -> None:
        """Swift containers for restic's repository and Velero's backups, each with its credential:
        restic's may only use object storage; Velero's also takes Cinder and Manila snapshots."""
        secret = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(additional_secret_outputs=["secret"]))
        if config.backup.repository is None:
            container = openstack.objectstorage.Container(f"{name}-backups", name=f"{name}-backups", opts=child)
            self.backup_container_name = f"{name}-backups"
            self.backup_credential = openstack.identity.ApplicationCredential(
                f"{name}-backup-swift", name=f"{name}-backup-swift", roles=["member"],
                access_rules=[{"path": "/v1/**", "method": method, "service": "object-store"}
                              for method in ("GET", "HEAD", "PUT", "POST", "DELETE")],
                opts=pulumi.ResourceOptions.merge(secret, pulumi.ResourceOptions(depends_on=[container])))
        if config.backup.snapshots:
            openstack.objectstorage.Container(f"{name}-velero", name=f"{name}-velero", opts=child)
            self.velero_container_name = f"{name}-velero"
            self.velero_credential = openstack.identity.ApplicationCredential(
                f"{name}-velero", name=f"{name}-velero", roles=["member"], opts=secret)


def _gib(size: str) -> int:
    number, unit = int(size[:-2]), size[-2:]
    return number * 1024 if unit == "Ti" else number
