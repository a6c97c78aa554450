"""The lab's backups as Pulumi resources: where they go (a Swift container and an object-store
credential made here in openstack mode, or the stack's S3 repository), the `lab-backup` Secret
(restic's password and the store's credentials, nothing else), the jobs of jobs.py, and Velero."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..config.stack import StackConfig
from ..config.versions import HARBOR_DB_IMAGE, HUB_IMAGE, RESTIC_IMAGE
from ..options import children
from .jobs import SECRET, backup_objects
from .velero import CREDENTIALS, NAMESPACE, velero_values

KINDS = {"ConfigMap": k8s.core.v1.ConfigMap, "Service": k8s.core.v1.Service}


def repository_of(config: StackConfig, container: str | None) -> str:
    return config.backup.repository or f"swift:{container}:/"


class LabBackups(pulumi.ComponentResource):
    def __init__(self, name: str, config: StackConfig, secrets: dict, storage, drive_claim: str,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:Backups", name, None, opts)
        settings, child = config.backup, children(self, opts)
        repository = repository_of(config, storage.backup_container_name)
        store = self.store_environment(config, secrets, storage)
        for namespace in (config.hub.namespace, "harbor"):
            k8s.core.v1.Secret(f"{name}-secret-{namespace}", metadata={"name": SECRET, "namespace": namespace},
                               string_data={"RESTIC_PASSWORD": secrets["backupPassword"], **store}, opts=child)
        images = {"restic": RESTIC_IMAGE, "scripts": HUB_IMAGE, "harbor-db": HARBOR_DB_IMAGE}
        for obj in backup_objects(settings, config.hub.namespace, images, repository, drive_claim,
                                  registry_on_volume=config.harbor.storage == "pvc"):
            meta = obj["metadata"]
            resource = f"{name}-{meta['namespace']}-{obj['kind'].lower()}-{meta['name']}"
            if obj["kind"] == "ConfigMap":
                k8s.core.v1.ConfigMap(resource, metadata=meta, data=obj["data"], opts=child)
            elif obj["kind"] == "CronJob":
                k8s.batch.v1.CronJob(resource, metadata=meta, spec=obj["spec"], opts=child)
            elif obj["kind"] == "Deployment":
                k8s.apps.v1.Deployment(resource, metadata=meta, spec=obj["spec"], opts=child)
            else:
                KINDS[obj["kind"]](resource, metadata=meta, spec=obj["spec"], opts=child)
        if settings.snapshots and storage.velero_container_name:
            velero_namespace = k8s.core.v1.Namespace(f"{name}-velero-ns", metadata={"name": NAMESPACE}, opts=child)
            credential = storage.velero_credential
            openstack = config.cluster.openstack
            k8s.core.v1.Secret(
                f"{name}-velero-credentials", metadata={"name": CREDENTIALS, "namespace": NAMESPACE},
                string_data={"OS_AUTH_URL": openstack.auth_url, "OS_REGION_NAME": openstack.region,
                             "OS_AUTH_TYPE": "v3applicationcredential",
                             "OS_APPLICATION_CREDENTIAL_ID": credential.id,
                             "OS_APPLICATION_CREDENTIAL_SECRET": credential.secret},
                opts=children(self, opts, velero_namespace))
            k8s.helm.v3.Release(
                f"{name}-velero", name="velero", chart="velero", version=settings.velero_version, namespace=NAMESPACE,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://vmware-tanzu.github.io/helm-charts"),
                values=velero_values(settings, storage.velero_container_name, config.hub.namespace),
                opts=children(self, opts, velero_namespace))
        self.register_outputs({})

    @staticmethod
    def store_environment(config: StackConfig, secrets: dict, storage) -> dict:
        """The object store's credentials, as restic reads them from the environment."""
        if storage.backup_credential is not None:
            openstack = config.cluster.openstack
            return {"OS_AUTH_URL": openstack.auth_url, "OS_REGION_NAME": openstack.region,
                    "OS_APPLICATION_CREDENTIAL_ID": storage.backup_credential.id,
                    "OS_APPLICATION_CREDENTIAL_SECRET": storage.backup_credential.secret}
        keys = secrets["backupS3Credentials"]  # "ACCESS_KEY_ID:SECRET_ACCESS_KEY"
        return {"AWS_ACCESS_KEY_ID": keys.apply(lambda k: k.split(":", 1)[0]),
                "AWS_SECRET_ACCESS_KEY": keys.apply(lambda k: k.split(":", 1)[1])}
