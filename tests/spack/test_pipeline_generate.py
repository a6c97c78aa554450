"""`labforge release pipeline` with a real spack (`spack ci generate`): the child pipeline is valid
GitLab CI, holds one job per package to build with `needs` equal to the lock's edges, names
secrets only as variables, is byte-identical run to run, and refuses a stale lock or an
unreachable cache with one line and nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from labforge.inputs.project import Project
from labforge.locks.lockfile import release_lock
from labforge.loopback.registry import local_registry
from labforge.spackbuild.pipeline import jobs_of
from tests.helpers.lab_gitlab import gitlab_problems
from tests.helpers.spack_marks import needs_spack

pytestmark = needs_spack
SECRET = "pipeline-test-secret-4f1c"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    with local_registry(tmp_path_factory.mktemp("registry") / "storage") as address:
        yield address


# What a GitLab job sets in every job's environment (values of another project and pipeline).
GITLAB_JOB = {"CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": "/builds/lab/labforge", "CI_PIPELINE_ID": "4711",
              "CI_JOB_NAME": "some-other-job", "CI_JOB_ID": "99", "CI_COMMIT_SHA": "0" * 40,
              "CI_COMMIT_REF_NAME": "main", "CI_SERVER_URL": "https://gitlab.lab.example.org",
              "SPACK_PIPELINE_TYPE": "spack_protected_branch", "SPACK_PRUNE_UP_TO_DATE": "False"}


def generate(cli, project: Path, registry: str, *extra: str, seed: str = "0", job_env: dict | None = None):
    added = {"PYTHONHASHSEED": seed, **(job_env or {})}
    os.environ.update(added)  # the CLI runs in a subprocess with this environment
    try:
        return cli(project, "release", "pipeline", "2026.11", "--registry", f"{registry}/lab", "--no-tls-verify",
                   *extra)
    finally:
        for key in added:
            del os.environ[key]


@pytest.fixture(scope="module")
def generated(tmp_path_factory, registry):
    from tests.helpers.project import copy_project, run_cli

    project = copy_project(tmp_path_factory.mktemp("pipeline") / "project")
    os.environ["LABFORGE_REGISTRY_PASSWORD"] = SECRET
    try:
        result = generate(run_cli, project, registry, "--unsigned-cache")
    finally:
        del os.environ["LABFORGE_REGISTRY_PASSWORD"]
    assert result.code == 0, result.stderr
    return project, result


def test_child_pipeline_is_valid_gitlab_ci(generated):
    project, result = generated
    pipeline = yaml.safe_load((project / "build/pipeline/2026.11/pipeline.yml").read_text())
    assert gitlab_problems(pipeline) == []
    assert "94 package jobs (0 packages already in the cache)" in result.stdout


def test_a_plain_http_cache_is_said_to_prune_nothing(generated):
    _, result = generated
    assert "index only over HTTPS; with --no-tls-verify every package gets a job" in " ".join(result.stderr.split())


def test_one_job_per_package_and_needs_follow_the_lock(generated):
    project, _ = generated
    lock = release_lock(Project(project), "2026.11")
    jobs = jobs_of(yaml.safe_load((project / "build/pipeline/2026.11/pipeline.yml").read_text()))
    to_build = {h for h, node in lock.nodes.items() if not node.external}
    by_hash = {job["variables"]["SPACK_JOB_SPEC_DAG_HASH"]: (name, job) for name, job in jobs.items()}
    assert set(by_hash) == to_build  # externals (gcc, glibc, python) have no job
    for digest, (name, job) in by_hash.items():
        node = lock.nodes[digest]
        assert name.startswith(f"{node.name}@{node.version} /{digest}")
        needed = {by_hash_name.split("/")[-1] for by_hash_name in
                  (need["job"] for need in job["needs"] if "pipeline" not in need)}
        assert needed == {h for _, h, _ in node.deps if h in to_build}, name
        parent = [need for need in job["needs"] if "pipeline" in need]
        assert parent == [{"job": "release-pipeline", "pipeline": "$PARENT_PIPELINE_ID"}]  # the environment
        assert job["image"].endswith("/lab/builder:2026.11") and job["tags"] == ["labforge-build"]
        assert job["script"] == ["cd build/pipeline/2026.11/artifacts/concrete_environment",
                                 "spack env activate --without-view .", "spack ci rebuild"]


def test_secrets_are_variables_never_values(generated):
    project, _ = generated
    written = [p for p in (project / "build").rglob("*") if p.is_file()]
    # the pipeline, the jobs' spack.yaml and spack.lock, labforge's list of them, the log
    assert sorted(p.name for p in written) == [".labforge-tree.json", "2026.11-pipeline.log", "pipeline.yml",
                                               "spack.lock", "spack.yaml"]
    assert not any(SECRET in p.read_text() for p in written)
    env = yaml.safe_load((project / "build/pipeline/2026.11/artifacts/concrete_environment/spack.yaml").read_text())
    mirror = env["spack"]["mirrors"]["buildcache-destination"]
    assert mirror["access_pair"] == {"id_variable": "LABFORGE_REGISTRY_USER",
                                     "secret_variable": "LABFORGE_REGISTRY_PASSWORD"}
    assert env["spack"]["config"]["install_tree"]["root"] == "/opt/software"  # the builder image's paths


def test_signed_cache_trusts_the_key_from_a_ci_variable(cli, project, registry):
    result = generate(cli, project, registry)
    assert result.code == 0, result.stderr
    job = next(iter(jobs_of(yaml.safe_load((project / "build/pipeline/2026.11/pipeline.yml").read_text())).values()))
    assert 'spack gpg trust "$LABFORGE_SIGNING_KEY_FILE"' in job["before_script"]


def test_same_lock_same_pipeline(cli, generated, registry):
    project, _ = generated
    path = project / "build/pipeline/2026.11/pipeline.yml"
    before = path.read_bytes()
    assert generate(cli, project, registry, "--unsigned-cache", seed="12345").code == 0
    assert path.read_bytes() == before


def test_inside_a_gitlab_job_the_same_bytes_and_paths_inside_the_checkout(cli, generated, registry):
    """GitLab sets CI_PROJECT_DIR, CI_PIPELINE_ID, CI_JOB_NAME... in every job: generation ignores
    them, and every path a job uses is relative to the job's own checkout."""
    project, _ = generated
    folder = project / "build/pipeline/2026.11"
    before = {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert generate(cli, project, registry, "--unsigned-cache", job_env=GITLAB_JOB).code == 0
    after = {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert after == before
    pipeline = yaml.safe_load(before[Path("pipeline.yml")])
    variables = pipeline["variables"]  # what every job gets
    assert variables["SPACK_PIPELINE_TYPE"] == "None"  # the job's SPACK_PIPELINE_TYPE did not leak in
    for key in ("SPACK_CONCRETE_ENV_DIR", "SPACK_ARTIFACTS_ROOT", "SPACK_JOB_LOG_DIR", "SPACK_JOB_REPRO_DIR"):
        path = Path(variables[key])
        assert not path.is_absolute() and ".." not in path.parts, (key, path)
        assert path.parts[:3] == ("build", "pipeline", "2026.11"), (key, path)
    assert (project / variables["SPACK_CONCRETE_ENV_DIR"] / "spack.lock").is_file()
    for name, job in jobs_of(pipeline).items():
        assert job["script"][0] == f"cd {variables['SPACK_CONCRETE_ENV_DIR']}", name
        assert all(Path(p).parts[:3] == ("build", "pipeline", "2026.11") for p in job["artifacts"]["paths"]), name


def test_out_outside_the_checkout_is_refused_before_anything(cli, project, registry, tmp_path):
    result = cli(project, "release", "pipeline", "2026.11", "--registry", f"{registry}/lab", "--no-tls-verify",
                 "--out", str(tmp_path / "elsewhere" / "pipeline.yml"))
    assert result.code == 1 and "--out" in result.stderr and "outside the checkout" in result.stderr, result.stderr
    assert not (tmp_path / "elsewhere").exists() and not (project / "build").exists()


def test_stale_lock_or_dead_cache_is_one_line_and_writes_nothing(cli, project, registry):
    out = ["--out", str(project / "ci" / "pipeline.yml")]
    manifest = project / "releases" / "2026.11.yaml"
    manifest.write_text(manifest.read_text().replace('versions: ["2.20.1", "3.0"]', 'versions: ["3.0"]'))
    stale = cli(project, "release", "pipeline", "2026.11", "--registry", f"{registry}/lab", "--no-tls-verify", *out)
    dead = cli(project, "release", "pipeline", "2026.05", "--registry", "127.0.0.1:9/lab", "--no-tls-verify", *out)
    nowhere = cli(project, "release", "pipeline", "2026.05", *out)
    for result, message in ((dead, "is not reachable"), (nowhere, "needs a build cache and a builder image")):
        assert result.code == 1 and message in result.stderr and len(result.stderr.splitlines()) == 2, result.stderr
    assert stale.code == 1 and "releases/2026.11.lock.json" in stale.stderr, stale.stderr
    assert not (project / "ci").exists()
