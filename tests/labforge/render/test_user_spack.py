"""A release that offers users' own spack environments (environments.spack): its image carries
spack, its recipes and the compilers, a configuration whose upstream is the image's tree, and a
MODULEPATH with the user's environment modules; a release without it carries none of that, and
every spack image carries its tree's database (the upstream's index)."""

from __future__ import annotations

import json
import os
from unittest import mock

import pytest

from tests.helpers.project import copy_project, rendered


@pytest.fixture(scope="module")
def offering(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("user-spack") / "project")
    manifest = root / "releases" / "2026.11.yaml"
    manifest.write_text(manifest.read_text() + "environments:\n  spack: true\n")
    return rendered("2026.11", root=root), rendered("2026.11", root=root)


def test_the_image_carries_spack_and_a_configuration_with_the_release_tree_as_upstream(offering):
    files, again = offering
    assert files == again  # byte-identical
    containerfile = files["Containerfile"].decode()
    for line in ("COPY --from=spack-builder /opt/spack /opt/spack",
                 "COPY --from=spack-builder /opt/spack-packages /opt/spack-packages",
                 "COPY --from=spack-builder /root/.spack/cache /opt/spack-cache",
                 "COPY user-spack.json /opt/labforge/",
                 "MODULEPATH=/opt/software/modules/linux-debian12-x86_64/Core:/home/jovyan/drive/.lab-envs/modules"):
        assert line in containerfile
    runtime = containerfile[containerfile.index("FROM base AS runtime"):]
    assert " gfortran \\" in runtime and " make \\" in runtime  # the compilers, in the notebook image
    config = json.loads(files["user-spack.json"])["spack"]
    assert config["upstreams"] == {"release": {"install_tree": "/opt/software",
                                               "modules": {"lmod": "/opt/software/modules"}}}
    assert config["concretizer"] == {"unify": True, "reuse": True}
    assert "defaults" not in config["modules"]["default"]["lmod"]  # the release's defaults stay its own
    assert config["modules"]["default"]["lmod"]["hierarchy:"] == []  # spack's "::" override, kept
    assert config["packages"]["python"]["buildable"] is False and config["bootstrap"] == {"enable": False}
    assert config["repos"] == {"release0": "/opt/labforge/spack-repo"}


def test_a_release_without_it_has_the_tree_database_and_nothing_else():
    files = rendered("2026.11")
    containerfile = files["Containerfile"].decode()
    assert "user-spack.json" not in files and "/opt/spack-cache" not in containerfile
    assert "COPY --from=spack-build /opt/labforge/upstream/ /opt/software/" in containerfile
    assert ".lab-envs/modules" not in containerfile
    assert "lab_env_spack.py" in files  # lab-env says in one line that this release offers none


def test_the_server_puts_its_groups_environment_modules_on_modulepath_as_it_starts(tmp_path):
    drive = tmp_path / "drive"
    root = copy_project(tmp_path / "project")
    settings = root / "labforge.yaml"
    settings.write_text(settings.read_text().replace("drive: /home/jovyan/drive", f"drive: {drive}"))
    manifest = root / "releases" / "2026.11.yaml"
    manifest.write_text(manifest.read_text() + "environments:\n  spack: true\n")
    config = rendered("2026.11", root=root)["jupyter_server_config.py"].decode()
    groups = drive / "Shared with groups"
    for group, made in (("collab-neuro", True), ("no-envs", False), ("with:colon", True)):
        (groups / group / ".lab-envs").mkdir(parents=True)
        if made:
            (groups / group / ".lab-envs" / "modules").mkdir()
    (groups / "linked").symlink_to(groups / "collab-neuro")  # another name for a folder: not taken
    environ = {"MODULEPATH": "/opt/software/modules/linux-debian12-x86_64/Core"}
    with mock.patch.dict(os.environ, environ, clear=True):
        exec(config, {"get_config": lambda: mock.MagicMock()})
        modulepath = os.environ["MODULEPATH"]
    assert modulepath.split(":") == ["/opt/software/modules/linux-debian12-x86_64/Core",
                                     str(groups / "collab-neuro" / ".lab-envs" / "modules")]


def test_a_release_without_it_leaves_modulepath_alone():
    config = rendered("2026.11")["jupyter_server_config.py"].decode()
    assert "_group_environment_modules" not in config and "Shared with groups" not in config
