"""Shared fixtures: a scratch copy of the project, and running the real CLI in a subprocess
(the helpers themselves are in tests/helpers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.project import copy_project, run_cli


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project to change freely."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def cli():
    return run_cli
