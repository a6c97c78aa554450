"""Hostile input on the surfaces added last: locks that do not match their manifest, image
references in manifests, a release taking another's variant id, settings out of range. Each
must give one clear line naming the file, exit 1, and write nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labforge.inputs.references import reference_problem
from labforge.locks.checks import NAME, node_problem

LOCK = "releases/2026.11.lock.json"
GPU_LOCK = "releases/2026.11-gpu.lock.json"


def edit_lock(project, change, path=LOCK) -> None:
    data = json.loads((project / path).read_text())
    change(data)
    (project / path).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def drop_root(data):
    data["roots"].pop()


def extra_root(data):
    venv = next(h for h, s in data["concrete_specs"].items() if s["name"] == "python-venv")
    data["roots"].append({"hash": venv, "spec": f"python-venv@{data['concrete_specs'][venv]['version']}"})


def root_to_nowhere(data):
    data["roots"][0]["hash"] = "a" * 32


def renamed_root(data):
    data["roots"][0]["spec"] = data["roots"][0]["spec"].replace("arbor@0.9.0", "arbor@0.9.1")


def rename_node(name):
    def change(data):
        spec = next(s for s in data["concrete_specs"].values() if s["name"] == "zlib-ng")
        spec["name"] = name
    return change


def bad_version(data):
    next(s for s in data["concrete_specs"].values() if s["name"] == "zlib-ng")["version"] = "../../x"


def bad_hash_key(data):
    key, spec = next((k, s) for k, s in data["concrete_specs"].items() if s["name"] == "zlib-ng")
    data["concrete_specs"]["../" + key[3:]] = data["concrete_specs"].pop(key)


LOCK_CASES = {
    "a root missing": (drop_root, "is not among the lock's roots"),
    "an extra root": (extra_root, "is not a tool version of the release"),
    "a root pointing at no package": (root_to_nowhere, "points at no package of the lock"),
    "a root that is not its package": (renamed_root, "does not match its package"),
    "a path as package name": (rename_node("../../etc"), "is not a spack package name"),
    "an option as package name": (rename_node("--force"), "is not a spack package name"),
    "capitals in a package name": (rename_node("ZLIB"), "is not a spack package name"),
    "an empty package name": (rename_node(""), "is not a spack package name"),
    "a path as version": (bad_version, "is not a spack version"),
    "a path as hash": (bad_hash_key, "is not the package's spack hash"),
}


@pytest.mark.parametrize("case", sorted(LOCK_CASES))
def test_a_lock_that_does_not_match_its_manifest_is_refused(cli, project, case):
    change, message = LOCK_CASES[case]
    edit_lock(project, change)
    before = (project / LOCK).read_bytes()
    for command in (("release", "validate", "2026.11"), ("release", "render", "2026.11", "--out", str(project / "o"))):
        result = cli(project, *command)
        assert result.code == 1, (case, result.stdout)
        assert message in result.stderr and LOCK in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 2  # one line, and the count
    assert not (project / "o").exists() and (project / LOCK).read_bytes() == before


def test_the_gpu_lock_is_held_to_its_roots_too(cli, project):
    edit_lock(project, drop_root, GPU_LOCK)
    result = cli(project, "release", "validate", "2026.11-gpu")
    assert result.code == 1 and GPU_LOCK in result.stderr and "not among the lock's roots" in result.stderr


BAD_REFERENCES = ["--rm", "-v", "UPPER/case:1", "harbor.example.org/base image:1", "a//b", "img:", "img@sha256:12",
                  "https://harbor.example.org/base:1", "x" * 300, "img:tag:tag", "$(id)"]


@pytest.mark.parametrize("value", BAD_REFERENCES)
@pytest.mark.parametrize("field", ["gpu.base_image", "base.image"])
def test_image_references_in_manifests_are_checked(cli, project, field, value):
    path = project / "releases" / "2026.11.yaml"
    text = path.read_text()
    if field == "gpu.base_image":
        text = text.replace("  base_image: harbor.lab.example.org/base/bookworm-cuda:12.6.2",
                            f"  base_image: {json.dumps(value)}")
    else:
        text = text.replace("base:\n", f"base:\n  image: {json.dumps(value)}\n")
    path.write_text(text)
    result = cli(project, "release", "validate", "2026.11")
    assert result.code == 1 and "releases/2026.11.yaml:" in result.stderr and "Traceback" not in result.stderr
    assert ("looks like a command-line option" if value.startswith("-") else "is not an image reference") \
        in result.stderr


def test_a_release_may_not_take_another_releases_variant_id(cli, project):
    clash = project / "releases" / "2026.05-gpu.yaml"
    clash.write_text((project / "releases" / "2026.05.yaml").read_text())
    for command in (("release", "validate"), ("release", "validate", "2026.05-gpu"),
                    ("release", "render", "2026.05-gpu", "--out", str(project / "o"))):
        result = cli(project, *command)
        assert result.code == 1 and "releases/2026.05-gpu.yaml:" in result.stderr
        assert "is the id of release 2026.05's GPU variant" in result.stderr
    assert not (project / "o").exists()


@pytest.mark.parametrize("epoch", ["0", "-1", "315532799", "99999999999"])
def test_source_date_epoch_out_of_range_stops_every_command(cli, project, epoch):
    path = project / "labforge.yaml"
    path.write_text(path.read_text().replace("source_date_epoch: 1761955200", f"source_date_epoch: {epoch}"))
    result = cli(project, "release", "validate")
    assert result.code == 1 and "labforge.yaml:" in result.stderr and "source_date_epoch" in result.stderr


def test_base_build_epoch_out_of_range_is_refused(cli, project):
    result = cli(project, "base", "build", "--epoch", "100")
    assert result.code == 2 and "Traceback" not in result.stderr and "--epoch" in result.stderr


@given(st.text(min_size=1, max_size=40).map(lambda s: "-" + s))
def test_option_like_references_are_always_refused(value):
    assert reference_problem(value) is not None


@given(st.from_regex(r"[a-z0-9]{1,8}(\.[a-z]{2,5})?(:[0-9]{2,5})?/[a-z0-9]{1,8}(/[a-z0-9]{1,8})?:[a-z0-9][a-z0-9.-]{0,8}",
                     fullmatch=True))
def test_ordinary_references_are_accepted(value):
    assert reference_problem(value) is None


@given(st.text(max_size=30))
def test_a_node_name_is_a_spack_name_or_refused(name):
    spec = {"name": name, "version": "1.0", "hash": "a" * 32}
    assert (node_problem("a" * 32, spec) is None) == bool(NAME.match(name))


@pytest.mark.parametrize("value, said", [
    (["r-base-core; rm -rf /"], "is not a Debian package name"), (["--allow-unauthenticated"], "is not a Debian"),
    (["R-Base-Core"], "is not a Debian package name"), (["r-base-core", "r-base-core"], "listed twice"),
    (["r-base-core=4.2.2"], "is not a Debian package name"), (["ｒ-base"], "is not a Debian package name"),
    ([f"p{i}" for i in range(101)], "at most 100"),
])
def test_a_releases_debian_packages_are_names_only(cli, project, value, said):
    """base.packages reach apt-get's command line in a RUN step: names only, each once."""
    path = project / "releases" / "2026.11.yaml"
    path.write_text(path.read_text().replace("base:\n", f"base:\n  packages: {json.dumps(value)}\n"))
    out = project / "o"
    for command in (("release", "validate", "2026.11"), ("release", "render", "2026.11", "--out", str(out))):
        result = cli(project, *command)
        assert result.code == 1 and "releases/2026.11.yaml:" in result.stderr and said in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and not out.exists()


def test_a_releases_debian_packages_are_installed_where_spack_and_users_find_them(cli, project):
    path = project / "releases" / "2026.11.yaml"
    path.write_text(path.read_text().replace("base:\n", "base:\n  packages: [r-base-core, r-cran-irkernel]\n"))
    result = cli(project, "release", "render", "2026.11", "--out", str(project / "o"))
    assert result.code == 0, result.stderr
    text = (project / "o" / "Containerfile").read_text()
    runtime = text.split("FROM base AS runtime", 1)[1]
    builder = text.split("FROM base AS spack-builder", 1)[1].split("FROM ", 1)[0]
    for stage in (runtime, builder):
        assert "      r-base-core \\\n      r-cran-irkernel \\\n" in stage
    assert "/usr/share/jupyter/kernels" in runtime  # the "ir" kernel they bring: the release's own only
    batch = (project / "o" / "Batchfile").read_text()
    assert batch.count("      r-cran-irkernel \\\n") == batch.count("FROM base AS batch-") + 1  # + the builder
