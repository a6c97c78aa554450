"""The backup jobs as Kubernetes objects: restic CronJobs for the hub, the Drive, Harbor's database
(and its registry volume in pvc mode), a weekly check, the lab exporter, and the scripts they run
(infra/backup/pod, shipped unchanged in a ConfigMap). restic itself comes from its official image
(an init container copies the binary); the scripts run in the hub's own image, whose Python
already holds SQLite. Credentials come only from the `lab-backup` Secret (envFrom).
"""

from __future__ import annotations

from pathlib import Path

from croniter import croniter

from ..config.backup import Backup

POD_FILES = Path(__file__).parent / "pod"
SCRIPTS = ("lab_restic.py", "lab_backup.py", "lab_restore.py", "lab_exporter.py")
SCRIPTS_AT = "/opt/labforge-backup"
CONFIGMAP, SECRET = "lab-backup-scripts", "lab-backup"
HUB_LABELS = {"app.kubernetes.io/name": "jupyterhub", "app.kubernetes.io/component": "hub"}
EXPORTER_PORT = 9800
UID = 1000  # the hub's and the notebook user's uid: it owns the hub's volume and the Drive


def allowed_age(schedule: str) -> int:
    """How old the newest snapshot may be: two intervals of its schedule (one run may fail), at least 2 h."""
    runs = croniter(schedule, 0)
    first, second, third = runs.get_next(float), runs.get_next(float), runs.get_next(float)
    return int(max(7200, 2 * max(second - first, third - second)))


def scripts_configmap(namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CONFIGMAP, "namespace": namespace},
            "data": {name: (POD_FILES / name).read_text(encoding="utf-8") for name in SCRIPTS}}


def environment(settings: Backup, repository: str) -> list[dict]:
    keep = settings.retention.model_dump()
    return [{"name": "RESTIC", "value": "/tools/restic"}, {"name": "RESTIC_REPOSITORY", "value": repository},
            {"name": "RESTIC_CACHE_DIR", "value": "/tmp/restic-cache"}, {"name": "HOME", "value": "/tmp"},
            *[{"name": f"KEEP_{period.upper()}", "value": str(count)} for period, count in keep.items()]]


def pod_spec(images: dict, settings: Backup, repository: str, command: list[str], mounts: list[dict],
             volumes: list[dict], extra_init: list[dict] = (), affinity: dict | None = None) -> dict:
    """A pod that runs one of the scripts with restic beside it."""
    tools = {"name": "tools", "mountPath": "/tools"}
    spec = {
        "restartPolicy": "Never",
        "securityContext": {"runAsUser": UID, "runAsGroup": UID, "fsGroup": UID, "runAsNonRoot": True,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [{"name": "restic", "image": images["restic"], "command": ["cp", "/usr/bin/restic",
                                                                                      "/tools/restic"],
                            "volumeMounts": [tools], "securityContext": _locked()}, *extra_init],
        "containers": [{"name": "run", "image": images["scripts"], "command": ["python3", *command],
                        "env": environment(settings, repository), "envFrom": [{"secretRef": {"name": SECRET}}],
                        "volumeMounts": [tools, {"name": "scripts", "mountPath": SCRIPTS_AT, "readOnly": True},
                                         {"name": "tmp", "mountPath": "/tmp"}, *mounts],
                        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "2Gi"}},
                        "securityContext": _locked()}],
        "volumes": [{"name": "tools", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}},
                    {"name": "scripts", "configMap": {"name": CONFIGMAP}}, *volumes],
    }
    if affinity:
        spec["affinity"] = affinity
    return spec


def _locked() -> dict:
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True}


def cronjob(name: str, namespace: str, schedule: str, spec: dict, deadline: int) -> dict:
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "lab-backup"}},
            "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 3600,
                     "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3,
                     "jobTemplate": {"spec": {"backoffLimit": 1, "activeDeadlineSeconds": deadline,
                                              "template": {"metadata": {"labels": {"app.kubernetes.io/part-of":
                                                                                   "lab-backup"}},
                                                           "spec": spec}}}}}


def script(name: str, *args: str) -> list[str]:
    return [f"{SCRIPTS_AT}/{name}", *args]


def hub_job(settings: Backup, namespace: str, images: dict, repository: str) -> dict:
    """The hub's volume is ReadWriteOnce: the job runs on the hub's node, reading it beside the hub."""
    affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": HUB_LABELS}, "topologyKey": "kubernetes.io/hostname"}]}}
    spec = pod_spec(images, settings, repository,
                    script("lab_backup.py", "hub", "--db", "/srv/jupyterhub/jupyterhub.sqlite",
                           "--grants", "/srv/jupyterhub/lab-share/grants.json"),
                    [{"name": "hub", "mountPath": "/srv/jupyterhub", "readOnly": True}],
                    [{"name": "hub", "persistentVolumeClaim": {"claimName": "hub-db-dir", "readOnly": True}}],
                    affinity=affinity)
    return cronjob("backup-hub", namespace, settings.hub_schedule, spec, 3600)


def drive_job(settings: Backup, namespace: str, images: dict, repository: str, claim: str) -> dict:
    spec = pod_spec(images, settings, repository, script("lab_backup.py", "folder", "/drive", "--target", "drive"),
                    [{"name": "drive", "mountPath": "/drive", "readOnly": True}],
                    [{"name": "drive", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}}])
    return cronjob("backup-drive", namespace, settings.drive_schedule, spec, 12 * 3600)


def harbor_db_job(settings: Backup, images: dict, repository: str) -> dict:
    """pg_dump in Harbor's own database image, then restic on the dump (a consistent one: pg_dump
    reads one transaction)."""
    dump = {"name": "pg-dump", "image": images["harbor-db"], "command": [
        "sh", "-c", "pg_dump --host=harbor-database --username=postgres --format=custom --file=/dump/registry.dump "
        "registry"],
        "env": [{"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "harbor-database",
                                                                          "key": "POSTGRES_PASSWORD"}}}],
        "volumeMounts": [{"name": "dump", "mountPath": "/dump"}], "securityContext": _locked()}
    spec = pod_spec(images, settings, repository, script("lab_backup.py", "folder", "/dump", "--target", "harbor-db"),
                    [{"name": "dump", "mountPath": "/dump", "readOnly": True}], [{"name": "dump", "emptyDir": {}}],
                    extra_init=[dump])
    return cronjob("backup-harbor-db", "harbor", settings.harbor_schedule, spec, 3600)


def harbor_registry_job(settings: Backup, images: dict, repository: str) -> dict:
    """Harbor's registry volume (harbor.storage pvc), on the registry's node."""
    affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "harbor", "component": "registry"}},
         "topologyKey": "kubernetes.io/hostname"}]}}
    spec = pod_spec(images, settings, repository,
                    script("lab_backup.py", "folder", "/registry", "--target", "harbor-registry"),
                    [{"name": "registry", "mountPath": "/registry", "readOnly": True}],
                    [{"name": "registry", "persistentVolumeClaim": {"claimName": "harbor-registry", "readOnly": True}}],
                    affinity=affinity)
    return cronjob("backup-harbor-registry", "harbor", settings.harbor_schedule, spec, 12 * 3600)


def check_job(settings: Backup, namespace: str, images: dict, repository: str) -> dict:
    spec = pod_spec(images, settings, repository, script("lab_backup.py", "check", "--read-data-subset", "10%"),
                    [], [])
    return cronjob("backup-check", namespace, settings.check_schedule, spec, 12 * 3600)


def exporter(settings: Backup, namespace: str, images: dict, repository: str, claim: str, targets: dict) -> list[dict]:
    import json

    spec = pod_spec(images, settings, repository, script("lab_exporter.py"),
                    [{"name": "drive", "mountPath": "/drive", "readOnly": True}],
                    [{"name": "drive", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}}])
    spec["restartPolicy"] = "Always"
    spec["containers"][0]["env"] += [{"name": "TARGETS", "value": json.dumps(targets, sort_keys=True)},
                                     {"name": "DRIVE", "value": "/drive"}, {"name": "REFRESH", "value": "300"}]
    spec["containers"][0]["ports"] = [{"name": "metrics", "containerPort": EXPORTER_PORT}]
    labels = {"app.kubernetes.io/name": "lab-exporter", "app.kubernetes.io/part-of": "lab-backup"}
    return [{"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "lab-exporter", "namespace": namespace, "labels": labels},
             "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                      "template": {"metadata": {"labels": labels}, "spec": spec}}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lab-exporter", "namespace": namespace,
                                                                 "labels": labels},
             "spec": {"selector": labels, "ports": [{"name": "metrics", "port": EXPORTER_PORT,
                                                     "targetPort": EXPORTER_PORT}]}}]


def backup_objects(settings: Backup, namespace: str, images: dict, repository: str, drive_claim: str,
                   registry_on_volume: bool) -> list[dict]:
    """Every object of the restic side, in the lab's namespace and Harbor's."""
    targets = {"hub": allowed_age(settings.hub_schedule), "drive": allowed_age(settings.drive_schedule),
               "harbor-db": allowed_age(settings.harbor_schedule), "check": allowed_age(settings.check_schedule)}
    objects = [scripts_configmap(namespace), scripts_configmap("harbor"),
               hub_job(settings, namespace, images, repository),
               drive_job(settings, namespace, images, repository, drive_claim),
               harbor_db_job(settings, images, repository), check_job(settings, namespace, images, repository)]
    if registry_on_volume:
        targets["harbor-registry"] = allowed_age(settings.harbor_schedule)
        objects.append(harbor_registry_job(settings, images, repository))
    return objects + exporter(settings, namespace, images, repository, drive_claim, targets)
