"""Spack's environment grammar as `release import` reads it: definitions, matrices and excludes,
`when:`, references, includes; and each bad form as one line, with nothing written."""

from __future__ import annotations

import os

import pytest

from labforge.core.errors import LabforgeError
from labforge.inputs.importer import plan_import
from labforge.inputs.project import Project
from labforge.inputs.spack_when import ConditionError, Where, holds


def roots(project, text: str, folder=None, **kwargs) -> list[str]:
    folder = folder or project / "env"
    folder.mkdir(exist_ok=True)
    (folder / "spack.yaml").write_text(text)
    plan = plan_import(Project(project), folder / "spack.yaml", "2026.12", **kwargs)
    return [f"{t['name']}@{v}" for t in plan.release["tools"] for v in t["versions"]], plan


def refusal(project, text: str, files: dict[str, str] | None = None, **kwargs) -> str:
    folder = project / "env"
    folder.mkdir(exist_ok=True)
    for name, body in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body)
    (folder / "spack.yaml").write_text(text)
    with pytest.raises(LabforgeError) as info:
        plan_import(Project(project), folder / "spack.yaml", "2026.12", **kwargs)
    return str(info.value)


def test_definitions_matrices_excludes_and_references_expand_as_in_spack(project):
    found, plan = roots(project, """\
spack:
  definitions:
  - mpis: [openmpi@5.0.8, mpich@4.3.2]
  - when: platform == "darwin"
    mpis: [apple-mpi@1.0]
  - when: 'platform == "linux" and env.get("SPACK_CI_TARGET") is None or target == "x86_64_v2"'
    solvers: [hypre@3.0.0]
  - codes:
    - matrix:
      - [petsc@3.24.1, slepc@3.24.0]
      - [$^mpis]
      exclude: ['slepc ^mpich']
  specs:
  - $codes
  - $solvers
  - matrix:
    - [arbor@0.9.0]
    - ['+python', '~python']
    exclude: ['+python']
""")
    assert found == ["petsc@3.24.1", "slepc@3.24.0", "hypre@3.0.0", "arbor@0.9.0"]
    petsc = plan.new_tools[project / "spack" / "tools" / "petsc.yaml"]["versions"]
    assert petsc == [{"version": "3.24.1", "variants": "^openmpi@5.0.8"}]
    assert "petsc@3.24.1: one module (petsc/3.24.1), built as '^openmpi@5.0.8'; also asked as '^mpich@4.3.2'" \
        in "\n".join(plan.notes)
    assert "arbor" in {t["name"] for t in plan.release["tools"]}


def test_an_included_file_beside_the_environment_brings_definitions_and_rules(project):
    folder = project / "env"
    (folder / "common").mkdir(parents=True)
    (folder / "common" / "defs.yaml").write_text(
        "definitions:\n- simulators: [nest@3.8, neuron@8.2.6]\npackages:\n  mpi:\n    require: [mpich]\n"
        "config:\n  build_jobs: 8\n")
    (folder / "extra").mkdir()
    (folder / "extra" / "packages.yaml").write_text("packages:\n  hdf5:\n    variants: +hl\n")
    found, plan = roots(project, "spack:\n  include: [common/defs.yaml, extra, {path: gone.yaml, optional: true},"
                                 " {path: mac.yaml, when: 'platform == \"darwin\"'}]\n  specs: [$simulators]\n",
                        folder=folder)
    assert found == ["nest@3.8", "neuron@8.2.6"]
    assert plan.release["packages"] == {"mpi": {"require": ["mpich"]}, "hdf5": {"variants": "+hl"}}
    assert "defs.yaml: config not imported (labforge renders its own)" in plan.notes
    assert "include gone.yaml not found (optional: true): skipped" in plan.notes


@pytest.mark.parametrize("include, said", [
    ("../outside.yaml", "include '../outside.yaml' points outside env/, the environment's folder"),
    ("/etc/spack/packages.yaml", "is not a path relative to the environment"),
    ("https://example.org/packages.yaml", "is not a path relative to the environment"),
    ("linked/defs.yaml", "goes through a link"),
    ("missing.yaml", "include 'missing.yaml' not found (add the file beside spack.yaml or remove the include)"),
    ("loop.yaml", "include 'loop.yaml' includes itself"),
])
def test_an_include_that_is_not_read_is_one_line(project, include, said):
    (project / "outside.yaml").write_text("definitions:\n- x: [arbor@0.9.0]\n")
    (project / "env").mkdir()
    os.symlink(project, project / "env" / "linked")
    message = refusal(project, f"spack:\n  include: [{include!r}]\n  specs: [arbor@0.9.0]\n",
                      {"loop.yaml": "include: [loop.yaml]\n", "linked-defs.yaml": ""})
    assert said in message and len(message.splitlines()) == 1, message


def test_skip_include_says_what_it_skipped(project):
    found, plan = roots(project, "spack:\n  include: [../../.ci/gitlab/]\n  specs: [arbor@0.9.0]\n",
                        skip_includes=("../../.ci/gitlab/",))
    assert found == ["arbor@0.9.0"] and "include ../../.ci/gitlab/ not read (--skip-include)" in plan.notes


@pytest.mark.parametrize("text, said", [
    ("spack:\n  definitions:\n  - a: [$a, arbor@0.9.0]\n  specs: [$a]\n", "definition a refers to itself"),
    ("spack:\n  specs: [$nothing]\n", "$nothing is not defined"),
    ("spack:\n  specs:\n  - matrix: [[arbor@0.9.0], ['+a', '~a'], ['+b', '~b'], ['+c', '~c'], ['+d', '~d'], "
     "['+e', '~e'], ['+f', '~f'], ['+g', '~g'], ['+h', '~h'], ['+i', '~i'], ['+j', '~j'], ['+k', '~k'], "
     "['+l', '~l'], ['+m', '~m']]\n", "the matrix expands to 8192 specs, more than 5000"),
    ("spack:\n  definitions:\n  - when: __import__('os').system('touch /tmp/x') == 0\n    a: [arbor@0.9.0]\n"
     "  specs: [$a]\n", "is not a plain condition"),
    ("spack:\n  definitions:\n  - when: 'platform.startswith(\"lin\")'\n    a: [arbor@0.9.0]\n  specs: [$a]\n",
     "is not a plain condition"),
    ("spack:\n  base: &base [arbor@0.9.0]\n  specs: *base\n", "YAML anchors, aliases and merge keys are not read"),
    ("spack:\n  specs: [arbor@0.9.0]\n  packages:\n    hdf5:\n      <<: {variants: +hl}\n",
     "YAML anchors, aliases and merge keys are not read"),
    ("spack:\n  specs: [arbor@0.9.0]\n  packages:\n    hdf5:\n      require: ['+hl; touch /tmp/x']\n",
     "is not a spec constraint"),
    ("spack:\n  specs: [arbor@0.9.0]\n  packages:\n    x:\n      externals: [{spec: x@1, prefix: 'rel/path'}]\n",
     "is not an absolute path of plain names"),
    ("spack:\n  specs: [{arbor: 0.9.0}]\n", "this spec form is not spack's"),
])
def test_bad_forms_are_one_line_naming_the_line(project, text, said):
    message = refusal(project, text)
    assert said in message, message
    assert len(message.splitlines()) == 1 and "spack.yaml:" in message


def test_a_refused_import_writes_nothing(project, cli):
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    (project / "bad.yaml").write_text("spack:\n  definitions:\n  - a: [$a]\n  specs: [$a, arbor@0.9.0]\n")
    result = cli(project, "release", "import", "bad.yaml", "--id", "2026.12", "--pin", "preferred")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == sorted(before + [type(before[0])("bad.yaml")])


@pytest.mark.parametrize("condition, value", [
    ('platform == "linux"', True), ('platform == "darwin"', False), ('"debian" in os', True),
    ('target == "x86_64_v3" and not env.get("CRAYPE_VERSION")', True), ("env.get('X', 'y') == 'y'", True),
    ("True", True),
])
def test_plain_conditions_are_decided_for_the_image(condition, value):
    assert holds(condition, Where()) is value


@pytest.mark.parametrize("condition", ["os.system('x')", "open('/etc/passwd')", "[x for x in ()]", "1 + 1",
                                       "platform < 'z'", "x" * 600, "env['HOME']", "lambda: 1"])
def test_anything_else_is_refused(condition):
    with pytest.raises(ConditionError):
        holds(condition, Where())
