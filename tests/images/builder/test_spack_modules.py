"""images/builder/files/spack-modules.py on a module tree shaped as spack 1.1 writes it (hidden
implicit dependencies with hashes in their names), then loaded by the real Lmod: users see their
tools only, and get the same environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.project import REPO

SCRIPT = REPO / "images" / "builder" / "files" / "spack-modules.py"
LMOD = Path("/usr/share/lmod/lmod/init/bash")
pytestmark = pytest.mark.skipif(not LMOD.exists(), reason="Lmod is installed by 'make system' (Debian lmod)")

TREE = {
    "python/3.11.2-4uehvdi.lua": 'prepend_path("PATH", "/usr/bin", ":")\nsetenv("PYTHON_ROOT", "/usr")\n',
    "python-venv/1.0-nseh3c3.lua": 'depends_on("python/3.11.2-4uehvdi")\n'
                                   'prepend_path("CMAKE_PREFIX_PATH", "/opt/software/python-venv", ":")\n',
    "python/.modulerc.lua": 'hide_version("python/3.11.2-4uehvdi")\n',
    "python-venv/.modulerc.lua": 'hide_version("python-venv/1.0-nseh3c3")\n',
    "py-six/1.17.0.lua": ('whatis([[Name : py-six]])\n\ndepends_on("python/3.11.2-4uehvdi")\n'
                          'depends_on("python-venv/1.0-nseh3c3")\n\n'
                          'prepend_path("PYTHONPATH", "/opt/software/py-six-1.17.0/lib/python3.11/site-packages", ":")\n'),
    "py-packaging/25.0.lua": ('depends_on("python/3.11.2-4uehvdi")\ndepends_on("python-venv/1.0-nseh3c3")\n'
                              'depends_on("py-six/1.17.0")\n'
                              'prepend_path("PYTHONPATH", "/opt/software/py-packaging-25.0/lib", ":")\n'),
}


@pytest.fixture
def modules(tmp_path) -> Path:
    root = tmp_path / "modules"
    core = root / "linux-debian12-x86_64" / "Core"
    for name, text in TREE.items():
        (core / name).parent.mkdir(parents=True, exist_ok=True)
        (core / name).write_text(text)
    done = subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "2 tool modules, 2 with their 2 hidden dependencies' environment inlined" in done.stdout
    return core


def lmod(core: Path, commands: str) -> str:
    script = f"source {LMOD}; export MODULEPATH={core}; {commands}"
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60).stdout


def test_module_list_shows_the_tools_only_with_their_environment(modules):
    out = lmod(modules, "module load py-packaging && module -t list 2>&1 && echo PYTHONPATH=$PYTHONPATH "
                        "&& echo PYTHON_ROOT=$PYTHON_ROOT && echo CMAKE_PREFIX_PATH=$CMAKE_PREFIX_PATH")
    listed = [line for line in out.splitlines() if "/" in line and "=" not in line]
    assert listed == ["py-six/1.17.0", "py-packaging/25.0"]  # no python/3.11.2-4uehvdi, no hashes
    assert "PYTHONPATH=/opt/software/py-packaging-25.0/lib:/opt/software/py-six-1.17.0/lib/python3.11/site-packages" \
        in out
    assert "PYTHON_ROOT=/usr" in out and "CMAKE_PREFIX_PATH=/opt/software/python-venv" in out


def test_unloading_one_tool_keeps_what_the_other_still_needs(modules):
    out = lmod(modules, "module load py-six py-packaging && module unload py-packaging && module -t list 2>&1 "
                        "&& echo PYTHON_ROOT=$PYTHON_ROOT && echo PATH=$PATH")
    assert "py-six/1.17.0" in out and "py-packaging" not in out.split("PYTHON_ROOT")[0]
    assert "PYTHON_ROOT=/usr" in out
    gone = lmod(modules, "module load py-six && module unload py-six && echo PYTHON_ROOT=[$PYTHON_ROOT] "
                         "&& echo PYTHONPATH=[$PYTHONPATH]")
    assert "PYTHON_ROOT=[]" in gone and "PYTHONPATH=[]" in gone


def test_avail_is_unchanged_and_running_twice_changes_nothing(modules, tmp_path):
    assert lmod(modules, "module -t avail 2>&1").split() == [f"{modules}:", "py-packaging/", "py-packaging/25.0",
                                                              "py-six/", "py-six/1.17.0"]
    before = {p: p.read_bytes() for p in modules.rglob("*.lua")}
    subprocess.run([sys.executable, str(SCRIPT), str(modules.parents[1])], check=True, capture_output=True)
    assert {p: p.read_bytes() for p in modules.rglob("*.lua")} == before
