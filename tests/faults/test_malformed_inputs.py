"""Every bad input: one clear line (file, field, what to do), exit 1, no traceback, nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


def edit(rel: str, old: str, new: str):
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        assert old in text, f"fixture drift: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1))
    return apply


def write(rel: str, text: str):
    def apply(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return apply


R = "releases/2026.11.yaml"
T = "spack/tools/nest.yaml"
P = "spack/packages/py-spikeutils/package.py"

CASES = {
    # release manifests
    "unknown tool": (edit(R, "- name: arbor", "- name: arbour"), R, "tools[2].name", "unknown tool 'arbour'"),
    "version not offered": (edit(R, '["0.9.0"]', '["0.10.0"]'), R, "tools[2].versions[0]", "not offered"),
    "duplicate tool": (edit(R, "- name: arbor", "- name: nest"), R, "tools[2].name", "listed twice"),
    "duplicate version": (edit(R, '["2.20.1", "3.0"]', '["3.0", "3.0"]'), R, "tools[0].versions[1]", "listed twice"),
    "missing default": (edit(R, '  default: "3.0"\n', ""), R, "tools[0]", "no default"),
    "extra default": (edit(R, 'default: "3.0"', 'default: "3.6"'), R, "tools[0].default", "not one of"),
    "bad stable id": (edit(R, 'id: "2026.11"', 'id: "2026.13"'), R, "2026.13", "YYYY.MM"),
    "id not file name": (edit(R, 'id: "2026.11"', 'id: "2026.10"'), R, "id", "does not match the file name"),
    "version as number": (edit(R, '["0.9.0"]', "[0.9]"), R, "tools[2].versions[0]", "must be text"),
    "bad yaml": (edit(R, "tools:", "tools: ["), R, R + ":", "not valid YAML"),
    "duplicate yaml key": (edit(R, "channel: stable", "channel: stable\nchannel: stable"), R, "channel", "duplicate key"),
    "unknown field": (edit(R, "channel: stable", "channel: stable\nchanel: stable"), R, "chanel", "not a known field"),
    "bad channel": (edit(R, "channel: stable", "channel: beta"), R, "channel", "'stable' or 'experimental'"),
    "python mismatch": (edit(R, 'python: "3.11"', 'python: "3.12"'), R, "python", "not the Python of bookworm"),
    "unpinned extra": (edit(R, "ipywidgets==8.1.7", "ipywidgets>=8"), R, "jupyterlab.extras", "not pinned"),
    "no tools": (edit(R, "tools:\n", "tools: []\nxtools:\n"), R, "tools", "must not be empty"),
    "experimental without date": (edit("releases/experimental.yaml", "date: 2026-11-20\n", ""),
                                  "releases/experimental.yaml", "", "needs a date"),
    "not a mapping": (write(R, "- just\n- a list\n"), R, R + ":1", "must be a YAML mapping"),
    # tool submissions
    "tool default not offered": (edit(T, 'default: "3.0"', 'default: "4.0"'), T, "default", "not an offered version"),
    "tool name mismatch": (edit(T, "name: nest", "name: nestsim"), T, "name", "does not match the file name"),
    "tool bad spec": (edit(T, "+python +gsl ~mpi +openmp\n- version: \"3.0\"", "+python -gsl\n- version: \"3.0\""),
                      T, "versions[0].variants", "not supported"),
    "tool bad homepage": (edit(T, "https://www.nest-simulator.org", "nest-simulator.org"), T, "homepage", "should match pattern"),
    "tool no maintainers": (edit(T, "maintainers: [nest-team@lab.example.org]", "maintainers: []"), T, "maintainers",
                            "must not be empty"),
    "tool bad import": (edit(T, "imports: [nest]", "imports: [nest-sim]"), T, "tests.imports", "not a Python module name"),
    "package.py lacks version": (edit(P, 'version("0.3.0"', 'version("0.2.0"'), "spack/tools/py-spikeutils.yaml",
                                 "versions[0].version", "not declared in spack/packages/py-spikeutils/package.py"),
    "package.py syntax": (edit(P, "class PySpikeutils(PythonPackage):", "class PySpikeutils(PythonPackage)"), P, "",
                          "not valid Python"),
    "package.py class name": (edit(P, "class PySpikeutils(", "class Spikeutils("), P, "", "no class PySpikeutils"),
}


@pytest.mark.parametrize("case", sorted(CASES), ids=sorted(CASES))
def test_bad_input_gives_one_clear_line(project, cli, case):
    mutate, file, field, message = CASES[case]
    mutate(project)
    out = project / "rendered"
    validate = cli(project, "release", "validate")
    render = cli(project, "release", "render", "2026.11" if "experimental" not in file else "experimental",
                 "--out", str(out))
    for result in (validate, render):
        assert result.code == 1, result
        assert "Traceback" not in result.stderr + result.stdout
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert errors, result.stderr
        line = next((e for e in errors if file in e and message in e), None)
        assert line is not None, f"no line naming {file} and {message!r} in:\n{result.stderr}"
        assert field in line
        assert re.match(r"error: \S+(:\d+)?: ", line), line
    assert not out.exists(), "a failed render must not write anything"
    assert not any(p.name.startswith(".rendered") for p in project.iterdir())


def test_tool_check_reports_every_problem_in_one_run(project, cli):
    edit(T, 'default: "3.0"', 'default: "4.0"')(project)
    edit("spack/tools/arbor.yaml", "homepage: https://arbor-sim.org", "homepage: arbor")(project)
    result = cli(project, "tool", "check")
    assert result.code == 1
    assert "spack/tools/nest.yaml" in result.stderr and "spack/tools/arbor.yaml" in result.stderr
    assert "2 problems found" in result.stderr


def test_tool_check_of_unknown_name(project, cli):
    result = cli(project, "tool", "check", "nope")
    assert result.code == 1 and "no tool submission named 'nope'" in result.stderr


def test_package_without_submission_is_reported(project, cli):
    write("spack/packages/py-orphan/package.py", "class PyOrphan:\n    pass\n")(project)
    result = cli(project, "tool", "check")
    assert result.code == 1 and "package 'py-orphan' has no tool submission" in result.stderr


def test_error_lines_point_at_the_offending_line(project, cli):
    edit(R, "- name: arbor", "- name: arbour")(project)
    result = cli(project, "release", "validate", "2026.11")
    lineno = next(i for i, l in enumerate((project / R).read_text().splitlines(), 1) if "arbour" in l)
    assert f"{R}:{lineno}: tools[2].name: unknown tool 'arbour'" in result.stderr
