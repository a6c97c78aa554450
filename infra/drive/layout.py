"""The Drive's top folders, made once at deploy time by a Job (the `drive-layout` job).

users/   owned by uid 1000: each user pod's init container makes users/<name> in it, as the user
groups/  owned by uid 1000: the same for groups/<group>
public/  owned by root, mode 0755: users read it (mounted read-only too); the lab's staff write it

Needs root only to chown, so it runs with CHOWN, DAC_OVERRIDE and FOWNER and nothing else:
no privileged container, no privilege escalation, read-only root filesystem. On an NFS export
with root_squash the chown fails: the job's log says so, and `pulumi up` reports the job failed.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..options import children

NAME = "drive-layout"
MOUNT = "/drive"
SCRIPT = f"""set -eu
cd {MOUNT}
mkdir -p users groups public
chown 1000:1000 users groups || {{ echo "drive-layout: cannot chown on the Drive (root_squash on the export?)" >&2; exit 1; }}
chmod 0755 users groups public
ls -ln {MOUNT}
"""
CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER"]


def layout_job(namespace: str, claim: str, image: str, pull_secret: str) -> dict:
    labels = {"app.kubernetes.io/managed-by": "labforge", "app.kubernetes.io/component": "drive"}
    container = {
        "name": NAME,
        "image": image,
        "command": ["/bin/sh", "-c", SCRIPT],
        "volumeMounts": [{"name": "drive", "mountPath": MOUNT}],
        "securityContext": {"runAsUser": 0, "runAsGroup": 0, "runAsNonRoot": False,
                            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"], "add": CAPABILITIES}},
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}},
    }
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
        "spec": {"backoffLimit": 3, "template": {
            "metadata": {"labels": labels},
            "spec": {"restartPolicy": "OnFailure", "automountServiceAccountToken": False,
                     "imagePullSecrets": [{"name": pull_secret}], "containers": [container],
                     "volumes": [{"name": "drive", "persistentVolumeClaim": {"claimName": claim}}]}}},
    }


class DriveLayout(pulumi.ComponentResource):
    """The layout job, run once the Drive's claim and the image pull secret exist."""

    def __init__(self, name: str, namespace: str, claim: str, image: str, pull_secret: str,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:DriveLayout", name, None, opts)
        job = layout_job(namespace, claim, image, pull_secret)
        self.job = k8s.batch.v1.Job(name, metadata=job["metadata"], spec=job["spec"], opts=children(self, opts))
        self.register_outputs({})
