"""Renderers: golden files, determinism, lint, and what each file must say."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from labforge.core.atomic import write_tree
from labforge.inputs.project import Project
from labforge.inputs.releases import require_release
from labforge.render.release import render_release
from tests.helpers.project import REPO, hadolint, rendered

GOLDEN = REPO / "tests" / "golden"
RELEASES = ["2026.05", "2026.11", "experimental"]


def test_matches_golden_files():
    files = rendered("2026.11")
    target = GOLDEN / "2026.11"
    if os.environ.get("LABFORGE_UPDATE_GOLDEN"):
        shutil.rmtree(target, ignore_errors=True)
        for rel, data in files.items():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            (target / rel).write_bytes(data)
    expected = {str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert sorted(files) == sorted(expected), "set of rendered files changed (make golden to accept)"
    for rel in files:
        assert files[rel] == expected[rel], f"{rel} differs from tests/golden (make golden to accept)"


@pytest.mark.parametrize("release_id", RELEASES)
def test_byte_identical_across_runs_and_locations(release_id, project, tmp_path):
    first = rendered(release_id)
    again = rendered(release_id, root=project)  # a copy elsewhere on disk
    assert first == again
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    p = Project(REPO)
    render_release(p, require_release(p, release_id), out_a)
    render_release(p, require_release(p, release_id), out_b)
    for rel, data in first.items():
        assert (out_a / rel).read_bytes() == data == (out_b / rel).read_bytes()


def test_rerender_replaces_stale_files(tmp_path):
    p = Project(REPO)
    out = tmp_path / "out"
    write_tree(out, {"stale.txt": b"from an older render"})
    render_release(p, require_release(p, "2026.11"), out)
    assert not (out / "stale.txt").exists()
    assert (out / "kernel" / "launch.sh").stat().st_mode & 0o111


@pytest.mark.parametrize("release_id", RELEASES)
@pytest.mark.parametrize("with_spack", [True, False])
def test_containerfile_passes_hadolint(release_id, with_spack, tmp_path):
    proc = hadolint(rendered(release_id, with_spack)["Containerfile"].decode(), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("release_id", RELEASES)
def test_yaml_and_json_outputs_load(release_id):
    files = rendered(release_id)
    for rel, data in files.items():
        if rel.endswith((".yaml", ".yml")):
            assert yaml.safe_load(data) is not None, rel
        if rel.endswith(".json"):
            json.loads(data)


def test_spack_environment_has_every_tool_version_and_defaults():
    env = yaml.safe_load(rendered("2026.11")["spack.yaml"])["spack"]
    manifest = yaml.safe_load((REPO / "releases" / "2026.11.yaml").read_text())
    expected = sum(len(t["versions"]) for t in manifest["tools"])
    assert len(env["specs"]) == expected
    assert "nest@2.20.1 +python +gsl ~mpi +openmp" in env["specs"]
    assert "nest@3.0 +python +gsl ~mpi +openmp" in env["specs"]
    assert env["concretizer"]["unify"] == "when_possible"
    assert env["repos"] == ["/opt/labforge/spack-repo"]
    assert env["config"]["install_tree"]["root"] == "/opt/software"
    lmod = env["modules"]["default"]["lmod"]
    assert env["modules"]["default"]["enable"] == ["lmod"]
    assert lmod["projections"]["all"] == "{name}/{version}"
    assert lmod["hash_length"] == 0 and lmod["hide_implicits"] is True
    defaults = lmod["defaults"]
    assert "nest@3.0 +python +gsl ~mpi +openmp" in defaults
    assert not any(d.startswith("nest@2.20.1") for d in defaults)
    assert len(defaults) == len(manifest["tools"])
    assert env["packages"]["python"]["externals"][0]["spec"].startswith("python@3.11")


def test_custom_recipes_travel_with_the_build_context():
    files = rendered("2026.11")
    assert files["spack-repo/repo.yaml"] == (REPO / "spack" / "repo.yaml").read_bytes()
    assert "spack-repo/packages/py-spikeutils/package.py" in files
    assert not any(k.startswith("spack-repo/packages/nest") for k in files)


def test_containerfile_stages_user_labels_and_release():
    text = rendered("2026.11")["Containerfile"].decode()
    assert "FROM ${BASE_IMAGE} AS base" in text
    assert "FROM base AS spack-build" in text and "FROM base AS runtime" in text
    assert "sh /opt/labforge/spack-stage.sh" in text and "concretize" not in text
    assert "COPY --from=spack-build /opt/labforge/layers/nest-3.0-kl7hv4o/ /" in text
    assert "COPY --from=spack-build /opt/software/modules /opt/software/modules" in text
    assert "COPY spack.yaml spack.lock /opt/spack-environment/" in text
    stage = rendered("2026.11")["spack-stage.sh"].decode()
    assert 'spack -e "$ENV" python /opt/labforge/spack-install.py "$mode"' in stage
    assert "concretize" not in stage.replace("without concretizing", "")
    assert "gc -y" in stage and "module lmod refresh" in stage and "strip" in stage
    assert "USER 1000:1000" in text and "sudo" not in text
    for label in ("org.opencontainers.image.version=\"2026.11\"", "name=\"lab-2026.11\"",
                  "version=\"2026.11\"", "authorization=", "org.labforge.input-digest=\"sha256:"):
        assert label in text
    assert "LAB_RELEASE=2026.11" in text
    assert text.rstrip().endswith('CMD ["jupyterhub-singleuser"]')
    # the notebook server pins
    reqs = rendered("2026.11")["requirements.txt"].decode().split()
    assert "jupyterlmod==5.3.2" in reqs and "ipywidgets==8.1.7" in reqs and reqs == sorted(reqs, key=str.lower)


def test_no_spack_variant_skips_the_stage_and_says_so():
    files = rendered("2026.11", with_spack=False)
    text = files["Containerfile"].decode()
    assert "spack-build" not in text and "spack install" not in text
    assert 'org.labforge.spack-stage="skipped"' in text
    assert b"module load" not in files["kernel/launch.sh"]
    assert json.loads(files["release.json"])["with_spack"] is False
    assert json.loads(files["release.json"])["input_digest"] != json.loads(rendered("2026.11")["release.json"])["input_digest"]


def test_apptainer_definition_fixes_spython_gaps():
    text = rendered("2026.11")["labforge.def"].decode()
    assert "su -" not in text and "--mount=" not in text and "SHELL [" not in text
    assert "From: base" not in text  # stages bootstrap from the real base image
    assert text.count("Bootstrap: docker") == 2 and "Stage: spack-build" in text and "Stage: runtime" in text
    assert "%files from spack-build" in text
    assert "\nname lab-2026.11\n" in text  # labels as "key value"
    assert 'exec tini -g -- jupyterhub-singleuser "$@"' in text
    assert "export DEBIAN_FRONTEND=noninteractive" in text


def test_kernel_spec_is_stable_and_loads_defaults():
    files = rendered("2026.11")
    spec = json.loads(files["kernel/kernel.json"])
    assert spec["argv"] == ["/opt/venv/share/jupyter/kernels/lab-2026.11/launch.sh", "-f", "{connection_file}"]
    assert spec["display_name"] == "Lab 2026.11" and spec["language"] == "python"
    launch = files["kernel/launch.sh"].decode()
    assert launch.startswith("#!/bin/bash")
    assert "for tool in nest/3.0 neuron/8.2.3 arbor/0.9.0" in launch
    assert "nest/2.20.1" not in launch
    # the defaults load unless the user chose a version already (Lmod's LOADEDMODULES)
    fake = launch.replace("source /usr/share/lmod/lmod/init/bash", 'module() { echo "module $*"; }') \
                 .replace("exec ", "# exec ")
    ran = subprocess.run(["bash", "-c", fake], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "LOADEDMODULES": "nest/2.20.1:py-numpy/2.2.6"})
    assert ran.stdout.split() == ["module", "load", "neuron/8.2.3", "arbor/0.9.0", "py-neo/0.12.0",
                                  "py-elephant/0.14.0", "py-spikeutils/0.4.0"]
    exp = json.loads(rendered("experimental")["kernel/kernel.json"])
    assert exp["display_name"] == "Lab experimental (latest build)"
    assert "lab-experimental" in exp["argv"][0]


def digest_of(project: Path, with_spack: bool) -> str:
    return json.loads(rendered("2026.11", with_spack, root=project)["release.json"])["input_digest"]


def test_input_digest_changes_with_any_input(project):
    before = digest_of(project, False)
    package = project / "spack" / "packages" / "py-spikeutils" / "package.py"
    package.write_text(package.read_text() + "\n# touched\n")
    after_recipe = digest_of(project, False)
    template = project / "images" / "notebook" / "templates" / "Containerfile.j2"
    template.write_text(template.read_text() + "\n")
    after_template = digest_of(project, False)
    assert len({before, after_recipe, after_template}) == 3
    # a tool the release does not use does not change its digest
    (project / "spack" / "tools" / "unused.yaml").write_text("name: unused\n")
    assert digest_of(project, False) == after_template


def test_the_lock_is_an_input_of_builds_with_tools_only(project):
    with_tools, without = digest_of(project, True), digest_of(project, False)
    lock = project / "releases" / "2026.11.lock.json"
    data = json.loads(lock.read_text())
    data["labforge"]["spack_commit"] = "0" * 40  # provenance only: the lock stays current
    lock.write_text(json.dumps(data))
    assert digest_of(project, True) != with_tools and digest_of(project, False) == without


def test_notebook_server_dependencies_are_pinned_and_direct_pins_win():
    files = rendered("2026.11")
    constraints = files["constraints.txt"].decode().splitlines()
    assert any(line.startswith("charset-normalizer==") or line.startswith("charset_normalizer==")
               for line in constraints)  # a dependency no one pins directly
    direct = {line.split("==")[0].lower() for line in files["requirements.txt"].decode().split()}
    assert not [line for line in constraints if line.split("==")[0].lower() in direct]
    # every pinned package is installed exactly, in the server's layers, each pin once
    containerfile = files["Containerfile"].decode()
    installed = re.findall(r"pip install --no-cache-dir --no-deps ([^\\]+?) \\", containerfile)
    pins = [pin for line in installed for pin in line.split()]
    expected = [line for line in constraints + files["requirements.txt"].decode().split() if "==" in line]
    assert sorted(pins) == sorted(expected) and "pip check" in containerfile


def test_server_layers_keep_each_package_in_its_layer_across_releases():
    """A one-pin change rewrites one layer: the direct pins and heavy packages are alone, the
    rest hashed by name (a new version of a package never moves it)."""
    from labforge.render.serverlayers import MAX_LAYERS, plan_server_layers

    constraints = "".join(f"dep{i}==1.{i}\n" for i in range(60)) + "babel==2.18.0\n"
    before = plan_server_layers("jupyterlab==4.6.6\nipykernel==7.4.0\n", constraints)
    after = plan_server_layers("jupyterlab==4.6.6\nipykernel==7.4.0\n", constraints.replace("dep7==1.7", "dep7==9"))
    assert len(before) <= MAX_LAYERS and {layer.name for layer in before} >= {"jupyterlab", "ipykernel", "babel"}
    changed = [a for a, b in zip(after, before) if a != b]
    assert len(after) == len(before) and len(changed) == 1 and "dep7==9" in changed[0].pins
    assert all(not layer.with_deps for layer in before)
    # without a server lock: one layer, pip resolves (release validate reports the missing lock)
    assert [layer.with_deps for layer in plan_server_layers("jupyterlab==4.6.6\n", "# none\n")] == [True]


def test_stale_or_missing_server_pins_are_reported(cli, project):
    settings = project / "labforge.yaml"
    settings.write_text(settings.read_text().replace("ipykernel==7.4.0", "ipykernel==7.3.0"))
    stale = cli(project, "release", "validate")
    assert stale.code == 1 and "images/notebook/runtime.constraints.txt" in stale.stderr
    assert "stale" in stale.stderr and "labforge runtime lock" in stale.stderr
    (project / "images" / "notebook" / "runtime.constraints.txt").unlink()
    missing = cli(project, "release", "validate")
    assert missing.code == 1 and "not pinned" in missing.stderr
    assert cli(project, "release", "render", "2026.11", "--no-spack", "--out", str(project / "out")).code == 0


def test_the_lab_opens_on_the_release_kernel_without_prompts():
    """The server's default kernel is the release's; JupyterLab starts it for a new notebook
    without a "Select Kernel" dialog and shows no news prompt (the browser suite checks it live)."""
    files = rendered("2026.11")
    config = json.loads(files["jupyter_config.json"])
    assert config["MultiKernelManager"]["default_kernel_name"] == "lab-2026.11"
    assert config["KernelSpecManager"]["ensure_native_kernel"] is False
    lab = json.loads(files["lab-overrides.json"])
    assert lab["@jupyterlab/notebook-extension:tracker"]["autoStartDefaultKernel"] is True
    assert lab["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert b"/share/jupyter/lab/settings/overrides.json" in files["Containerfile"]
