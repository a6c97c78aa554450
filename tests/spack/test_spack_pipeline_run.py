"""The release pipeline, run here for real: this test plays the GitLab runner. It builds and
pushes the small release's builder image, generates the child pipeline, runs each package job
in DAG order in that image (pulled from the registry) with the variables the pipeline gives it
and the project checked out at CI_PROJECT_DIR, then its rebuild-index job; then `release build`
compiles nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from conftest import HOST_CA, REPO
from spack_marks import needs_spack_images

from labforge.demo.tools import small_release_project
from labforge.locks.lockfile import release_lock
from labforge.project import Project

pytestmark = needs_spack_images
RELEASE = "2099.03"  # this test's own: tests run in parallel, and image names follow release ids
CHECKOUT = "/builds/lab/labforge"  # where a GitLab runner puts the project in a job's pod


def in_dag_order(jobs: dict[str, dict]) -> list[str]:
    done: list[str] = []
    while len(done) < len(jobs):
        ready = sorted(name for name, job in jobs.items() if name not in done and all(
            need["job"] in done for need in job["needs"] if "pipeline" not in need))
        assert ready, "the needs form a cycle"
        done += ready
    return done


def run_job(image: str, project: Path, name: str, job: dict, variables: dict) -> subprocess.CompletedProcess:
    """What GitLab's runner does with a job: a fresh container of its image, the checkout
    mounted at CI_PROJECT_DIR, its variables in the environment, before_script then script."""
    container = subprocess.run(["buildah", "from", "--tls-verify=false", f"docker://{image}"], check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
    env = {**variables, **job.get("variables", {}), "CI_PROJECT_DIR": CHECKOUT, "CI_JOB_NAME": name}
    # This machine reaches the internet through a TLS-intercepting proxy: like a site's runner,
    # give the job the host's CA bundle (spack reads SSL_CERT_FILE) to fetch sources.
    mounts = [arg for ca in HOST_CA[:1] for arg in ("-v", f"{ca}:/etc/labforge-ca.pem:ro")]
    env |= {"SSL_CERT_FILE": "/etc/labforge-ca.pem"} if mounts else {}
    script = "\n".join(["set -e", *job.get("before_script", []), *job["script"]])
    try:
        return subprocess.run(["buildah", "run", "--isolation", "chroot", "--network", "host",
                               "-v", f"{project}:{CHECKOUT}", *mounts, "--workingdir", CHECKOUT,
                               *[arg for key, value in sorted(env.items()) for arg in ("-e", f"{key}={value}")],
                               container, "--", "bash", "-c", script], capture_output=True, text=True, timeout=1800)
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)


def test_generated_jobs_build_every_package_and_the_image_compiles_nothing(tmp_path):
    from labforge.images.builder_image import build_builder
    from labforge.images.release_image import build_release
    from labforge.loopback.registry import local_registry
    from labforge.spackbuild.concretize import lock_release
    from labforge.spackbuild.pipeline import PipelineOptions, generate_pipeline, jobs_of

    project = small_release_project(Project(REPO), tmp_path / "project", RELEASE)
    lock_release(project, RELEASE)
    lock = release_lock(project, RELEASE)
    with local_registry(tmp_path / "registry") as address:
        builder = build_builder(project, RELEASE, f"{address}/lab", ca_certs=HOST_CA, tls_verify=False)
        image = builder.reference
        options = PipelineOptions(f"{address}/spack-cache/buildcache", image, tls_verify=False, signed=False,
                                  credentials=False)
        out = project.build_dir / "pipeline" / RELEASE / "pipeline.yml"
        result = generate_pipeline(project, RELEASE, out, options)
        pipeline = yaml.safe_load(out.read_text())
        jobs = jobs_of(pipeline)
        assert result.jobs == len(jobs) == len(lock.nodes) - sum(n.external for n in lock.nodes.values())
        # the package jobs in DAG order, then the pipeline's last stage: the cache index
        for name in in_dag_order(jobs) + ["rebuild-index"]:
            job = run_job(image, project.root, name, pipeline[name], pipeline["variables"])
            assert job.returncode == 0, f"{name}:\n{job.stdout[-3000:]}\n{job.stderr[-2000:]}"
        # (Pruning what the cache holds from a new pipeline needs an HTTPS cache, as spack 1.1
        # cannot read the index of an oci+http:// one: test_pipeline_prunes.py.)

        built = build_release(project, RELEASE, ca_certs=HOST_CA, force=True, no_cache=True, tls_verify=False,
                              spack_cache=options.cache, unsigned_cache=True)
        assert built.spack.compiled == 0 and built.spack.from_cache == result.jobs, built.spack
