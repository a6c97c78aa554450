"""What the build cache holds gets no job: `spack ci generate` prunes it, reading the cache's
index over HTTPS (as Harbor serves it). Real spack and a real registry on loopback with its own
self-signed certificate; the cached packages are pushed from a `spack install --fake`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from conftest import REPO, copy_project
from labforge.images.pipeline import PipelineOptions, generate_pipeline, jobs_of
from labforge.images.registry import local_registry
from labforge.project import Project
from labforge.spackbuild.lockfile import release_lock
from spack_marks import needs_spack

pytestmark = needs_spack
RELEASE = "2026.11"  # its lock is committed: nothing to concretize
CACHED = 4  # packages pushed before the pipeline is generated


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA, and its key."""
    cert, key = folder / "registry.crt", folder / "registry.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def spack(project: Project, scratch: Path, *args: str) -> str:
    from labforge.images import spack_source
    from labforge.images.lock import config_scope, pinned_spack

    spack_root, packages, _ = pinned_spack(project)
    done = subprocess.run([str(spack_root / "bin" / "spack"), "-C", str(config_scope(scratch, packages)), *args],
                          capture_output=True, text=True, env=spack_source.host_environment())
    assert done.returncode == 0, f"spack {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def push_fake(project: Project, scratch: Path, cache_url: str, hashes: list[str]) -> None:
    """Fake-install `hashes` from the release's lock and push them (unsigned) to the cache."""
    from labforge.images.lock import host_environment
    from labforge.releases import require_release
    from labforge.render import spack_environment

    spack_yaml, _ = spack_environment(project, require_release(project, RELEASE))
    scratch.mkdir()
    env = host_environment(spack_yaml, project, scratch, lock=release_lock(project, RELEASE).spack)
    specs = [f"/{h}" for h in hashes]
    spack(project, scratch, "-e", str(env), "install", "--fake", "--no-check-signature", *specs)
    spack(project, scratch, "-e", str(env), "buildcache", "push", "--unsigned", "--only", "package", cache_url, *specs)
    spack(project, scratch, "-e", str(env), "buildcache", "update-index", cache_url)


def test_packages_in_the_cache_get_no_job(tmp_path, monkeypatch):
    project = Project(copy_project(tmp_path / "project"))
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # this test's registry is its own CA
    lock = release_lock(project, RELEASE)
    built = {h: node for h, node in lock.nodes.items() if not node.external}
    # leaves: all their dependencies are externals, so the cache holds them whole
    leaves = sorted(h for h, node in built.items() if not any(dep in built for _, dep, _ in node.deps))[:CACHED]
    assert len(leaves) == CACHED
    with local_registry(tmp_path / "registry", tls=(cert, key)) as address:
        location = f"{address}/spack-cache/buildcache"
        push_fake(project, tmp_path / "fake", f"oci://{location}", leaves)
        options = PipelineOptions(location, f"{address}/lab/builder:{RELEASE}", tls_verify=True, signed=False,
                                  credentials=False)
        out = tmp_path / "pipeline.yml"
        result = generate_pipeline(project, RELEASE, out, options)
    jobs = jobs_of(yaml.safe_load(out.read_text()))
    hashes = {job["variables"]["SPACK_JOB_SPEC_DAG_HASH"] for job in jobs.values()}
    assert hashes == set(built) - set(leaves)
    assert (result.jobs, result.pruned) == (len(built) - CACHED, CACHED)
    needed = {need["job"] for job in jobs.values() for need in job.get("needs", []) if "pipeline" not in need}
    assert needed <= set(jobs)  # nothing waits for a package that has no job
