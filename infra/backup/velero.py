"""Velero from its chart: the cluster's resources of the lab's namespaces (the hub's Secret with
its keys included) to Swift, and snapshots of their volumes through Cinder and Manila, nightly.
The restic side (jobs.py) is the copy a restore reads file by file; Velero's is the whole lab
after a lost cluster (runbook "Restore the lab"). The OpenStack plugin is the community one that
Velero lists; it authenticates with the application credential in the `velero-openstack` Secret."""

from __future__ import annotations

from ..config.backup import Backup

NAMESPACE = "velero"
PLUGIN = "docker.io/lirt/velero-plugin-for-openstack:v0.7.0"
CREDENTIALS = "velero-openstack"  # OS_AUTH_URL, OS_REGION_NAME, OS_APPLICATION_CREDENTIAL_ID/_SECRET
LAB_NAMESPACES = ["harbor", "lab-gateway"]  # with the hub's namespace


def velero_values(settings: Backup, container: str, hub_namespace: str) -> dict:
    return {
        "initContainers": [{"name": "velero-plugin-for-openstack", "image": PLUGIN, "imagePullPolicy": "IfNotPresent",
                            "volumeMounts": [{"mountPath": "/target", "name": "plugins"}]}],
        "credentials": {"useSecret": False, "extraSecretRef": CREDENTIALS},
        "configuration": {
            "backupStorageLocation": [{"name": "swift", "provider": "community.openstack.org/openstack",
                                       "bucket": container, "default": True}],
            "volumeSnapshotLocation": [
                {"name": "cinder", "provider": "community.openstack.org/openstack-cinder", "config": {}},
                {"name": "manila", "provider": "community.openstack.org/openstack-manila", "config": {}}],
        },
        "snapshotsEnabled": True,
        "deployNodeAgent": False,
        "schedules": {"lab": {"disabled": False, "schedule": settings.snapshot_schedule, "useOwnerReferencesInBackup": False,
                              "template": {"ttl": settings.snapshot_ttl, "snapshotVolumes": True,
                                           "includedNamespaces": sorted([hub_namespace, *LAB_NAMESPACES]),
                                           "storageLocation": "swift",
                                           "volumeSnapshotLocations": ["cinder", "manila"]}}},
        "metrics": {"enabled": True},
    }
