"""Batch tool images, rendered: one Batchfile stage per tool version with a command, sharing the
notebook image's build stages, apt layer and package layers; lint; the entrypoint run for real."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labforge.inputs.project import Project
from labforge.inputs.releases import require_release
from labforge.locks.layers import plan_layers
from labforge.locks.lockfile import release_lock
from labforge.render.batch import BATCHFILE, ENTRYPOINT, batch_images, root_hashes
from labforge.render.release import render_files
from tests.helpers.project import REPO, hadolint


def rendered(release_id: str = "2026.11") -> dict[str, str]:
    project = Project(REPO)
    files = render_files(project, require_release(project, release_id))[0]
    return {k: v.decode() for k, v in files.items() if k in ("Containerfile", BATCHFILE, ENTRYPOINT)}


def stages(text: str) -> dict[str, str]:
    """Stage name -> its instructions, as written."""
    parts = re.split(r"^FROM \S+ AS (\S+)\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def copied_layers(stage_text: str) -> list[str]:
    return re.findall(r"^COPY --from=spack-build /opt/labforge/layers/([^/]+)/ /$", stage_text, flags=re.M)


@pytest.fixture(scope="module")
def files():
    return rendered()


@pytest.fixture(scope="module")
def plan():
    project = Project(REPO)
    loaded = require_release(project, "2026.11")
    lock = release_lock(project, "2026.11")
    layers = plan_layers(lock, project.settings.build.max_layers)
    return loaded, lock, layers


def test_one_stage_per_tool_version_with_a_command(files, plan):
    batch = stages(files[BATCHFILE])
    assert sorted(s for s in batch if s.startswith("batch-")) == [
        "batch-nest-2-20-1", "batch-nest-3-0", "batch-neuron-8-1-0", "batch-neuron-8-2-3"]
    images, notes = batch_images(*plan)
    assert [i.local_reference() for i in images][:1] == ["localhost/labforge/tools/nest:2.20.1-2026.11"]
    assert "arbor: no batch image (no `command` in spack/tools/arbor.yaml)" in notes
    assert len(notes) == 5  # arbor and the four Python libraries


def test_build_stages_and_apt_layer_are_the_notebook_images_own(files):
    notebook, batch = stages(files["Containerfile"]), stages(files[BATCHFILE])
    assert batch["spack-build"] == notebook["spack-build"]
    assert batch["base"] == notebook["base"]
    apt = notebook["runtime"].split("# The notebook server:")[0]
    for name, text in batch.items():
        if name.startswith("batch-"):
            assert text.startswith(apt), name


def test_each_image_copies_exactly_the_layers_of_its_closure(files, plan):
    loaded, lock, layers = plan
    notebook_layers = copied_layers(stages(files["Containerfile"])["runtime"])
    roots = root_hashes(lock)
    by_hash = {h: layer.name for layer in layers for h in layer.hashes}
    for image in batch_images(*plan)[0]:
        copied = copied_layers(stages(files[BATCHFILE])[image.stage])
        closure = lock.runtime_closure([roots[(image.package, image.version)]])
        assert set(copied) == {by_hash[h] for h in closure}, image.stage
        assert set(copied) < set(notebook_layers)
        # in the notebook image's order, so shared layers line up
        assert copied == [name for name in notebook_layers if name in copied]
    nest3, nest2 = (next(i for i in batch_images(*plan)[0] if i.module == m) for m in ("nest/3.0", "nest/2.20.1"))
    assert {l.name for l in nest3.layers} != {l.name for l in nest2.layers}


def test_images_are_non_interactive_unprivileged_and_labelled(files):
    text = stages(files[BATCHFILE])["batch-nest-3-0"]
    assert "jupyter" not in text.lower() and "/opt/venv" not in text
    assert 'ENTRYPOINT ["tini", "-g", "--", "/opt/labforge/tool-entrypoint"]' in text
    assert "USER 1000:1000" in text and "sudo" not in text
    assert "install -d -o root -g root -m 0555 /home/jovyan/datasets" in text
    for label in ('name="nest"', 'version="3.0"', "authorization=", "org.opencontainers.image.title=",
                  "org.opencontainers.image.version=", 'org.labforge.kind="batch-tool"'):
        assert label in text
    assert "LAB_TOOL_MODULE=nest/3.0" in text and 'LAB_TOOL_COMMAND="nest"' in text


def test_batchfile_passes_hadolint(files, tmp_path):
    proc = hadolint(files[BATCHFILE], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is installed by 'make test'")
def test_entrypoint_passes_shellcheck(files, tmp_path):
    path = tmp_path / ENTRYPOINT
    path.write_text(files[ENTRYPOINT])
    proc = subprocess.run(["shellcheck", "--severity=style", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.skipif(not Path("/usr/share/lmod/lmod/init/bash").exists(), reason="Lmod is installed by 'make test'")
@pytest.mark.parametrize("loads", [True, False])
def test_entrypoint_loads_the_module_then_runs_the_command(files, tmp_path, loads):
    """With the host's Lmod and a one-module tree: the command sees the module's environment
    and the container's arguments, word for word."""
    (tmp_path / "bin").mkdir()
    tool = tmp_path / "bin" / "faketool"
    tool.write_text('#!/bin/sh\necho "loaded=$FAKETOOL_LOADED args:"; for a in "$@"; do echo "[$a]"; done\n')
    tool.chmod(0o755)
    (tmp_path / "modules" / "faketool").mkdir(parents=True)
    (tmp_path / "modules" / "faketool" / "1.0.lua").write_text(
        f'prepend_path("PATH", "{tmp_path}/bin")\nsetenv("FAKETOOL_LOADED", "yes")\n')
    entry = tmp_path / ENTRYPOINT
    entry.write_text(files[ENTRYPOINT])
    env = {"PATH": "/usr/bin:/bin", "MODULEPATH": str(tmp_path / "modules"), "HOME": str(tmp_path),
           "LMOD_CMD": "/usr/share/lmod/lmod/libexec/lmod", "MODULESHOME": "/usr/share/lmod/lmod",
           "LAB_TOOL_MODULE": "faketool/1.0" if loads else "missing/9.9", "LAB_TOOL_COMMAND": "faketool --fixed"}
    result = subprocess.run(["bash", str(entry), "--input", "/in/a b.txt", "--output=/out"], env=env,
                            capture_output=True, text=True)
    if loads:
        assert result.returncode == 0, result.stderr
        assert result.stdout.split("\n")[:5] == ["loaded=yes args:", "[--fixed]", "[--input]", "[/in/a b.txt]",
                                                 "[--output=/out]"]
    else:
        assert result.returncode == 127 and "cannot load module missing/9.9" in result.stderr


def test_bad_command_is_refused_with_its_field(tmp_path, cli, project):
    path = project / "spack" / "tools" / "nest.yaml"
    path.write_text(path.read_text().replace("command: nest", "command: nest; rm -rf /"))
    result = cli(project, "tool", "check", "nest")
    assert result.code == 1 and "command" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_tools_without_the_spack_stage_are_refused(cli, project):
    result = cli(project, "release", "build", "2026.11", "--tools", "--no-spack")
    assert result.code == 1 and "batch tool images need the tools" in result.stderr
    assert "Traceback" not in result.stderr


def test_catalog_show_prints_the_batch_images(cli, project, tmp_path):
    from labforge.catalog.model import Catalog, CatalogEntry, ToolImage
    from labforge.catalog.store import save_catalog

    entry = CatalogEntry(id="2026.11", channel="stable", image="r.example/lab/notebook", digest="sha256:" + "1" * 64,
                         created="2026-11-01T00:00:00Z", kernel="lab-2026.11")
    tool = ToolImage(tool="nest", version="3.0", release="2026.11", image="r.example/tools/nest",
                     digest="sha256:" + "2" * 64, created="2026-11-01T00:00:00Z", module="nest/3.0", command="nest")
    path = tmp_path / "catalog.json"
    save_catalog(path, Catalog().with_entry(entry).with_tool_images([tool]))
    shown = cli(project, "catalog", "show", "--catalog", str(path))
    assert shown.code == 0 and "batch tool images" in shown.stdout
    assert "r.example/tools/nest" in shown.stdout and "nest ARGS (nest/3.0)" in shown.stdout
    # republishing the release keeps its tool images; a catalog without any has no "tools" key
    assert Catalog().with_entry(entry).with_tool_images([tool]).with_entry(entry).tools == [tool]
    assert '"tools"' not in Catalog().with_entry(entry).to_json()
