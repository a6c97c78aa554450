"""Marks for the tests that need a real spack, and the image builds that use it."""

from __future__ import annotations

import os
import shutil

import pytest

SPACK_ROOT = os.environ.get("SPACK_ROOT")

needs_spack = [pytest.mark.spack,
               pytest.mark.skipif(not SPACK_ROOT, reason="SPACK_ROOT is not set: these checks need a spack checkout")]
IMAGE_BUILDS = [
    pytest.mark.skipif(not os.environ.get("LABFORGE_SPACK_IMAGE"),
                       reason="needs LABFORGE_SPACK_IMAGE=1 (spack stage builds take minutes and fetch sources "
                              "from PyPI)"),
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("buildah"), reason="image builds need root and buildah"),
]
needs_spack_images = needs_spack + IMAGE_BUILDS


def builds_images(test):
    """For one test of a module marked needs_spack: it builds images with the spack stage."""
    for mark in IMAGE_BUILDS:
        test = mark(test)
    return test
