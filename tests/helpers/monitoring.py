"""The lab's monitoring on loopback, with the real programs: Debian's Prometheus (the deployed scrape
jobs of infra/monitoring/scrape.py and its alert rules), Pushgateway, and the lab exporter
(infra/backup/pod) over a restic repository and a Drive folder of the test's."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from infra.monitoring.scrape import Targets, scrape_configs
from labforge.core.process import stop
from labforge.loopback.registry import free_port
from tests.helpers.project import REPO
from tests.helpers.waiting import wait_until

ALERTS = REPO / "infra" / "monitoring" / "alerts.yaml"
POD = REPO / "infra" / "backup" / "pod"


@dataclass
class Monitoring:
    prometheus: str
    pushgateway: str
    exporter: str

    def query(self, expr: str) -> list[dict]:
        url = f"{self.prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
        with urllib.request.urlopen(url, timeout=30) as answer:
            body = json.load(answer)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.prometheus}{path}", timeout=30) as answer:
            return json.load(answer)


def answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status == 200


@contextlib.contextmanager
def monitoring(folder: Path, hub: str, hub_token: str, restic_env: dict, drive: Path, targets: dict):
    """Pushgateway, the exporter and Prometheus, until the `with` ends. `hub`: host:port of the hub."""
    folder.mkdir(parents=True, exist_ok=True)
    token_file = folder / "hub-token"
    token_file.write_text(hub_token)
    ports = {name: free_port() for name in ("pushgateway", "exporter", "prometheus")}
    config = {"global": {"scrape_interval": "2s", "evaluation_interval": "2s"},
              "rule_files": [str(ALERTS)],
              "scrape_configs": scrape_configs(Targets(hub=hub, exporter=f"127.0.0.1:{ports['exporter']}",
                                                       pushgateway=f"127.0.0.1:{ports['pushgateway']}",
                                                       hub_token_file=str(token_file)), interval="2s")}
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    exporter_env = {**os.environ, **restic_env, "DRIVE": str(drive), "TARGETS": json.dumps(targets),
                    "REFRESH": "2", "PORT": str(ports["exporter"]), "BIND": "127.0.0.1"}
    commands = {
        "pushgateway": ["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{ports['pushgateway']}"],
        "exporter": [sys.executable, str(POD / "lab_exporter.py")],
        "prometheus": ["prometheus", f"--config.file={folder / 'prometheus.yml'}",
                       f"--storage.tsdb.path={folder / 'tsdb'}", f"--web.listen-address=127.0.0.1:{ports['prometheus']}"],
    }
    procs = []
    try:
        for name, command in commands.items():
            with open(folder / f"{name}.log", "w") as log:
                procs.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                              env=exporter_env if name == "exporter" else None))
        running = Monitoring(f"http://127.0.0.1:{ports['prometheus']}", f"http://127.0.0.1:{ports['pushgateway']}",
                             f"http://127.0.0.1:{ports['exporter']}")
        wait_until(lambda: answers(f"{running.prometheus}/-/ready"), "Prometheus", timeout=90)
        wait_until(lambda: answers(f"{running.pushgateway}/-/ready"), "the Pushgateway", timeout=90)
        wait_until(lambda: answers(f"{running.exporter}/metrics"), "the lab exporter", timeout=90)
        yield running
    finally:
        for proc in procs:
            stop(proc, grace=5)
        for name in commands:
            print(f"--- {name}\n" + (folder / f"{name}.log").read_text()[-1500:])
