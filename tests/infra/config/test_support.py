"""No component past its support window: docs/support.md lists every chart, image, Kubernetes minor
and base the plan deploys (every stack the chart tests render), each with the day upstream stops
fixing it; a day that has passed, or anything deployed and not listed, fails here."""

from __future__ import annotations

import datetime as dt
import functools
import re

import pytest

from infra.config.versions import KUBERNETES_VERSIONS, minor
from infra.offline.charts import rendered_releases
from labforge.inputs.platforms import PLATFORMS
from tests.helpers.project import REPO
from tests.helpers.stack import copies_missing, simulate
from tests.infra.offline.test_charts import SECRETS, STACKS

TABLE = REPO / "docs" / "support.md"
ROW = re.compile(r"^\| (kubernetes|chart|image|base) \| (\S+) \| (\S+) \| ([0-9]{4}-[0-9]{2}-[0-9]{2}) \| (.+?) \| "
                 r"(https://\S+) \|$", re.ASCII)
SITE_IMAGES = ("harbor.lab.example.org/",)  # the lab's own: notebook images, the hub check's image


def rows() -> dict[tuple[str, str, str], dt.date]:
    found = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith(("| kubernetes", "| chart", "| image", "| base")):
            match = ROW.match(line)
            assert match, f"docs/support.md: a row that is not `| kind | name | version | end | rule | source |`: {line}"
            found[match.group(1), match.group(2), match.group(3)] = dt.date.fromisoformat(match.group(4))
    return found


def images_in(obj, found: set) -> set:
    if isinstance(obj, dict):
        for key in ("containers", "initContainers"):
            found |= {c["image"] for c in obj.get(key) or [] if isinstance(c, dict) and isinstance(c.get("image"), str)}
        for value in obj.values():
            images_in(value, found)
    elif isinstance(obj, list):
        for value in obj:
            images_in(value, found)
    return found


@functools.cache
def deployed() -> set[tuple[str, str, str]]:
    """(kind, name, version) of everything the plans of every test stack deploy."""
    found = {("kubernetes", "kubernetes", f"1.{n}") for n in range(minor(KUBERNETES_VERSIONS[0]),
                                                                    minor(KUBERNETES_VERSIONS[1]) + 1)}
    found |= {("base", "debian", suite) for suite in PLATFORMS}
    images = set()
    for make in STACKS.values():
        records, _ = simulate(make(), SECRETS)
        for record in records:
            if record.type == "kubernetes:helm.sh/v3:Release":
                found.add(("chart", record.inputs["chart"], record.inputs["version"]))
            else:
                images_in(record.inputs, images)
        for chart in rendered_releases(records)[0]:
            for obj in chart.objects:
                images_in(obj, images)
    for image in images:
        if not image.startswith(SITE_IMAGES):
            name, _, version = image.split("@")[0].rpartition(":")
            found.add(("image", name, version))
    return found


@pytest.mark.skipif(bool(copies_missing()), reason=copies_missing() or "")
def test_everything_the_plan_deploys_is_in_the_table():
    missing = sorted(deployed() - set(rows()))
    assert missing == [], f"deployed but not in docs/support.md (add a row with its end of support): {missing}"


def test_no_support_window_has_ended():
    today = dt.date.today()
    ended = sorted(f"{kind} {name} {version} ({end})" for (kind, name, version), end in rows().items() if end < today)
    assert ended == [], f"past their support window: upgrade them (runbook 'Upgrade the lab'): {ended}"


def test_the_table_parses_and_each_row_is_unique():
    lines = [line for line in TABLE.read_text().splitlines() if line.startswith(("| kubernetes", "| chart",
                                                                                  "| image", "| base"))]
    assert len(rows()) == len(lines) > 40
