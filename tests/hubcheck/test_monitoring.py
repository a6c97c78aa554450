"""Every dashboard query of infra/monitoring, run against a real Prometheus (Debian's) that scrapes
a real JupyterHub behind configurable-http-proxy with the deployed jobs and the Prometheus
service's read:metrics token, after `labforge hub check` spawned each release's server (its results
pushed to a real Pushgateway), with a user's server running, a build's cache figures pushed by
`labforge release build`, and the lab exporter reading a real restic repository and a Drive
folder. A query that returns no series fails; the alert rules are loaded and the hub's alert is
quiet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from infra.monitoring.dashboards import queries
from tests.helpers.lab_hub import REPO
from tests.helpers.monitoring import monitoring
from tests.helpers.waiting import wait_until
from tests.hubcheck.conftest import METRICS, TOKEN

pytestmark = pytest.mark.hubcheck


def labforge(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labforge", *args], capture_output=True, text=True, timeout=1200,
                          env={**os.environ, "LABFORGE_PROJECT": str(REPO), "COLUMNS": "200", **(env or {})})


def restic_repository(folder, drive) -> dict:
    """A repository with a hub, a Drive and a check snapshot, made by the backup script itself."""
    env = {"RESTIC_REPOSITORY": str(folder / "repo"), "RESTIC_PASSWORD": "monitoring-test"}
    (drive / "users" / "ada").mkdir(parents=True)
    (drive / "users" / "ada" / "notes.txt").write_text("kept\n")
    script = REPO / "infra" / "backup" / "pod" / "lab_backup.py"
    for args in (["folder", str(drive), "--target", "drive"], ["check", "--read-data-subset", "100%"]):
        done = subprocess.run([sys.executable, str(script), *args], env={**os.environ, **env}, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    return env


def api(url: str, method: str, path: str, body=None):
    request = urllib.request.Request(f"{url}/hub/api{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        text = answer.read()
        return json.loads(text) if text else None


@pytest.fixture(scope="module")
def watched(hub, tmp_path_factory):
    url, folder, catalog = hub
    work = tmp_path_factory.mktemp("monitoring")
    drive = work / "drive"
    env = restic_repository(work, drive)
    targets = {"drive": 129600, "check": 1209600, "hub": 10800}
    with monitoring(work / "prometheus", url.removeprefix("http://"), METRICS, env, drive, targets) as running:
        checked = labforge("hub", "check", "--hub", url, "--catalog", str(folder / "catalog.json"), "--timeout", "150",
                           "--pushgateway", running.pushgateway, env={"LABFORGE_HUB_TOKEN": TOKEN})
        assert ": ok: kernel" in checked.stdout, checked.stdout + checked.stderr
        built = labforge("release", "build", "2026.11", "--no-spack", env={"LABFORGE_PUSHGATEWAY": running.pushgateway})
        assert built.returncode == 0, built.stderr
        # a user's server stays up while Prometheus looks (the check user's role reaches only itself)
        api(url, "POST", "/users/labforge-check/server", {"profile": "latest"})
        try:
            wait_until(lambda: (api(url, "GET", "/users/labforge-check")["servers"].get("") or {}).get("ready"),
                       "the server", 180)
            wait_until(lambda: running.query('labforge_servers{state="running"}') and running.query("labforge_hub_check_ok"),
                       "the first scrapes", 60)
            yield running
        finally:
            api(url, "DELETE", "/users/labforge-check/server")


@pytest.mark.parametrize("dashboard, panel, query", queries(), ids=[f"{d}: {p} [{q[:30]}]" for d, p, q in queries()])
def test_every_dashboard_query_returns_series(watched, dashboard, panel, query):
    assert watched.query(query), f"{dashboard} / {panel}: no series for {query}"


def test_the_scrapes_are_the_deployed_ones_and_all_up(watched):
    up = {r["metric"]["job"]: r["value"][1] for r in watched.query("up")}
    assert up == {"jupyterhub": "1", "lab-exporter": "1", "pushgateway": "1"}
    [server] = watched.query('labforge_servers{state="running"}')
    assert server["metric"]["release"] in {"2026.11", "2099.01"} and server["value"][1] == "1"


def test_the_alert_rules_are_loaded_and_the_hub_is_not_down(watched):
    groups = {g["name"]: g for g in watched.get("/api/v1/rules")["data"]["groups"]}
    assert set(groups) == {"labforge-hub", "labforge-storage", "labforge-entry", "labforge-backups"}
    assert all(rule["health"] == "ok" for g in groups.values() for rule in g["rules"])
    alerts = watched.get("/api/v1/alerts")["data"]["alerts"]
    firing = {a["labels"]["alertname"] for a in alerts}
    assert not firing & {"LabHubDown", "LabBackupTargetUnreachable", "LabBackupsUnwatched"}, firing
    # the hub target was never backed up in this repository: its age alert fires, the others' do not
    wait_until(lambda: any(a["labels"]["alertname"] == "LabBackupTooOld" for a in
                           watched.get("/api/v1/alerts")["data"]["alerts"]), "the backup age alert", 30)
    late = {a["labels"].get("target") for a in watched.get("/api/v1/alerts")["data"]["alerts"]
            if a["labels"]["alertname"] == "LabBackupTooOld"}
    assert late == {"hub"}
