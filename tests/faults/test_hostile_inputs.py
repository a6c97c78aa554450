"""Hostile and foreign input: each case once broke labforge (a hang, a traceback, a silent
ignore); each must now give one clear line, exit 1 and write nothing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

R = "releases/2026.11.yaml"


def alias_bomb() -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


CASES = {
    "alias bomb": (R, alias_bomb(), "too large once its aliases are expanded"),
    "NUL character": (R, 'id: "2026.11"\x00\nchannel: stable\n', "not valid YAML: unacceptable character #x0000"),
    "escape character": ("spack/tools/nest.yaml", "name: nest\x1b[2J\n", "unacceptable character #x001b"),
    "deep nesting": (R, "a: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    "huge file": (R, "notes: |\n" + ("  " + "x" * 1000 + "\n") * 1200, "larger than 1024 KiB"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", [("release", "validate"), ("release", "render", "2026.11", "--out", "OUT"),
                                     ("tool", "check")])
def test_hostile_yaml_is_one_clear_error(cli, project, case, command):
    rel, text, message = CASES[case]
    if command == ("tool", "check") and rel == R:
        rel, text = "spack/tools/nest.yaml", text  # the same content in a tool submission
    (project / rel).write_text(text)
    out = project / "out"
    args = [str(out) if part == "OUT" else part for part in command]
    result = cli(project, *args)  # run_cli gives up after 120 s: a hang fails the test
    assert result.code == 1, result.stdout
    assert "Traceback" not in result.stderr and message in result.stderr and rel in result.stderr
    assert not out.exists()


def test_misspelt_site_setting_stops_every_command(cli, project):
    (project / "labforge.yaml").write_text((project / "labforge.yaml").read_text() + "spak:\n  version: v1\n")
    for command in (("tool", "check"), ("release", "validate"), ("catalog", "show")):
        result = cli(project, *command)
        assert result.code == 1 and "labforge.yaml:" in result.stderr and "spak" in result.stderr, command
        assert "not a known field" in result.stderr


def test_a_link_out_of_the_project_is_refused(cli, project):
    link = project / "spack" / "packages" / "py-spikeutils" / "data.txt"
    link.symlink_to("/etc/hostname")
    result = cli(project, "tool", "check")
    assert result.code == 1 and "spack/packages/py-spikeutils/data.txt" in result.stderr
    assert "outside the project" in result.stderr
    render = cli(project, "release", "render", "2026.11", "--no-spack", "--out", str(project / "out"))
    assert render.code == 1 and not (project / "out").exists()


def test_a_link_inside_the_project_is_fine(cli, project):
    (project / "spack" / "packages" / "py-spikeutils" / "README").symlink_to(project / "labforge.yaml")
    assert cli(project, "tool", "check").code == 0
    assert os.path.islink(Path(project / "spack" / "packages" / "py-spikeutils" / "README"))


@pytest.mark.parametrize("compression, runtime, ok", [
    ("gzip", "containerd 1.4", True), ("zstd", "containerd 1.7", True), ("zstd", "containerd 1.4", False),
    ("zstd:chunked", "cri-o 1.28", False), ("zstd:chunked", "cri-o 1.30", True)])
def test_a_compression_the_nodes_cannot_unpack_is_refused_before_pushing(cli, project, compression, runtime, ok):
    from labforge.inputs.project import PublishSettings
    from labforge.registry.compression import skopeo_args

    settings = PublishSettings(compression=compression, node_runtime=runtime)
    if ok:
        args = skopeo_args(settings)
        assert args == ([] if compression == "gzip" else ["--format", "oci", "--dest-compress-format", compression])
        return
    text = (project / "labforge.yaml").read_text()
    text = re.sub(r"(?m)^  compression: .*$", f"  compression: {compression}", text)
    (project / "labforge.yaml").write_text(re.sub(r"(?m)^  node_runtime: .*$", f"  node_runtime: {runtime}", text))
    result = cli(project, "release", "publish", "2026.11", "--registry", "127.0.0.1:9/lab")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "publish.compression" in result.stderr and "cannot be unpacked" in result.stderr, result.stderr


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


SECRET = "s3cret-in-an-option"
OPTION_CASES = {
    "credentials in --registry": (["release", "publish", "2026.11", "--registry", f"robot$lab+ci:{SECRET}@h.org/lab"],
                                  "--registry: holds an '@'"),
    "credentials with a '/' in --registry": (["release", "publish", "2026.11", "--registry",
                                              f"u:{SECRET}/x@h.org/lab"], "--registry: holds an '@'"),
    "credentials in --spack-cache": (["release", "pipeline", "2026.11", "--spack-cache",
                                      f"u:{SECRET}@h.org/spack-cache/buildcache", "--builder-image", "h.org/lab/b:1"],
                                     "--spack-cache: holds an '@'"),
    "upper-case path in --registry": (["release", "builder", "2026.11", "--registry", "harbor.lab.org/LAB"],
                                      "not a registry location"),
    "scheme in --registry": (["release", "publish", "2026.11", "--registry", "https://harbor.lab.org/lab"],
                             "has a scheme"),
    "option as --builder-image": (["release", "pipeline", "2026.11", "--registry", "h.org/lab", "--builder-image=--rm"],
                                  "looks like a command-line option"),
    "missing --authfile": (["release", "builder", "2026.11", "--registry", "h.org/lab", "--authfile", "/nonexistent"],
                           "--authfile: cannot read it"),
    "--authfile not an auth file": (["release", "publish", "2026.11", "--registry", "h.org/lab", "--authfile",
                                     "labforge.yaml"], "--authfile: cannot read it: not JSON"),
}


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_a_bad_registry_option_is_refused_before_any_work(cli, project, case):
    """Checked as the options are read: no render, no build, no network look-up, nothing written,
    and a credential is never repeated."""
    args, message = OPTION_CASES[case]
    before = tree(project)
    result = cli(project, *args)
    assert result.code == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 2, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert tree(project) == before
