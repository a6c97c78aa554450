"""Locks, staleness, package-level diffs and the layer plan -- all without spack, on the committed
lock of release 2026.11 (made with spack 1.1 and spack-packages v2025.11.0) and variants of it."""

from __future__ import annotations

import json

import pytest

from labforge.core.errors import LabforgeError
from labforge.locks.layers import OTHER_LAYERS, bucket, plan_layers
from labforge.locks.lockfile import Lock, load_lock, lock_path
from labforge.locks.package_diff import package_changes, package_section
from tests.helpers.locks import with_new_tool_version
from tests.helpers.project import REPO

LOCK_2026_11 = lock_path(REPO / "releases", "2026.11")


@pytest.fixture(scope="module")
def lock() -> Lock:
    loaded = load_lock(LOCK_2026_11, "releases/2026.11.lock.json")
    assert loaded is not None
    return loaded


# --- reading ------------------------------------------------------------------------------

def test_committed_lock_reads_with_its_provenance(lock):
    assert len(lock.nodes) >= 90 and len(lock.roots) == 10
    assert {"nest@2.20.1", "nest@3.0"} <= {spec.split("+")[0].split("~")[0] for spec, _ in lock.roots}
    assert lock.made_from["spack"] == "v1.1.0" and lock.made_from["spack_packages"] == "v2025.11.0"
    assert lock.made_from["environment"].startswith("sha256:")
    assert set(lock.spack) == {"_meta", "spack", "roots", "concrete_specs"}


def test_runtime_closure_drops_build_tools_and_externals(lock):
    installed = {lock.nodes[h].name for h in lock.runtime_closure()}
    every = {n.name for n in lock.nodes.values()}
    assert "cmake" in every and "cmake" not in installed  # a build dependency only
    assert not installed & {"gcc", "python", "glibc"}  # externals: the OS's
    assert {"nest", "neuron", "arbor", "py-spikeutils"} <= installed


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON"),
    (b"[]", "not a spack lockfile"),
    (json.dumps({"_meta": {"lockfile-version": 4}, "spack": {}, "roots": [], "concrete_specs": {}}).encode(),
     "lockfile version other than 6"),
    (json.dumps({"_meta": {"lockfile-version": 6}, "spack": {}, "roots": [{"x": 1}], "concrete_specs": {}}).encode(),
     "malformed node"),
])
def test_broken_locks_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "x.lock.json"
    path.write_bytes(content)
    with pytest.raises(LabforgeError, match=message) as info:
        load_lock(path, "releases/x.lock.json")
    assert "releases/x.lock.json" in str(info.value)


# --- staleness ----------------------------------------------------------------------------

def test_committed_locks_are_current(cli):
    result = cli(REPO, "release", "validate")
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("change, reason", [
    (("releases/2026.11.yaml", '["0.9.0"]', '["0.8.1", "0.9.0"]\n  default: "0.9.0"'), "spack environment changed"),
    (("spack/tools/nest.yaml", "+python +gsl ~mpi +openmp\n- version: \"3.0\"", "+python +gsl ~mpi ~openmp\n- version: \"3.0\""),
     "spack environment changed"),
    (("labforge.yaml", "target: x86_64_v2", "target: x86_64_v3"), "spack environment changed"),
    (("spack/packages/py-spikeutils/package.py", "class PySpikeutils", "# a comment\nclass PySpikeutils"),
     "own spack recipes"),
    (("labforge.yaml", "packages_version: v2025.11.0", "packages_version: v2026.02.0"), "spack-packages version"),
])
def test_stale_lock_is_reported_with_the_fix(cli, project, change, reason):
    rel, old, new = change
    path = project / rel
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    result = cli(project, "release", "validate", "2026.11")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "releases/2026.11.lock.json" in result.stderr and "stale" in result.stderr and reason in result.stderr
    assert "labforge release lock 2026.11" in result.stderr
    render = cli(project, "release", "render", "2026.11", "--out", str(project / "out"))
    assert render.code == 1 and "stale" in render.stderr and not (project / "out").exists()
    assert cli(project, "release", "render", "2026.11", "--no-spack", "--out", str(project / "out")).code == 0


def test_a_comment_in_the_environment_does_not_make_it_stale(cli, project):
    path = project / "images/builder/templates/spack.yaml.j2"
    path.write_text(path.read_text().replace("  view: false\n", "  # a note for people\n  view: false\n"))
    assert cli(project, "release", "validate", "2026.11").code == 0


def test_missing_lock_names_the_command(cli, project):
    (project / "releases" / "2026.11.lock.json").unlink()
    result = cli(project, "release", "validate")
    assert result.code == 1
    assert "release 2026.11 has tools but no lock" in result.stderr
    assert "labforge release lock 2026.11" in result.stderr and "--no-spack" in result.stderr


# --- package-level diff -------------------------------------------------------------------

def test_package_diff_between_committed_releases(cli):
    result = cli(REPO, "release", "diff", "2026.05", "2026.11")
    assert result.code == 0, result.stderr
    text = result.stdout
    assert "## Packages" in text and "Installed packages:" in text
    assert "### Packages changed" in text and "`py-numpy`" in text


def test_package_diff_names_added_and_changed(lock):
    bigger = with_new_tool_version(lock, "arbor", "0.10.0", new_deps=2)
    changes = package_changes(lock, bigger)
    assert [line.split("`")[1] for line in changes["Packages added"]] == ["arbor-extra0", "arbor-extra1"]
    assert [line for line in changes["Packages changed"] if "`arbor`" in line and "0.10.0" in line]
    assert not changes["Packages removed"]
    assert package_section(lock, None)[2].startswith("Not compared")


# --- layer plan ---------------------------------------------------------------------------

def test_every_package_its_own_layer_while_they_fit(lock):
    layers = plan_layers(lock, 100)
    installed = lock.runtime_closure()
    assert len(layers) == len(installed) <= 100 - OTHER_LAYERS
    assert sorted(h for layer in layers for h in layer.hashes) == sorted(installed)
    assert plan_layers(lock, 100) == layers  # stable


@pytest.mark.parametrize("max_layers", [48, 64, 100])
def test_buckets_keep_under_the_limit_and_never_split_a_package(lock, max_layers):
    layers = plan_layers(lock, max_layers)
    assert len(layers) <= max_layers - OTHER_LAYERS
    placed = [h for layer in layers for h in layer.hashes]
    assert sorted(placed) == sorted(lock.runtime_closure())  # each package exactly once


@pytest.mark.parametrize("max_layers", [48, 100])
def test_one_new_tool_version_touches_only_the_layers_of_its_packages(lock, max_layers):
    before = {layer.name: layer.hashes for layer in plan_layers(lock, max_layers)}
    bigger = with_new_tool_version(lock, "nest", "3.1", new_deps=3)
    after = {layer.name: layer.hashes for layer in plan_layers(bigger, max_layers)}
    new_hashes = set(bigger.runtime_closure()) - set(lock.runtime_closure())
    changed = {name for name in after if before.get(name) != after[name]}
    assert changed == {name for name, hashes in after.items() if set(hashes) & new_hashes}
    assert len(changed) <= len(new_hashes) == 4
    assert all(after.get(name) == hashes for name, hashes in before.items() if name not in changed)


def test_bucket_depends_on_the_package_alone():
    assert bucket("abcdefghijklmnopqrstuvwxyz234567", 84) == bucket("abcdefghijklmnopqrstuvwxyz234567", 84)
    spread = {bucket(f"{i:032d}", 84) for i in range(400)}
    assert len(spread) > 70  # packages spread over the buckets
