"""Evaluate the Pulumi program (under Pulumi's mocks) for a catalog of 50 releases and 100
groups; print the median time. Target (issue 4): under 3 s."""

from __future__ import annotations

import hashlib
import json
import statistics
import tempfile
import time
from pathlib import Path

from infra.offline.simulate import run, stack_file_config
from labforge.catalog.model import Catalog, CatalogEntry
from labforge.catalog.store import save_catalog

REPO = Path(__file__).resolve().parents[1]

RELEASES, GROUPS, RUNS = 50, 100, 5


def big_catalog(path: Path) -> None:
    catalog = Catalog()
    for i in range(RELEASES - 1):
        year, month = 2022 + i // 12, i % 12 + 1
        rid = f"{year}.{month:02d}"
        catalog = catalog.with_entry(CatalogEntry(
            id=rid, channel="stable", image="harbor.lab.example.org/lab/notebook",
            digest="sha256:" + hashlib.sha256(rid.encode()).hexdigest(), created=f"{year}-{month:02d}-01T00:00:00Z",
            kernel=f"lab-{rid}"))
    catalog = catalog.with_entry(CatalogEntry(
        id="experimental", channel="experimental", image="harbor.lab.example.org/lab/notebook",
        digest="sha256:" + hashlib.sha256(b"x").hexdigest(), created="2026-11-20T00:00:00Z", kernel="lab-experimental"))
    save_catalog(path, catalog)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "catalog.json"
        big_catalog(catalog)
        config = stack_file_config(REPO / "Pulumi.dev.yaml")
        hub = json.loads(config["labforge:hub"]) | {"catalog": str(catalog)}
        oidc = json.loads(config["labforge:oidc"]) | {"allowedGroups": [f"group-{i:03d}" for i in range(GROUPS)]}
        config |= {"labforge:hub": json.dumps(hub), "labforge:oidc": json.dumps(oidc)}
        times, count = [], 0
        for _ in range(RUNS):
            start = time.perf_counter()
            records, _ = run(config)
            times.append(time.perf_counter() - start)
            count = len(records)
    median = statistics.median(times)
    print(f"program evaluation, {RELEASES} releases x {GROUPS} groups, {count} resources: median {median:.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f}, {RUNS} runs); target < 3 s: {'met' if median < 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
