"""R in a release: a release that lists R tools (spack's `r` and `r-*`) gets an R kernel
(IRkernel from spack), `lab-ID-r`, "Lab ID (R)", whose launcher loads the release's default
modules like the Python kernel's. The experimental release is the example (R 4.5.2, jsonlite,
data.table in two versions). CRAN cannot be reached from here: the real R build is not run;
spack concretizes and fake-installs it, and the image suite checks the kernel in a built image."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.fake_install import LMOD_INIT, fake_install, lmod
from tests.helpers.project import rendered
from tests.helpers.spack_marks import needs_spack

LAUNCHER = "/opt/venv/share/jupyter/kernels/lab-experimental-r/launch.sh"


def test_a_release_with_r_tools_gets_an_r_kernel():
    files = rendered("experimental")
    spec = json.loads(files["kernel-r/kernel.json"])
    assert spec == {"argv": [LAUNCHER, "{connection_file}"], "display_name": "Lab experimental (R)",
                    "language": "R", "metadata": {"lab_release": "experimental"}}
    launch = files["kernel-r/launch.sh"].decode()
    assert "for tool in nest/3.0 " in launch and " r/4.5.2 r-irkernel/1.3.2 r-jsonlite/1.8.8 r-data-table/1.17.8;" in launch
    assert launch.rstrip().endswith("""exec R --slave -e 'IRkernel::main()' --args "$@\"""")
    containerfile = files["Containerfile"].decode()
    assert "COPY kernel-r/ /opt/venv/share/jupyter/kernels/lab-experimental-r/" in containerfile
    # the Python kernel stays the server's default, and is unchanged
    assert json.loads(files["jupyter_config.json"])["MultiKernelManager"]["default_kernel_name"] == "lab-experimental"
    assert files["kernel/launch.sh"].decode().rstrip().endswith('ipykernel_launcher --ext lab_notice "$@"')


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is installed by 'make system'")
def test_r_launcher_passes_shellcheck(tmp_path):
    launcher = tmp_path / "launch.sh"
    launcher.write_bytes(rendered("experimental")["kernel-r/launch.sh"])
    result = subprocess.run(["shellcheck", str(launcher)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_no_r_kernel_without_r_tools_or_without_tools():
    assert "kernel-r/kernel.json" not in rendered("2026.11")
    assert "kernel-r/kernel.json" not in rendered("experimental", with_spack=False)
    assert "kernel-r" not in rendered("2026.11")["Containerfile"].decode()


def test_r_tools_without_irkernel_are_refused(cli, project):
    manifest = project / "releases" / "experimental.yaml"
    manifest.write_text(manifest.read_text().replace('- name: r-irkernel\n  versions: ["1.3.2"]\n', ""))
    result = cli(project, "release", "validate", "experimental")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "r-irkernel" in result.stderr and "R kernel" in result.stderr


@needs_spack[0]
@needs_spack[1]
@pytest.mark.skipif(not Path(LMOD_INIT).exists(), reason="Lmod is installed by 'make test'")
def test_r_kernel_launcher_loads_r_and_irkernel_on_a_fake_install(tmp_path):
    core = fake_install("experimental", tmp_path / "install")
    avail = lmod(core, "module -t avail 2>&1").stdout.split()
    for module in ("r/4.5.2", "r-irkernel/1.3.2", "r-jsonlite/1.8.8", "r-data-table/1.15.4"):
        assert any(line.removesuffix("(default)") == module for line in avail), avail
    launcher = tmp_path / "launch.sh"  # the R kernel's environment: its launcher up to the exec
    launcher.write_text(rendered("experimental")["kernel-r/launch.sh"].decode().replace("exec ", "# exec "))
    kernel = lmod(core, f"source {launcher} && module -t list 2>&1").stdout.split()
    assert {"r/4.5.2", "r-irkernel/1.3.2", "r-data-table/1.17.8", "nest/3.0"} <= set(kernel), kernel
    swapped = lmod(core, f"module load r-data-table/1.15.4 && source {launcher} && module -t list 2>&1").stdout.split()
    assert "r-data-table/1.15.4" in swapped and "r-data-table/1.17.8" not in swapped
