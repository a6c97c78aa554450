"""Every value of the settings, a release manifest and a tool submission, set to shell and
Containerfile syntax: either refused where it is read (naming the field), or rendered only where
it cannot act (a JSON string, a double-quoted image label without quotes or `$` inside).
The fields come from the files themselves, so a field added later is covered too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from labforge.core.errors import LabforgeError
from labforge.inputs.project import Project
from labforge.inputs.releases import load_release
from labforge.render import spackstage
from labforge.render.release import render_files

PAYLOADS = ["x; touch /tmp/pwned #", 'x" $(touch /tmp/pwned) `id` \\', "x\nRUN touch /tmp/pwned"]
FILES = ["labforge.yaml", "releases/2026.11.yaml", "spack/tools/nest.yaml"]
JSON_FILES = {"release.json", "spack.yaml", "layers.json", "spack.lock"}  # written with json.dumps / tojson
LABEL = re.compile(r'^\s*(?:LABEL\s+)?[\w.-]+="([^"\\$`]*)"\s*\\?$')


def leaves(data, path=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaves(value, (*path, i))
    elif isinstance(data, str):
        yield path


def with_value(data, path, value):
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def shown(path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def unsafe_lines(files: dict[str, bytes], payload: str) -> list[str]:
    """Lines where the payload could act: anywhere but a JSON file, a double-quoted label of a
    Containerfile, or the %labels section of the Apptainer definition (key value, never run)."""
    found = []
    first = "touch /tmp/pwned"  # in every payload
    for name, body in files.items():
        text = body.decode("utf-8", "replace")
        if name in JSON_FILES or first not in text:
            continue
        section = ""
        for line in text.splitlines():
            if line.startswith("%"):
                section = line.split()[0]
            if first not in line:
                continue
            label = LABEL.match(line)
            if "\n" not in payload and ((label and first in label.group(1)) or section == "%labels"):
                continue
            found.append(f"{name}: {line}")
    return found


@pytest.fixture
def render_any_lock(monkeypatch):
    """A changed setting makes the committed lock stale, which would refuse before the field is
    looked at: here the lock is read as it is (it is not what is under test)."""
    monkeypatch.setattr(spackstage, "require_current_lock",
                        lambda project, loaded, spack_yaml, inputs:
                        spackstage.lock_problems(project, loaded, spack_yaml, inputs)[0])


@pytest.mark.parametrize("rel", FILES)
def test_every_field_with_shell_syntax_is_refused_or_inert(project, rel, render_any_lock):
    original = (project / rel).read_text()
    data = yaml.safe_load(original)
    paths = list(leaves(data))
    assert len(paths) >= 10
    leaks, refused = [], 0
    for path in paths:
        for payload in PAYLOADS:
            (project / rel).write_text(yaml.safe_dump(with_value(yaml.safe_load(original), path, payload)))
            lab = Project(Path(project))
            try:
                _ = lab.settings
                loaded, problems = load_release(lab, "2026.11")
                if problems:
                    raise LabforgeError(problems)
                files, _ = render_files(lab, loaded, with_spack=True)
            except LabforgeError as exc:
                text = "\n".join(str(p) for p in exc.problems)
                assert rel in text, (path, text)
                refused += 1
                continue
            leaks += [f"{shown(path)} = {payload!r} -> {line}" for line in unsafe_lines(files, payload)]
    (project / rel).write_text(original)
    assert not leaks, "\n".join(leaks)
    assert refused, "nothing was refused: the payloads did not reach the checks"


@pytest.mark.parametrize("field, value, message", [
    ("image.mounts.drive", "/home/jovyan/my drive", "not an absolute path of plain names"),
    ("image.mounts.datasets", "/data/../etc", "not an absolute path of plain names"),
    ("image.mounts.shared", "shared", "not an absolute path of plain names"),
    ("image.vendor", 'Lab "A"', "cannot be an image label"),
    ("spack.url", "--upload-pack=touch /tmp/x", "not an https:// git URL"),
    ("spack.url", "file:///tmp/spack", "not an https:// git URL"),
    ("spack.version", "v1.1.0 --depth=1", "not a git tag or branch"),
    ("spack.target", "x86_64_v2 %gcc", "not a spack target name"),
])
def test_a_setting_outside_its_grammar_stops_every_command(cli, project, field, value, message):
    settings = yaml.safe_load((project / "labforge.yaml").read_text())
    (project / "labforge.yaml").write_text(yaml.safe_dump(with_value(settings, tuple(field.split(".")), value)))
    result = cli(project, "release", "validate")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "labforge.yaml:" in result.stderr and field in result.stderr and message in result.stderr, result.stderr


NOT_PINS = ["--index-url=http://evil.example.org/simple", "-e git+https://evil.example.org/x.git",
            "jupyterlab @ https://evil.example.org/jupyterlab.whl", "./jupyterlab-4.6.6-py3-none-any.whl",
            "jupyterlab==4.6.6; python_version > '3'", "jupyterlab[dev]==4.6.6", "jupyterlab>=4.6",
            "jupyterlab==4.*", "jupyterlab===4.6.6", "jupyterlab==4.6.6 --hash=sha256:00", "jupyterlab"]


@pytest.mark.parametrize("value", NOT_PINS)
@pytest.mark.parametrize("rel, key", [("labforge.yaml", "runtime.python_packages[0]"),
                                      ("releases/2026.11.yaml", "jupyterlab.extras[0]")])
def test_a_pin_is_exactly_name_and_version(cli, project, rel, key, value):
    """Pins reach pip's command line and requirements file: an option, URL, path, marker or
    range there would bypass the lock and the registry allow-list."""
    path = project / rel
    data = yaml.safe_load(path.read_text())
    where = ("runtime", "python_packages", 0) if rel == "labforge.yaml" else ("jupyterlab", "extras", 0)
    path.write_text(yaml.safe_dump(with_value(data, where, value)))
    before = path.read_bytes()
    result = cli(project, "release", "render", "2026.11", "--no-spack", "--out", str(project / "out"))
    assert result.code == 1 and "Traceback" not in result.stderr
    assert f"{rel}:" in result.stderr and key in result.stderr and "is not pinned" in result.stderr, result.stderr
    assert not (project / "out").exists() and path.read_bytes() == before
