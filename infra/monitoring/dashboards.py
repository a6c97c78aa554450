"""The lab's Grafana dashboards, as code (Grafana's foundation SDK): the hub, the releases users
run, storage and backups, builds. Provisioned by the Grafana chart (component.py); every query is
run against a real Prometheus in tests/hubcheck/test_monitoring.py and must return series."""

from __future__ import annotations

import json

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")

# (title, panel kind, [(query, legend)], unit): one row per panel, in the order they show.
HUB = [
    ("Running servers", "timeseries", [("jupyterhub_running_servers", "servers")], "short"),
    ("Active users", "stat", [('jupyterhub_active_users{period="24h"}', "last 24 h"),
                              ('jupyterhub_active_users{period="7d"}', "last 7 days")], "short"),
    ("Server starts by outcome (1 h)", "timeseries",
     [("sum by (status) (increase(jupyterhub_server_spawn_duration_seconds_count[1h]))", "{{status}}")], "short"),
    ("Time to a running server", "timeseries",
     [('histogram_quantile(0.5, sum by (le) (rate(jupyterhub_server_spawn_duration_seconds_bucket'
       '{status="success"}[1h])))', "median"),
      ('histogram_quantile(0.9, sum by (le) (rate(jupyterhub_server_spawn_duration_seconds_bucket'
       '{status="success"}[1h])))', "90th percentile")], "s"),
    ("Hub requests by code", "timeseries",
     [("sum by (code) (rate(jupyterhub_request_duration_seconds_count[5m]))", "{{code}}")], "reqps"),
]
RELEASES = [
    ("Servers per release and image", "table",
     [("sum by (release, image) (labforge_servers)", "{{release}} {{image}}")], "short"),
    ("Running servers per release", "timeseries",
     [('sum by (release) (labforge_servers{state="running"})', "{{release}}")], "short"),
    ("Hub check: each release", "stat", [("min by (release) (labforge_hub_check_ok)", "{{release}}")], "bool_yes_no"),
    ("Hub check: time per release", "timeseries", [("labforge_hub_check_seconds", "{{release}}")], "s"),
    ("Since the last hub check", "stat", [("time() - max(labforge_hub_check_last_run_timestamp_seconds)", "age")], "s"),
]
STORAGE = [
    ("Drive used", "stat", [("labforge_drive_size_bytes - labforge_drive_free_bytes", "used"),
                            ("labforge_drive_size_bytes", "size")], "bytes"),
    ("Drive used (share)", "timeseries", [("1 - labforge_drive_free_bytes / labforge_drive_size_bytes", "Drive")],
     "percentunit"),
    ("Age of the newest backup", "timeseries",
     [("time() - labforge_backup_newest_snapshot_timestamp_seconds", "{{target}}"),
      ("labforge_backup_allowed_age_seconds", "{{target}} allowed")], "s"),
    ("Backups kept", "stat", [("labforge_backup_snapshots", "{{target}}")], "short"),
    ("Backup repository reachable", "stat", [("labforge_backup_repository_up", "repository")], "bool_yes_no"),
]
BUILDS = [
    ("Build cache: packages per build", "timeseries", [("labforge_build_packages", "{{release}} {{source}}")],
     "short"),
    ("Build cache hits (share)", "stat",
     [('sum(labforge_build_packages{source="cache"}) / clamp_min(sum(labforge_build_packages), 1)', "from the cache")],
     "percentunit"),
]
DASHBOARDS = {"labforge-hub": ("Lab: hub", HUB), "labforge-releases": ("Lab: releases", RELEASES),
              "labforge-storage": ("Lab: storage and backups", STORAGE), "labforge-builds": ("Lab: builds", BUILDS)}
PANELS = {"timeseries": timeseries.Panel, "stat": stat.Panel, "table": table.Panel}


def build(uid: str) -> dict:
    title, panels = DASHBOARDS[uid]
    board = (dashboard.Dashboard(title).uid(uid).tags(["labforge"]).refresh("1m").time("now-24h", "now")
             .timezone("browser").editable())
    for index, (name, kind, queries, unit) in enumerate(panels):
        panel = PANELS[kind]().title(name).datasource(DATASOURCE).unit(unit).grid_pos(_grid(index))
        for ref, (query, legend) in zip("ABCDEFGH", queries):
            panel = panel.with_target(prometheus.Dataquery().expr(query).legend_format(legend).ref_id(ref))
        board = board.with_panel(panel)
    return json.loads(JSONEncoder(sort_keys=True).encode(board.build()))


def _grid(index: int):
    from grafana_foundation_sdk.models.dashboard import GridPos

    return GridPos(h=8, w=12, x=12 * (index % 2), y=8 * (index // 2))


def all_dashboards() -> dict[str, dict]:
    return {uid: build(uid) for uid in sorted(DASHBOARDS)}


def queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel, query) of every panel: what the test runs against a real Prometheus."""
    return [(uid, name, query) for uid, (_, panels) in sorted(DASHBOARDS.items())
            for name, _, targets, _ in panels for query, _ in targets]
