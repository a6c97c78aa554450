"""The lab exporter: what Prometheus cannot see by itself, from the source of truth.

- the Drive's size and free space (statvfs of the mounted share, at each scrape);
- per backup target, the newest snapshot's time and how many are kept, read from the restic
  repository itself (a run that failed or was killed halfway made no snapshot, so it does not
  count), with the age its schedule allows; and whether the repository can be read at all.

Served on :9800/metrics (Prometheus' text format). The repository is read every REFRESH seconds
in the background, never per scrape. Configured by the environment: DRIVE, TARGETS (JSON:
target -> allowed age in seconds), REFRESH, PORT, and restic's own variables. Standard library
and the restic binary only; shipped unchanged into its pod (infra/backup).
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lab_restic import Failed, open_repository, snapshots
from lab_restore import taken

STATE = {"backups": "# the backup repository has not been read yet\n"}


def drive_lines(drive: str) -> list[str]:
    try:
        stat = os.statvfs(drive)
    except OSError:
        return ["# the Drive is not mounted"]
    return ["# HELP labforge_drive_size_bytes Size of the Drive's file system.",
            "# TYPE labforge_drive_size_bytes gauge", f"labforge_drive_size_bytes {stat.f_frsize * stat.f_blocks}",
            "# HELP labforge_drive_free_bytes Space left on the Drive for users.",
            "# TYPE labforge_drive_free_bytes gauge", f"labforge_drive_free_bytes {stat.f_frsize * stat.f_bavail}"]


def backup_lines(allowed: dict[str, int]) -> list[str]:
    lines = ["# HELP labforge_backup_repository_up Whether the backup repository could be read.",
             "# TYPE labforge_backup_repository_up gauge"]
    try:
        open_repository()
        found = snapshots()
    except (Failed, OSError, ValueError):
        return lines + ["labforge_backup_repository_up 0"]
    lines += ["labforge_backup_repository_up 1",
              "# HELP labforge_backup_newest_snapshot_timestamp_seconds When the newest whole snapshot was taken.",
              "# TYPE labforge_backup_newest_snapshot_timestamp_seconds gauge",
              "# HELP labforge_backup_snapshots Snapshots the retention keeps.",
              "# TYPE labforge_backup_snapshots gauge",
              "# HELP labforge_backup_allowed_age_seconds How old the newest snapshot may be (its schedule).",
              "# TYPE labforge_backup_allowed_age_seconds gauge"]
    for target, age in sorted(allowed.items()):
        mine = [s for s in found if target in (s.get("tags") or []) and s.get("hostname") == f"lab-{target}"]
        # a target never backed up reads as taken at the epoch: its age alert fires at once
        newest = max((taken(s).timestamp() for s in mine), default=0.0)
        lines += [f'labforge_backup_newest_snapshot_timestamp_seconds{{target="{target}"}} {newest:.0f}',
                  f'labforge_backup_snapshots{{target="{target}"}} {len(mine)}',
                  f'labforge_backup_allowed_age_seconds{{target="{target}"}} {age}']
    return lines


def refresh(allowed: dict[str, int], every: float) -> None:
    while True:
        STATE["backups"] = "\n".join(backup_lines(allowed)) + "\n"
        time.sleep(every)


class Metrics(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/metrics":
            self.send_error(404)
            return
        body = ("\n".join(drive_lines(os.environ.get("DRIVE", "/drive"))) + "\n" + STATE["backups"]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # scrapes every 30 s: not worth a line each
        pass


def main() -> None:
    allowed = {str(k): int(v) for k, v in json.loads(os.environ.get("TARGETS", "{}")).items()}
    every = float(os.environ.get("REFRESH", "300"))
    threading.Thread(target=refresh, args=(allowed, every), daemon=True).start()
    server = ThreadingHTTPServer((os.environ.get("BIND", "0.0.0.0"), int(os.environ.get("PORT", "9800"))), Metrics)
    server.serve_forever()


if __name__ == "__main__":
    main()
