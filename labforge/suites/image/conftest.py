"""Fixtures of the image suite, read from the environment set by `labforge release test`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import testinfra

from labforge.render.record import IN_IMAGE, ReleaseRecord, read_record


def _need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run this suite through 'labforge release test'", returncode=4)
    return value


@pytest.fixture(scope="session")
def rootfs() -> Path:
    return Path(_need("LABFORGE_ROOTFS"))


@pytest.fixture(scope="session")
def host(rootfs):
    # the chroot:// URL form is broken in testinfra; the keyword form works
    return testinfra.get_host(str(rootfs), connection="chroot")


@pytest.fixture(scope="session")
def image_config() -> dict:
    return json.loads(Path(_need("LABFORGE_IMAGE_CONFIG")).read_text())


@pytest.fixture(scope="session")
def release(rootfs) -> ReleaseRecord:
    return read_record(rootfs / IN_IMAGE.lstrip("/").rsplit("/", 1)[0])


@pytest.fixture(scope="session")
def settings() -> dict:
    return json.loads(os.environ.get("LABFORGE_SETTINGS", "{}"))


@pytest.fixture(scope="session")
def extra_ca_files() -> list[Path]:
    return [Path(p) for p in os.environ.get("LABFORGE_BUILD_CA", "").split(os.pathsep) if p]


@pytest.fixture(scope="session")
def spack_built(image_config) -> bool:
    return image_config["Labels"].get("org.labforge.spack-stage") == "built"
