"""Fuzzed readers: every reader of user input, fed arbitrary bytes, arbitrary YAML documents and
mutations of the real example files. Property: a clean LabforgeError (or the stack config's
problem list) naming the file, or success -- never another exception, never a write.

A few hundred examples per reader in `make test`; LABFORGE_FUZZ_EXAMPLES=5000 for a long run."""

from __future__ import annotations

import ast
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config.stack import ConfigProblem, parse
from labforge.catalog.store import load_catalog
from labforge.core.errors import LabforgeError
from labforge.inputs.importer import plan_import
from labforge.inputs.project import Project
from labforge.inputs.releases import load_release
from labforge.inputs.tools import declared_versions, load_all
from tests.helpers.project import REPO, copy_project

EXAMPLES = int(os.environ.get("LABFORGE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("LABFORGE_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=30), st.sampled_from(["3.0", "2026.11", "nest", "+python", "@", "~", ""]))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)), max_leaves=40)
CONTROL = [chr(c) for c in range(0, 32) if chr(c) not in "\n\t"] + ["\x7f", "\ufeff", "\u2028"]


def mutations(text: str):
    """Real files changed the ways people and attackers change them."""
    lines = text.splitlines(keepends=True)
    return st.one_of(
        st.builds(lambda i: "".join(lines[:i] + lines[i + 1:]), st.integers(0, max(0, len(lines) - 1))),  # drop a line
        st.builds(lambda i, c: text[:i] + c + text[i:], st.integers(0, len(text)), st.sampled_from(CONTROL)),
        st.builds(lambda i, v: text[:i] + v + text[i:], st.integers(0, len(text)),
                  st.sampled_from(["&a ", "*a", "<<: *a\n", ": ", "- ", "[", "{", "'", '"', "\n  ",
                                   "!!python/object:os.system ''",
                                   "!!binary AAAA", "~", "null", "0x1F", "1e400", "\n" + lines[0] if lines else ""])),
        st.builds(lambda i: "".join(lines[:i] + lines[i:i + 1] * 2 + lines[i + 1:]),  # a duplicate key
                  st.integers(0, max(0, len(lines) - 1))),
        st.builds(lambda n: text + "deep: " + "[" * n + "]" * n + "\n", st.integers(50, 3000)),
        st.just(text.encode("utf-16").decode("latin-1")),  # an odd encoding, read as text
    )


def fuzz_inputs(example: Path):
    text = example.read_text()
    return st.one_of(st.binary(max_size=400),
                     documents.map(lambda d: yaml.safe_dump(d).encode()),
                     mutations(text).map(lambda t: t.encode("utf-8", "surrogatepass")))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Project:
    return Project(copy_project(tmp_path_factory.mktemp("fuzz") / "project"))


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def check(read, root: Path, before: set[str], name: str) -> None:
    try:
        read()
    except LabforgeError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        assert any(name in str(p) for p in exc.problems) or name == "labforge.yaml" and exc.problems, exc.problems
    assert snapshot(root) == before, "a reader wrote something"


def restore(project: Project, rel: str) -> None:
    shutil.copy2(REPO / rel, project.root / rel)


@FUZZ
@given(data=fuzz_inputs(REPO / "releases" / "2026.11.yaml"))
def test_release_manifest_reader(scratch, data):
    rel = "releases/2026.11.yaml"
    (scratch.root / rel).write_bytes(data)
    before = snapshot(scratch.root)
    try:
        check(lambda: _raise(load_release(scratch, "2026.11")[1]), scratch.root, before, rel)
    finally:
        restore(scratch, rel)


@FUZZ
@given(data=fuzz_inputs(REPO / "spack" / "tools" / "nest.yaml"))
def test_tool_submission_reader(scratch, data):
    rel = "spack/tools/nest.yaml"
    (scratch.root / rel).write_bytes(data)
    before = snapshot(scratch.root)
    try:
        check(lambda: _raise(load_all(scratch)[1]), scratch.root, before, rel)
    finally:
        restore(scratch, rel)


@FUZZ
@given(data=fuzz_inputs(REPO / "labforge.yaml"))
def test_site_settings_reader(scratch, data):
    (scratch.root / "labforge.yaml").write_bytes(data)
    before = snapshot(scratch.root)
    try:
        check(lambda: Project(scratch.root).settings, scratch.root, before, "labforge.yaml")
    finally:
        restore(scratch, "labforge.yaml")


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300),
                      st.sampled_from(["class X(", "from spack.package import *\nclass PySpikeutils(PythonPackage):\n"
                                       "    version(1)\n    version('0.3.0', sha256='x')\n", "\x00", "def f(): " * 30])))
def test_package_py_is_read_never_run(data):
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    try:
        declared_versions(text, "package.py", "py-spikeutils")
    except (SyntaxError, ValueError):  # check_package_py turns these into a clean problem
        pass
    assert "os.system" not in dir(ast)  # the reader never imports or runs the recipe


@FUZZ
@given(data=st.one_of(st.binary(max_size=400),
                      documents.map(lambda d: json.dumps(d).encode()),
                      mutations((REPO / "releases" / "catalog.json").read_text()).map(
                          lambda t: t.encode("utf-8", "surrogatepass"))))
def test_catalog_reader(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("catalog") / "catalog.json"
    path.write_bytes(data)
    before = snapshot(path.parent)
    check(lambda: load_catalog(path, "catalog.json"), path.parent, before, "catalog.json")


RICH_ENV = REPO / "tests" / "fixtures" / "spack-env"


@FUZZ
@given(data=st.one_of(fuzz_inputs(REPO / "tests" / "golden" / "2026.11" / "spack.yaml"),
                      fuzz_inputs(RICH_ENV / "spack.yaml"),
                      documents.map(lambda d: yaml.safe_dump({"spack": d}).encode()),
                      documents.map(lambda d: yaml.safe_dump({"spack": {"specs": d}}).encode())),
       included=st.one_of(st.just((RICH_ENV / "common" / "defs.yaml").read_bytes()), st.binary(max_size=200),
                          documents.map(lambda d: yaml.safe_dump(d).encode())))
def test_import_of_a_spack_environment(scratch, tmp_path_factory, data, included):
    source = tmp_path_factory.mktemp("import") / "spack.yaml"
    source.write_bytes(data)
    (source.parent / "common").mkdir()
    (source.parent / "common" / "defs.yaml").write_bytes(included)  # what the rich example includes
    before = snapshot(scratch.root)
    # a problem names spack.yaml or the file it includes: both are in its folder
    check(lambda: plan_import(scratch, source, "2031.01"), scratch.root, before, str(source.parent))


@pytest.mark.parametrize("text", ["spack: [1, 2]\n", "spack: hello\n", "- spack\n", "spack:\n  specs: 3\n"])
def test_import_of_odd_shapes_is_a_clean_error(scratch, tmp_path, text):
    source = tmp_path / "spack.yaml"
    source.write_text(text)
    with pytest.raises(LabforgeError, match="no specs list found"):
        plan_import(scratch, source, "2031.01")


stack_values = st.dictionaries(
    st.sampled_from(["cluster", "ingress", "oidc", "harbor", "hub", "drive", "storage", "clustr", ""]),
    documents, max_size=6)


@FUZZ
@given(values=stack_values)
def test_stack_config_reader(values):
    try:
        parse(values, {"oidcClientSecret"})
    except ConfigProblem as exc:
        assert exc.problems and all(str(p).startswith("labforge:") for p in exc.problems)


def _raise(problems) -> None:
    if problems:
        raise LabforgeError(problems)
