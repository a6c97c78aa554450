from __future__ import annotations

import hashlib
import json

import pytest

from infra.config.stack import Resources
from infra.hub.profiles import profile_list
from infra.offline.plan import main as plan_main
from labforge.catalog.model import Catalog, CatalogEntry
from labforge.catalog.store import load_catalog, save_catalog
from labforge.core.errors import LabforgeError


def entry(rid: str, channel: str = "stable", status: str = "supported") -> CatalogEntry:
    return CatalogEntry(id=rid, channel=channel, status=status, image="registry.example/lab/notebook",
                        digest="sha256:" + hashlib.sha256(rid.encode()).hexdigest(),
                        created="2026-11-01T00:00:00Z", kernel=f"lab-{rid}")


def test_newest_stable_release_becomes_the_default():
    catalog = Catalog().with_entry(entry("2026.05")).with_entry(entry("experimental", "experimental"))
    catalog = catalog.with_entry(entry("2026.11"))
    assert [(r.id, r.default) for r in catalog.releases] == [
        ("2026.05", False), ("2026.11", True), ("experimental", False)]
    # republishing an older release does not steal the default
    catalog = catalog.with_entry(entry("2026.05"))
    assert next(r for r in catalog.releases if r.default).id == "2026.11"


def test_profiles_order_and_deprecation():
    """A deprecated release stays offered, marked, below the supported ones; a retired one is gone."""
    catalog = Catalog()
    for e in (entry("2025.05", status="retired"), entry("2025.11", status="deprecated"), entry("2026.05"),
              entry("2026.11"), entry("experimental", "experimental")):
        catalog = catalog.with_entry(e)
    profiles = profile_list(catalog, Resources())
    assert [p["display_name"] for p in profiles] == ["Latest (2026.11)", "Release 2026.05",
                                                     "Release 2025.11 (deprecated)", "Latest build (experimental)"]
    assert [p["default"] for p in profiles] == [True, False, False, False]
    assert profiles[2]["kubespawner_override"]["environment"]["LAB_RELEASE_NOTICE"] == "Release 2025.11 is deprecated."
    assert profiles[0]["kubespawner_override"]["image"] == "registry.example/lab/notebook@" + entry("2026.11").digest


def test_only_experimental_is_default_when_no_stable_release():
    profiles = profile_list(Catalog().with_entry(entry("experimental", "experimental")), Resources())
    assert len(profiles) == 1 and profiles[0]["default"] is True


def test_image_repository_override_keeps_the_digest():
    profiles = profile_list(Catalog().with_entry(entry("2026.11")), Resources(), image_repository="mirror.local/lab/nb")
    assert profiles[0]["kubespawner_override"]["image"] == "mirror.local/lab/nb@" + entry("2026.11").digest


def test_catalog_round_trip_and_errors(tmp_path):
    path = tmp_path / "catalog.json"
    catalog = Catalog().with_entry(entry("2026.11"))
    save_catalog(path, catalog)
    assert load_catalog(path) == catalog
    path.write_text("{not json")
    with pytest.raises(LabforgeError, match="not valid JSON"):
        load_catalog(path)
    path.write_text(json.dumps({"schema": 1, "releases": [{"id": "2026.11"}]}))
    with pytest.raises(LabforgeError, match="releases.0.channel"):
        load_catalog(path)
    bad = entry("2026.11").model_dump(mode="json") | {"digest": "sha256:short"}
    path.write_text(json.dumps({"schema": 1, "releases": [bad]}))
    with pytest.raises(LabforgeError, match="digest"):
        load_catalog(path)


def test_offline_plan_writes_masked_json_and_summary(tmp_path, capsys):
    assert plan_main(["--out", str(tmp_path)]) == 0
    plan = json.loads((tmp_path / "plan.json").read_text())
    text = (tmp_path / "plan.txt").read_text()
    resources = plan["resources"]
    assert any(r["type"] == "kubernetes:helm.sh/v3:Release" and r["name"] == "hub-chart" for r in resources)
    hub = next(r for r in resources if r["name"] == "hub-chart")
    assert hub["inputs"]["values"]["hub"]["config"]["GenericOAuthenticator"]["client_secret"] == "[secret]"
    assert hub["dependencies"] and hub["parent"]
    assert "placeholder" not in (tmp_path / "plan.json").read_text()
    assert "resources to create" in text and "labforge:infra:JupyterHub  hub" in text
    again = tmp_path / "again"
    assert plan_main(["--out", str(again)]) == 0
    assert (again / "plan.json").read_bytes() == (tmp_path / "plan.json").read_bytes()  # same config, same bytes
