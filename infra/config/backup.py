"""Stack configuration of the lab's backups (`labforge:backup`): restic snapshots of what users own
(the hub's database and share grants, Harbor's database, the Drive) to object storage, each
encrypted with the `backupPassword` secret and kept by a retention policy; and, where Cinder and
Manila can take them, Velero's volume snapshots of the hub's and Harbor's volumes."""

from __future__ import annotations

from pydantic import Field

from .base import _Model
from .schedule import Schedule

# A repository elsewhere than the lab's own Swift (which the program makes, with its credential):
# S3, with the keys in the backupS3Credentials secret ("ACCESS_KEY_ID:SECRET_ACCESS_KEY").
REPOSITORY = r"^s3:https://[A-Za-z0-9.:/_-]{1,250}$"


class Retention(_Model):
    """`restic forget --keep-*`: what stays after each run (the newest snapshot always does)."""
    last: int = Field(3, ge=1, le=100)  # the newest few whatever their time: a run by hand never drops one
    hourly: int = Field(24, ge=0, le=1000)
    daily: int = Field(14, ge=1, le=1000)
    weekly: int = Field(8, ge=0, le=1000)
    monthly: int = Field(12, ge=0, le=1000)


class Backup(_Model):
    enabled: bool = False
    # Default in openstack mode: a Swift container of the lab's project, made by the program.
    # Elsewhere (an existing cluster), an S3 repository: s3:https://HOST/BUCKET/PATH.
    repository: str | None = Field(None, pattern=REPOSITORY)
    hub_schedule: Schedule = "17 * * * *"  # the hub's database and grants: hourly
    drive_schedule: Schedule = "40 1 * * *"  # the Drive: nightly
    harbor_schedule: Schedule = "10 2 * * *"  # Harbor's database: nightly
    check_schedule: Schedule = "30 4 * * 0"  # restic check, reading a tenth of the data: weekly
    retention: Retention = Retention()
    # Velero's volume snapshots of the hub's and Harbor's volumes (Cinder, Manila); off where the
    # cloud has no snapshot support.
    snapshots: bool = True
    velero_version: str = "12.1.0"
    snapshot_schedule: Schedule = "0 3 * * *"
    snapshot_ttl: str = Field("336h", pattern=r"^[0-9]+h$")
