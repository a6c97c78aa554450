"""`labforge release import` through the command line: the manifest, the stubs, the pins, the
package rules, what users get of a package asked twice, and what is said about it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from labforge.inputs.project import Project
from labforge.inputs.releases import require_release
from labforge.publish.notes import release_notes
from labforge.render.release import render_files, spack_environment
from tests.helpers.project import REPO

PREFERRED = ("--pin", "preferred")  # never spack here, even where SPACK_ROOT is set


def run_import(project, env, *args, recipes=None):
    extra = {"SPACK_PACKAGES_ROOT": str(recipes)} if recipes else {}
    result = subprocess.run([sys.executable, "-m", "labforge", "release", "import", str(env), *PREFERRED, *args],
                            capture_output=True, text=True, cwd=project,
                            env={**os.environ, "LABFORGE_PROJECT": str(project), "COLUMNS": "200", **extra})
    return result


def recipe(root, package, body):
    path = root / "repos" / "spack_repo" / "builtin" / "packages" / package.replace("-", "_") / "package.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    cls = "".join(p.capitalize() for p in package.split("-"))
    path.write_text(f"from spack.package import *\n\n\nclass {cls}(Package):\n{body}")
    return root


def test_import_makes_a_manifest_and_flagged_stubs(project, cli, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - nest@3.8 +python\n  - nest@3.7\n  - py-matplotlib@3.9.2 +fonts\n  view: true\n")
    result = cli(project, "release", "import", str(env), "--id", "2026.12", *PREFERRED)
    assert result.code == 0, result.stderr
    manifest = yaml.safe_load((project / "releases" / "2026.12.yaml").read_text())
    assert manifest["tools"][0] == {"name": "nest", "versions": ["3.8", "3.7"], "default": "3.8"}
    stub = yaml.safe_load((project / "spack" / "tools" / "py-matplotlib.yaml").read_text())
    assert stub["needs_metadata"] is True and stub["versions"] == [{"version": "3.9.2", "variants": "+fonts"}]
    assert "needs metadata: spack/tools/py-matplotlib.yaml" in result.stdout
    # the existing nest submission is left alone, and the stub fails the check until completed
    assert (project / "spack" / "tools" / "nest.yaml").read_text() == (REPO / "spack" / "tools" / "nest.yaml").read_text()
    check = cli(project, "tool", "check", "py-matplotlib")
    assert check.code == 1 and "stub from 'labforge release import'" in check.stderr


def test_an_unversioned_root_is_pinned_to_its_recipes_preferred_version_in_one_line(project, tmp_path):
    recipes = recipe(tmp_path / "packages", "py-quantities",
                     '    version("0.17.0", sha256="0" * 64, deprecated=True)\n'
                     '    version("0.16.1", sha256="1" * 64)\n    version("0.15.0", sha256="2" * 64)\n'
                     '    version("develop", branch="main")\n')
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - py-quantities\n  - py-spikeutils\n  - py-neo@0.13\n")
    recipe(recipes, "py-neo", '    with default_args(deprecated=False):\n        version("0.13.4", sha256="3" * 64)\n'
                              '        version("0.12.0", sha256="4" * 64)\n')
    result = run_import(project, env, "--id", "2026.12", recipes=recipes)
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load((project / "releases" / "2026.12.yaml").read_text())
    assert [(t["name"], t["versions"]) for t in manifest["tools"]] == [
        ("py-quantities", ["0.16.1"]), ("py-spikeutils", ["0.4.0"]), ("py-neo", ["0.13.4"])]
    said = [line for line in result.stdout.splitlines() if "pinned to" in line]
    assert said == ["  check: py-quantities pinned to 0.16.1 (the recipe's preferred version)",
                    "  check: py-spikeutils pinned to 0.4.0 (the recipe's preferred version)",  # the lab's recipe
                    "  check: py-neo@0.13 pinned to 0.13.4 (the recipe's preferred version)"]


def test_a_root_no_recipe_describes_is_one_line_and_nothing_is_written(project, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - labforge-nowhere\n  - py-nowhere@1.0\n")
    result = run_import(project, env, "--id", "2026.12", recipes=tmp_path / "none")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "spack.yaml:3: spack.specs[0]: labforge-nowhere: no recipe in" in result.stderr
    assert result.stderr.count("error:") == 1
    assert not (project / "releases" / "2026.12.yaml").exists() and not (project / "spack" / "tools" / "py-nowhere.yaml").exists()


def test_package_rules_are_kept_rendered_and_shown(project, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("""\
spack:
  specs: [arbor@0.9.0, "geant4@11.3.2 %gcc@12 target=x86_64_v4 ^[virtuals=gl] osmesa"]
  packages:
    all:
      require: ["%gcc", target=x86_64_v3]
      providers: {mpi: [mpich]}
      variants: +mpi
    c: {require: gcc@11}
    mpi: {require: [mpich]}
    hdf5:
      require: ['@1.14 +hl', {spec: '+fortran', when: '%gcc@12'}]
      target: [x86_64_v3]
    geant4-data:
      buildable: false
      externals: [{spec: geant4-data@11.3.0, prefix: /usr/share/geant4/data/}]
""")
    result = run_import(project, env, "--id", "2026.12")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load((project / "releases" / "2026.12.yaml").read_text())
    assert manifest["packages"] == {
        "all": {"providers": {"mpi": ["mpich"]}, "variants": "+mpi"},  # its compiler and target are labforge's
        "mpi": {"require": ["mpich"]},
        "hdf5": {"require": ["@1.14 +hl"]},  # the requirement only when %gcc@12 is gone
        "geant4-data": {"buildable": False, "externals": [{"spec": "geant4-data@11.3.0",
                                                           "prefix": "/usr/share/geant4/data/"}]},
    }
    said = result.stdout
    assert "packages: labforge's own (images use the OS compiler and Python): not kept: c" in said
    assert "packages: target not kept (the target is spack.target in labforge.yaml): hdf5" in said
    assert "compilers (images build with the OS compiler, gcc 12.2.0): dropped from 1 tool(s): geant4" in said
    geant4 = yaml.safe_load((project / "spack" / "tools" / "geant4.yaml").read_text())
    assert geant4["versions"] == [{"version": "11.3.2", "variants": "^[virtuals=gl] osmesa"}]
    for path in (project / "spack" / "tools").glob("*.yaml"):  # reviewed by a person
        path.write_text(path.read_text().replace("needs_metadata: true\n", ""))
    loaded = require_release(Project(project), "2026.12")
    spack = yaml.safe_load(spack_environment(Project(project), loaded)[0])["spack"]["packages"]
    assert spack["all"]["require"] == ["target=x86_64_v2"] and spack["all"]["providers"] == {"mpi": ["mpich"]}
    assert spack["mpi"] == {"require": ["mpich"]} and spack["hdf5"] == {"require": ["@1.14 +hl"]}
    assert spack["geant4-data"] == {"buildable": False, "externals": [
        {"spec": "geant4-data@11.3.0", "prefix": "/usr/share/geant4/data"}]}
    assert spack["gcc"]["externals"][0]["prefix"] == "/usr"  # labforge's own rules stand
    record = json.loads(render_files(Project(project), loaded, with_spack=False)[0]["release.json"])
    assert record["provided"] == ["geant4-data@11.3.0 at /usr/share/geant4/data"]  # and so in the catalog
    notes = release_notes(Project(project), "2026.12", against="2026.11")
    assert "## Provided by the base image" in notes
    assert "- geant4-data@11.3.0 from `/usr/share/geant4/data` (never built)" in notes


def test_a_package_asked_in_two_ways_is_one_module_and_said_so(project, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - arbor@0.11.0 build_system=autotools\n  - arbor@0.11.0 build_system=cmake\n"
                   "  - arbor@0.11.0 +cuda cuda_arch=80\n")
    result = run_import(project, env, "--id", "2026.12")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load((project / "releases" / "2026.12.yaml").read_text())
    assert manifest["tools"] == [{"name": "arbor", "versions": ["0.11.0"]}]
    lines = [line for line in result.stdout.splitlines() if "one module" in line]
    assert lines == ["  check: arbor@0.11.0: one module (arbor/0.11.0), built as 'build_system=autotools'; also "
                     "asked as 'build_system=cmake', '+cuda cuda_arch=80', not built (add a tool of its own to "
                     "offer another build)"]


def test_import_refuses_to_overwrite(project, cli, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - arbor@0.11.0\n")
    result = cli(project, "release", "import", str(env), "--id", "2026.11", *PREFERRED)
    assert result.code == 1 and "already exists" in result.stderr


def test_import_rejects_bad_id_and_pin(project, cli, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - arbor@0.11.0\n")
    result = cli(project, "release", "import", str(env), "--id", "next", *PREFERRED)
    assert result.code == 1 and "YYYY.MM" in result.stderr and "Traceback" not in result.stderr
    result = cli(project, "release", "import", str(env), "--id", "2026.12", "--pin", "newest")
    assert result.code == 1 and "--pin: unknown choice 'newest'" in result.stderr


NEURO_ENV = """\
spack:
  definitions:
  - python_tools: [py-dipy@1.9.0, py-mne@1.8.0, py-neo@0.13.3, py-elephant@1.1.1, py-quantities@0.16.1]
  - simulators: [neuron@8.2.6, nest@3.8]
  specs:
  - fsl@6.0.7.16 %gcc@11.4.0
  - freesurfer@7.4.1 target=skylake
  - afni@24.3.00
  - ants@2.5.3 %gcc@11.4.0 ^itk@5.3.0%gcc@11.4.0
  - $python_tools
  - matrix:
    - [$simulators]
    - [+python]
  - brian2@2.7.1
  view: true
  concretizer:
    unify: true
  packages:
    all:
      require: target=skylake
  compilers: []
"""


def test_import_of_a_real_neuroscience_environment(project, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text(NEURO_ENV)
    recipes = recipe(tmp_path / "spack-packages", "py-mne",
                     '    """MNE-Python: exploring, visualizing and analyzing human neurophysiological data.\n\n'
                     '    Longer text."""\n\n    homepage = "https://mne.tools"\n    license("BSD-3-Clause")\n'
                     '    import os\n    os.system("echo never run")\n')
    result = run_import(project, env, "--id", "2026.12", recipes=recipes)
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load((project / "releases" / "2026.12.yaml").read_text())
    names = [t["name"] for t in manifest["tools"]]
    assert len(names) == 12 and {"py-mne", "neuron", "nest", "fsl", "brian2"} <= set(names)
    assert "packages" not in manifest  # the only rule was the target
    fsl = yaml.safe_load((project / "spack" / "tools" / "fsl.yaml").read_text())
    assert fsl["versions"] == [{"version": "6.0.7.16"}]  # the compiler pin is gone
    ants = yaml.safe_load((project / "spack" / "tools" / "ants.yaml").read_text())
    assert ants["versions"] == [{"version": "2.5.3", "variants": "^itk@5.3.0"}]
    free = yaml.safe_load((project / "spack" / "tools" / "freesurfer.yaml").read_text())
    assert free["versions"] == [{"version": "7.4.1"}]
    out = result.stdout
    assert "compilers (images build with the OS compiler, gcc 12.2.0): dropped from 2 tool(s): ants, fsl" in out
    assert "targets and architectures (the target is spack.target in labforge.yaml): dropped from 1 tool(s): " \
           "freesurfer" in out
    for key in ("concretizer", "compilers"):
        assert f"spack:{key} not imported:" in out
    mne = yaml.safe_load((project / "spack" / "tools" / "py-mne.yaml").read_text())
    assert mne["summary"].startswith("MNE-Python: exploring") and mne["homepage"] == "https://mne.tools"
    assert mne["license"] == "BSD-3-Clause" and mne["needs_metadata"] is True  # still for a person to review
    assert "1 stub(s) took summary, homepage and license from spack's recipes: review them" in out
    assert "never run" not in out + result.stderr
    nest = yaml.safe_load((project / "spack" / "tools" / "nest.yaml").read_text())
    assert nest["name"] == "nest"  # the existing submission is left alone
    assert "spack/tools/nest.yaml (3.8)" in out
    dipy = yaml.safe_load((project / "spack" / "tools" / "py-dipy.yaml").read_text())
    assert dipy["license"] == "TODO"  # no recipe at hand: a placeholder, flagged
    assert "py-dipy: no recipe was found to describe it: complete spack/tools/py-dipy.yaml" in out
