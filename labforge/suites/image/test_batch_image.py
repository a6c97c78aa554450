"""What a batch tool image must be, on top of test_user.py: no notebook server, an entrypoint
that runs the tool's command with its module loaded, and the tool's declared tests passing
through that entrypoint as the image's user."""

from __future__ import annotations

import json
import os
import shlex

import pytest

from labforge.suites.image.helpers import as_user, sh

ENTRYPOINT = "/opt/labforge/tool-entrypoint"


@pytest.fixture(scope="session")
def batch() -> dict:
    """The tool version this image is for: module, command, tests (from `labforge release test`)."""
    return json.loads(os.environ["LABFORGE_BATCH"])


def through_entrypoint(host, image_config, settings, command: str, args: str):
    """The entrypoint, as the container runs it, with LAB_TOOL_COMMAND set to `command`."""
    env = [e for e in image_config["Env"] if not e.startswith("LAB_TOOL_COMMAND=")]
    env += [f"LAB_TOOL_COMMAND={command}", "HOME=/tmp"]
    return sh(host, f"{as_user(settings.get('uid', 1000), env)} {ENTRYPOINT} {args}")


def test_no_notebook_server(host):
    assert not host.file("/opt/venv").exists
    assert not host.exists("jupyter") and not host.exists("jupyter-lab")


def test_entrypoint_and_labels_name_the_tool(image_config, batch):
    assert image_config["Entrypoint"] == ["tini", "-g", "--", ENTRYPOINT]
    labels = image_config["Labels"]
    assert labels["org.labforge.kind"] == "batch-tool" and labels["org.labforge.module"] == batch["module"]
    assert labels["name"] == batch["tool"] and labels["version"] == batch["version"]
    assert f"LAB_TOOL_MODULE={batch['module']}" in image_config["Env"]


def test_module_loads_as_the_user(host, image_config, settings, batch):
    shown = through_entrypoint(host, image_config, settings, "sh", "-c 'echo $LOADEDMODULES'")
    assert shown.rc == 0, shown.stderr
    assert batch["module"] in shown.stdout.strip().split(":")


def test_declared_tests_pass_through_the_entrypoint(host, image_config, settings, batch):
    tests = batch["tests"]
    if not tests["commands"] and not tests["imports"]:
        pytest.skip("the tool declares no tests")
    for line in tests["commands"]:
        program, _, args = line.partition(" ")
        result = through_entrypoint(host, image_config, settings, program, args)
        assert result.rc == 0, (line, result.stderr)
    for name in tests["imports"]:
        result = through_entrypoint(host, image_config, settings, "python3", f"-c {shlex.quote('import ' + name)}")
        assert result.rc == 0, (name, result.stderr)


def test_the_tool_command_itself_is_found(host, image_config, settings, batch):
    program = batch["command"].split()[0]
    found = through_entrypoint(host, image_config, settings, "sh", f"-c {shlex.quote('command -v ' + program)}")
    assert found.rc == 0 and found.stdout.strip(), (program, found.stderr)
