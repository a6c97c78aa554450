"""Backups of what users own, and restores rehearsed: restic snapshots of the hub's database and
share grants, Harbor's database and the Drive, to the lab's object storage (component, jobs);
Velero's volume snapshots (velero); the files the backup pods run (pod/: lab_backup, lab_restore,
lab_exporter, with lab_restic shared by them)."""
