"""Environments nobody here wrote: every x86_64 Linux CPU stack spack's own CI builds (the pinned
spack-packages' `stacks/`) imports with its roots pinned to their recipes' preferred versions
(no spack run), and the release it makes validates but for what a person must still do: review
the stubs and lock it."""

from __future__ import annotations

import pytest
import yaml

from labforge.inputs.importer import plan_import, write_import
from labforge.inputs.project import Project
from labforge.inputs.releases import load_release
from labforge.inputs.tools import load_all
from tests.helpers.project import copy_project
from tests.helpers.spack_stacks import X86_64_LINUX_CPU, spack_packages

# What spack's CI stacks include and a lab does not read: its CI scope, and one from the web.
CI_INCLUDES = ("../../.ci/gitlab/", "https://raw.githubusercontent.com/tools-integration/tools-sdk/"
               "96ee62feaad3936185937d10185ea17731bd1c7f/spack/configs/packages.yaml")
LEFT_FOR_PEOPLE = ("needs_metadata: stub from 'labforge release import'", "has tools but no lock")


@pytest.fixture(scope="module")
def recipes(tmp_path_factory, monkeypatch_module):
    root = spack_packages(tmp_path_factory.mktemp("spack-packages"))
    if root is None:
        pytest.skip("no pinned spack-packages here (SPACK_PACKAGES_ROOT, build/pinned-spack or ../shared/spack)")
    monkeypatch_module.setenv("SPACK_PACKAGES_ROOT", str(root))
    return root


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("stack", X86_64_LINUX_CPU)
def test_each_stack_imports_and_validates(recipes, tmp_path, stack):
    project = Project(copy_project(tmp_path / "project"))
    plan = plan_import(project, recipes / "stacks" / stack / "spack.yaml", "2031.01", skip_includes=CI_INCLUDES)
    write_import(plan)
    manifest = yaml.safe_load(plan.release_path.read_text())
    assert manifest["tools"] and all(len(t["versions"]) >= 1 for t in manifest["tools"])
    tools, problems = load_all(project)
    loaded, found = load_release(project, "2031.01", tools)
    left = [str(p) for p in problems + found if not any(why in str(p) for why in LEFT_FOR_PEOPLE)]
    assert loaded is not None and not left, "\n".join(left)
    # one line per cause: the notes never repeat themselves
    assert len(plan.notes) == len(set(plan.notes))


def test_e4s_keeps_its_rules_and_says_what_it_dropped(recipes, tmp_path):
    project = Project(copy_project(tmp_path / "project"))
    plan = plan_import(project, recipes / "stacks" / "e4s" / "spack.yaml", "2031.01", skip_includes=CI_INCLUDES)
    rules = plan.release["packages"]
    assert rules["mpi"] == {"require": ["mpich"]} and rules["blas"] == {"require": ["openblas"]}
    assert rules["trilinos"]["variants"].startswith("+amesos +amesos2")
    assert rules["paraview"]["require"] == ["+examples", "~qt ^[virtuals=gl] osmesa"]  # the target dropped
    assert len(plan.release["tools"]) > 150
    notes = "\n".join(plan.notes)
    assert "packages: labforge's own (images use the OS compiler and Python): not kept: c, cxx, fortran" in notes
    assert notes.count("pinned to") > 150  # each unpinned root said once
    assert "amrex@25.11: one module (amrex/25.11)" in notes
