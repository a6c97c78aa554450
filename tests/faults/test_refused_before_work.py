"""Check everything, then work: each command checks all its arguments and the files they name
(existence, type, grammar, release ids confined to releases/) before it renders, starts spack or
buildah, or writes anything. A refused command leaves the checkout byte-identical: no render, no
log, no `build/` folder, no artifacts beside a bad --out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REG = ["--registry", "harbor.lab.example.org/lab"]
ID_MESSAGE = "is not a release id"
CASES = {
    "release id climbing out (build)": (["release", "build", "../../escape"], "ID: '../../escape'" , ID_MESSAGE),
    "release id climbing out (render)": (["release", "render", "../2026.11", "--out", "out"], "ID:", ID_MESSAGE),
    "release id climbing out (diff)": (["release", "diff", "2026.05", "../releases/2026.11"], "B:", ID_MESSAGE),
    "release id climbing out (validate)": (["release", "validate", "2026.11", "../x"], "ID...:", ID_MESSAGE),
    "release id climbing out (lock)": (["release", "lock", "../x"], "ID...", ID_MESSAGE),
    "release id as an option word (test)": (["release", "test", "--", "--rm"], "ID:", ID_MESSAGE),
    "release id climbing out (publish)": (["release", "publish", "../x", *REG], "ID:", ID_MESSAGE),
    "release id climbing out (pipeline)": (["release", "pipeline", "../x", *REG], "ID:", ID_MESSAGE),
    "release id climbing out (tool build)": (["tool", "build", "nest", "--release", "../2026.11"], "--release:",
                                             ID_MESSAGE),
    "release id of import": (["release", "import", "spack.yaml", "--id", "../../x"], "--id:", ID_MESSAGE),
    "missing --ca-cert (builder)": (["release", "builder", "2026.11", *REG, "--ca-cert", "/nonexistent.pem"],
                                    "--ca-cert:", "cannot read /nonexistent.pem"),
    "missing --ca-cert (build)": (["release", "build", "2026.11", "--ca-cert", "/nonexistent.pem"], "--ca-cert:",
                                  "cannot read"),
    "--ca-cert not a certificate": (["release", "build", "2026.11", "--ca-cert", "labforge.yaml"], "--ca-cert:",
                                    "holds no PEM certificate"),
    "--ca-cert a folder (tool build)": (["tool", "build", "nest", "--ca-cert", "releases"], "--ca-cert:",
                                        "cannot read releases"),
    "empty runner tag": (["release", "pipeline", "2026.11", *REG, "--tag", ""], "--tag:", "is not a runner tag"),
    "runner tag with a space": (["release", "pipeline", "2026.11", *REG, "--tag", "a b"], "--tag:",
                                "is not a runner tag"),
    "pipeline --out naming a folder": (["release", "pipeline", "2026.11", *REG, "--out", "releases"], "--out:",
                                       "is a folder"),
    "pipeline --out not a .yml file": (["release", "pipeline", "2026.11", *REG, "--out", "pipeline.txt"], "--out:",
                                       "not a .yml file"),
    "pipeline --out outside the checkout": (["release", "pipeline", "2026.11", *REG, "--out", "/tmp/p.yml"],
                                            "--out:", "lies outside the checkout"),
    "upper-case --builder-image": (["release", "pipeline", "2026.11", *REG, "--builder-image", "h.org/Lab/b:1"],
                                   "--builder-image:", "is not an image reference"),
    "tool name climbing out (try)": (["tool", "try", "../nest"], "NAME[@VERSION]:", "is not a tool"),
    "tool name climbing out (check)": (["tool", "check", "nest", "../x"], "NAME...:", "is not a tool"),
    "tool version with shell syntax (build)": (["tool", "build", "nest@3.0;id"], "NAME[@VERSION]:", "is not a tool"),
    "base mirror with shell syntax": (["base", "build", "--mirror", "http://deb.example.org/debian;id"], "--mirror:",
                                      "is not a plain http(s) URL"),
    "--drive naming a file (try)": (["release", "try", "2026.11", "--drive", "labforge.yaml"], "",
                                    "is a file, not a folder"),
}


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under root, links as their target."""
    found: dict[str, bytes | None] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), root)] = None
        for name in files:
            path = Path(folder, name)
            found[str(path.relative_to(root))] = (os.readlink(path).encode() if path.is_symlink()
                                                  else path.read_bytes())
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_command_leaves_the_tree_byte_identical(cli, project, case):
    args, where, message = CASES[case]
    before = snapshot(project)
    result = cli(project, *args)
    assert result.code == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"error: {where}" in result.stderr and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 2, result.stderr  # one line, and the count
    assert snapshot(project) == before
