"""The catalog file: two verbs at the same moment both land (the catalog's lock), a hand-edited
catalog that breaks the catalog's own rules is refused on reading, and a file that is not a
regular file, or too big, is refused by bytes read, not by what stat says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

from labforge.catalog.store import MAX_BYTES, load_catalog
from labforge.core.errors import LabforgeError
from tests.helpers.project import REPO


def verb(project, *args: str) -> subprocess.Popen:
    env = {**os.environ, "LABFORGE_PROJECT": str(project), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "labforge", "catalog", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_verbs_run_at_the_same_moment_are_all_kept(project):
    catalog = project / "releases" / "catalog.json"
    ids = [r["id"] for r in json.loads(catalog.read_text())["releases"] if r["channel"] == "stable"]
    assert len(ids) >= 2
    oldest, newest = sorted(ids)[0], sorted(ids)[-1]
    runs = [verb(project, "deprecate", oldest, "--until", "2099-01-31", "--message", "move on"),
            verb(project, "default", newest)]
    runs += [verb(project, "deprecate", oldest, "--until", "2099-01-31", "--message", "move on") for _ in range(3)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    after = load_catalog(catalog)
    assert after.entry(oldest).status == "deprecated" and after.entry(oldest).deprecation.message == "move on"
    assert after.pinned_default == newest  # the other verb's change is there too: nothing lost
    assert not list(catalog.parent.glob(".catalog.json.*.tmp"))


def retire_the_default(catalog: dict) -> None:
    for release in catalog["releases"]:
        if release.get("default"):
            release.update(status="retired", retirement={"since": "2026-01-01"})


@pytest.mark.parametrize("edit, said", [
    (retire_the_default, "the default must be a supported stable release"),
    (lambda c: c.update(schema=2), "is not the catalog schema this labforge knows"),
    (lambda c: [r.update(status="deprecated", deprecation={"until": "2099-01-01", "use": "2031.01"})
                for r in c["releases"][:1]], "which is not in the catalog"),
])
def test_a_hand_edited_catalog_that_breaks_its_rules_is_refused(project, edit, said):
    catalog = project / "releases" / "catalog.json"
    data = json.loads(catalog.read_text())
    edit(data)
    catalog.write_text(json.dumps(data))
    with pytest.raises(LabforgeError, match=said):
        load_catalog(catalog)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "catalog.json"
    os.mkfifo(fifo)
    done = []
    thread = threading.Thread(target=lambda: done.append(pytest.raises(LabforgeError, load_catalog, fifo)))
    thread.start()
    thread.join(10)
    assert done and "is not a regular file" in str(done[0].value)


def test_a_catalog_is_bounded_by_bytes_read(tmp_path):
    big = tmp_path / "catalog.json"
    with open(big, "wb") as handle:
        handle.write(b" " * (MAX_BYTES + 10))
    with pytest.raises(LabforgeError, match="larger than 16 MiB"):
        load_catalog(big)


def test_the_repository_catalog_keeps_the_rules():
    copy = load_catalog(REPO / "releases" / "catalog.json")
    assert copy.default_entry() is not None and shutil.which("python3")


def test_what_an_image_takes_from_its_base_is_in_its_entry(tmp_path):
    from labforge.catalog.model import Catalog, CatalogEntry
    from labforge.catalog.store import save_catalog

    entry = dict(id="2026.12", channel="stable", image="registry.example/lab/notebook", digest="sha256:" + "2" * 64,
                 created="2026-12-01T00:00:00Z", kernel="lab-2026.12")
    path = tmp_path / "catalog.json"
    save_catalog(path, Catalog().with_entry(CatalogEntry(**entry, provided=["r@4.2.2 at /usr"])))
    assert json.loads(path.read_text())["releases"][0]["provided"] == ["r@4.2.2 at /usr"]
    assert load_catalog(path).releases[0].provided == ["r@4.2.2 at /usr"]
    save_catalog(path, Catalog().with_entry(CatalogEntry(**entry)))
    assert "provided" not in json.loads(path.read_text())["releases"][0]  # catalogs without stay as they were
