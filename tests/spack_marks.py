"""Marks for the tests that need a real spack, and the image builds that use it."""

from __future__ import annotations

import os
import shutil

import pytest

SPACK_ROOT = os.environ.get("SPACK_ROOT")
HOST_CA = [p for p in ["/etc/ssl/certs/ca-certificates.crt"] if os.path.exists(p)]

needs_spack = [pytest.mark.spack,
               pytest.mark.skipif(not SPACK_ROOT, reason="SPACK_ROOT is not set: these checks need a spack checkout")]
needs_spack_images = needs_spack + [
    pytest.mark.skipif(not os.environ.get("LABFORGE_SPACK_IMAGE"),
                       reason="needs LABFORGE_SPACK_IMAGE=1 (spack stage builds take minutes and fetch sources "
                              "from PyPI)"),
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("buildah"), reason="image builds need root and buildah"),
]
