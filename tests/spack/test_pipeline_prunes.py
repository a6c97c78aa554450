"""What the build cache holds gets no job: `spack ci generate` prunes it, reading the cache's
index over HTTPS (as Harbor serves it). Real spack and a real registry on loopback with its own
self-signed certificate; the cached packages are pushed from a `spack install --fake`."""

from __future__ import annotations

import yaml

from labforge.inputs.project import Project
from labforge.locks.lockfile import release_lock
from labforge.loopback.registry import local_registry, self_signed
from labforge.spackbuild.pipeline import PipelineOptions, generate_pipeline, jobs_of
from tests.helpers.fake_install import leaves, locked_environment, spack_in
from tests.helpers.project import copy_project
from tests.helpers.spack_marks import needs_spack

pytestmark = needs_spack
RELEASE = "2026.11"  # its lock is committed: nothing to concretize
CACHED = 4  # packages pushed before the pipeline is generated


def test_packages_in_the_cache_get_no_job(tmp_path, monkeypatch):
    project = Project(copy_project(tmp_path / "project"))
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # this test's registry is its own CA
    built = {h for h, node in release_lock(project, RELEASE).nodes.items() if not node.external}
    cached = leaves(project, RELEASE, CACHED)
    with local_registry(tmp_path / "registry", tls=(cert, key)) as address:
        location = f"{address}/spack-cache/buildcache"
        env, scope = locked_environment(project, RELEASE, tmp_path / "fake")
        specs = [f"/{h}" for h in cached]
        spack_in(env, scope, "install", "--fake", "--no-check-signature", *specs)
        spack_in(env, scope, "buildcache", "push", "--unsigned", "--only", "package", f"oci://{location}", *specs)
        spack_in(env, scope, "buildcache", "update-index", f"oci://{location}")
        options = PipelineOptions(location, f"{address}/lab/builder:{RELEASE}", tls_verify=True, signed=False,
                                  credentials=False)
        out = project.root / "build" / "pipeline" / "pipeline.yml"  # inside the checkout, as in a job
        result = generate_pipeline(project, RELEASE, out, options)
    jobs = jobs_of(yaml.safe_load(out.read_text()))
    hashes = {job["variables"]["SPACK_JOB_SPEC_DAG_HASH"] for job in jobs.values()}
    assert hashes == built - set(cached)
    assert (result.jobs, result.pruned) == (len(built) - CACHED, CACHED)
    needed = {need["job"] for job in jobs.values() for need in job.get("needs", []) if "pipeline" not in need}
    assert needed <= set(jobs)  # nothing waits for a package that has no job
