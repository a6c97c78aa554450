from __future__ import annotations

import yaml

from labforge.inputs.releases import Release
from labforge.publish.notes import diff_releases
from tests.helpers.project import REPO


def release(**tools) -> Release:
    return Release.model_validate({
        "id": "2026.11", "channel": "stable", "python": "3.11",
        "tools": [{"name": n, "versions": v[0], "default": v[1]} for n, v in tools.items()],
    })


def test_diff_sorts_changes_into_sections():
    old = release(nest=(["3.7"], None), arbor=(["0.11.0"], None), gone=(["1.0"], None), same=(["2.0", "2.1"], "2.0"))
    new = release(nest=(["3.7", "3.8"], "3.8"), arbor=(["0.10.0"], None), fresh=(["0.1"], None), same=(["2.0", "2.1"], "2.1"))
    text = diff_releases(old, new)
    sections = {block.split("\n", 1)[0]: block for block in text.split("## ")[1:]}
    assert "**fresh** 0.1" in sections["Added"]
    assert "**gone** 1.0" in sections["Removed"]
    assert "**nest** 3.7 → 3.8 (still available: 3.7)" in sections["Upgraded"]
    assert "**arbor** 0.11.0 → 0.10.0" in sections["Downgraded"]
    assert "`module load same` now loads 2.1 (was 2.0)" in sections["Default changes"]
    assert "same" not in sections["Upgraded"]


def test_diff_compares_versions_numerically():
    text = diff_releases(release(x=(["3.9"], None)), release(x=(["3.10"], None)))
    assert "## Upgraded" in text and "3.9 → 3.10" in text


def test_diff_of_identical_releases_says_so():
    r = release(x=(["1"], None))
    assert "No tool changes." in diff_releases(r, r)


def test_diff_cli_writes_markdown(project, cli, tmp_path):
    result = cli(project, "release", "diff", "2026.05", "2026.11", "--out", str(tmp_path / "notes.md"))
    assert result.code == 0, result.stderr
    text = (tmp_path / "notes.md").read_text()
    assert text.startswith("# Release 2026.11") and "**nest** 2.20.1 → 3.0" in text


def test_import_makes_a_manifest_and_flagged_stubs(project, cli, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - nest@3.8 +python\n  - nest@3.7\n  - py-matplotlib@3.9.2 +fonts\n  view: true\n")
    result = cli(project, "release", "import", str(env), "--id", "2026.12")
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


def test_import_rejects_unversioned_specs_and_writes_nothing(project, cli, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - nest\n  - arbor@0.11.0\n")
    result = cli(project, "release", "import", str(env), "--id", "2026.12")
    assert result.code == 1 and "has no version" in result.stderr and "Traceback" not in result.stderr
    assert not (project / "releases" / "2026.12.yaml").exists()


def test_import_refuses_to_overwrite(project, cli, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - arbor@0.11.0\n")
    result = cli(project, "release", "import", str(env), "--id", "2026.11")
    assert result.code == 1 and "already exists" in result.stderr


def test_import_rejects_bad_id(project, cli, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text("spack:\n  specs:\n  - arbor@0.11.0\n")
    result = cli(project, "release", "import", str(env), "--id", "next")
    assert result.code == 1 and "YYYY.MM" in result.stderr and "Traceback" not in result.stderr


def test_happy_paths(project, cli, tmp_path):
    assert cli(project, "tool", "check").code == 0
    ok = cli(project, "release", "validate")
    assert ok.code == 0 and "3 releases valid" in ok.stdout
    demo = cli(project, "demo", "--render-only")
    assert demo.code == 0, demo.stderr
    assert (project / "build" / "render" / "experimental" / "Containerfile").exists()


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


def fake_recipes(root):
    recipe = root / "repos" / "spack_repo" / "builtin" / "packages" / "py_mne" / "package.py"
    recipe.parent.mkdir(parents=True)
    recipe.write_text('from spack.package import *\n\n\nclass PyMne(PythonPackage):\n'
                      '    """MNE-Python: exploring, visualizing and analyzing human neurophysiological data.\n\n'
                      '    Longer text."""\n\n    homepage = "https://mne.tools"\n    license("BSD-3-Clause")\n'
                      '    import os\n    os.system("echo never run")\n')
    (root / "repos" / "spack_repo" / "builtin" / "repo.yaml").write_text("repo:\n  namespace: builtin\n")
    return root


def test_import_of_a_real_neuroscience_environment(project, cli, tmp_path):
    env = tmp_path / "spack.yaml"
    env.write_text(NEURO_ENV)
    recipes = fake_recipes(tmp_path / "spack-packages")
    import os
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "labforge", "release", "import", str(env), "--id", "2026.12"],
                            capture_output=True, text=True, cwd=project,
                            env={**os.environ, "LABFORGE_PROJECT": str(project), "SPACK_PACKAGES_ROOT": str(recipes)})
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load((project / "releases" / "2026.12.yaml").read_text())
    names = [t["name"] for t in manifest["tools"]]
    assert len(names) == 12 and {"py-mne", "neuron", "nest", "fsl", "brian2"} <= set(names)
    fsl = yaml.safe_load((project / "spack" / "tools" / "fsl.yaml").read_text())
    assert fsl["versions"] == [{"version": "6.0.7.16"}]  # the compiler pin is gone
    ants = yaml.safe_load((project / "spack" / "tools" / "ants.yaml").read_text())
    assert ants["versions"] == [{"version": "2.5.3", "variants": "^itk@5.3.0"}]
    free = yaml.safe_load((project / "spack" / "tools" / "freesurfer.yaml").read_text())
    assert free["versions"] == [{"version": "7.4.1"}]
    out = result.stdout
    assert "fsl@6.0.7.16: dropped %gcc@11.4.0" in out and "freesurfer@7.4.1: dropped target=skylake" in out
    assert "ants@2.5.3: dropped ^itk: %gcc@11.4.0" in out
    for key in ("packages", "concretizer", "compilers"):
        assert f"spack:{key} not imported:" in out
    mne = yaml.safe_load((project / "spack" / "tools" / "py-mne.yaml").read_text())
    assert mne["summary"].startswith("MNE-Python: exploring") and mne["homepage"] == "https://mne.tools"
    assert mne["license"] == "BSD-3-Clause" and mne["needs_metadata"] is True  # still for a person to review
    assert "spack/tools/py-mne.yaml: summary, homepage and license taken from spack's recipe" in out
    assert "never run" not in out + result.stderr
    nest = yaml.safe_load((project / "spack" / "tools" / "nest.yaml").read_text())
    assert nest["name"] == "nest"  # the existing submission is left alone
    assert "spack/tools/nest.yaml exists: check it offers 3.8" in out
    dipy = yaml.safe_load((project / "spack" / "tools" / "py-dipy.yaml").read_text())
    assert dipy["license"] == "TODO"  # no recipe at hand: a placeholder, flagged
