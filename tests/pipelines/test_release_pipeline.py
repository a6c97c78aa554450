"""The path a lab really takes, run by real implementations: examples/ci/release.gitlab-ci.yml,
copied into a lab's repository with the demo's small release, run by gitlab-ci-local against a
registry that asks for a Harbor robot's credentials over HTTPS. Jobs without an image run on this
host (the `labforge-image` shell runner); the generated package jobs each run in a fresh
container of the release's builder image, pulled with the robot's credentials (the
`labforge-build` Kubernetes runner). Then the image job compiles nothing, tests and publishes;
a second pipeline on the unchanged release has no package job.

Each job's wall time goes to build/pipeline-jobs.json for bench/scaleout.py."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from labforge.demo.tools import TOOLS, manifest, tool_yaml
from labforge.inputs.project import Project
from labforge.loopback.registry import local_registry, self_signed
from labforge.registry.auth import write_auth_file
from tests.helpers.lab_gitlab import (
    ORIGIN,
    REPO,
    available,
    child_jobs,
    in_dag_order,
    make_checkout,
    run_image_job,
    run_parent_jobs,
    tracked_files,
)
from tests.helpers.project import HOST_CA
from tests.helpers.spack_marks import SPACK_ROOT

pytestmark = [pytest.mark.pipelines,
              pytest.mark.skipif(not SPACK_ROOT, reason="SPACK_ROOT is not set: the pipeline runs spack"),
              pytest.mark.skipif(os.geteuid() != 0, reason="the image jobs need root and buildah"),
              pytest.mark.skipif(bool(available()), reason=str(available()))]

RELEASE = "2099.05"  # this stage's own release id
ROBOT = "robot$lab+builder"  # a Harbor robot account's name: `$` and `+` in it
PASSWORD = "pw-" + secrets.token_hex(12)
TIMINGS = REPO / "build" / "pipeline-jobs.json"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The lab's repository with the small release locked and committed, its HTTPS registry with
    basic auth, and the CI/CD variables a release manager sets in GitLab (kept outside the checkout)."""
    from labforge.spackbuild.concretize import lock_release

    tmp = tmp_path_factory.mktemp("lab")
    # An image of this release from an earlier run would be reused, and the image job would
    # then show nothing of the cache: start as a new runner does.
    subprocess.run(["buildah", "rmi", "-f", f"localhost/labforge/lab:{RELEASE}"], capture_output=True)
    files = tracked_files(REPO)
    files |= {f"spack/tools/{name}.yaml": tool_yaml(name).encode() for name in TOOLS}
    files[f"releases/{RELEASE}.yaml"] = manifest(["1.17.0"], RELEASE).encode()
    checkout = tmp / "labforge"
    for name, data in files.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_bytes(data)
    lock_release(Project(checkout), RELEASE)  # what the release manager commits with the manifest
    make_checkout(checkout, REPO / "examples" / "ci" / "release.gitlab-ci.yml")
    (checkout / ".venv").symlink_to(REPO / ".venv")  # GitLab's cache of the venv (key: requirements.lock)

    cert, key = self_signed(tmp)
    bundle = tmp / "ca-bundle.pem"  # the host's CAs (a TLS proxy here) and the registry's own
    bundle.write_text("".join(Path(p).read_text() for p in HOST_CA) + cert.read_text())
    home = tmp / "gnupg"
    home.mkdir(mode=0o700)
    gpg = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "lab release <rm@lab.example.org>",
                    "default", "default", "never"], env=gpg, check=True, capture_output=True)
    signing_key = tmp / "signing.asc"  # a CI variable of type File in GitLab
    signing_key.write_bytes(subprocess.run(["gpg", "--batch", "--armor", "--export-secret-keys"], env=gpg,
                                           check=True, capture_output=True).stdout)
    with local_registry(tmp / "registry", tls=(cert, key), users={ROBOT: PASSWORD}) as address:
        trusted = Path("/etc/containers/certs.d") / address  # how a site trusts its Harbor's CA
        trusted.mkdir(parents=True, exist_ok=True)
        shutil.copy(cert, trusted / "ca.crt")
        authfile = write_auth_file(tmp / "auth.json", address, ROBOT, PASSWORD)  # the runner's pull secret
        variables = {
            "RELEASE": RELEASE, "REGISTRY": f"{address}/lab", "BUILD_ARGS": f"--ca-cert {bundle}",
            # `$$`: GitLab (and gitlab-ci-local) expand `$lab` in a variable's value otherwise
            "LABFORGE_REGISTRY_USER": ROBOT.replace("$", "$$"), "LABFORGE_REGISTRY_PASSWORD": PASSWORD,
            # one CA setting for skopeo, oras (publish's bundle) and spack: no REQUESTS_CA_BUNDLE
            "LABFORGE_SIGNING_KEY_FILE": str(signing_key), "SSL_CERT_FILE": str(bundle), "PARENT_PIPELINE_ID": "1001"}
        # SPACK_ROOT, SPACK_PACKAGES_ROOT and SPACK_PYTHON reach the host jobs from this process's
        # environment, as a shell runner's own environment does (gitlab-ci-local takes a variable
        # naming an existing path for a File variable, and a folder cannot be one).
        host_vars = tmp / "variables.yml"
        host_vars.write_text(yaml.safe_dump(variables))
        # In the job containers: the bundle and the key where the runner mounts them.
        job_vars = tmp / "job-variables.yml"
        job_vars.write_text(yaml.safe_dump(variables | {"SSL_CERT_FILE": "/etc/labforge-ca.pem",
                                                        "LABFORGE_SIGNING_KEY_FILE": "/etc/labforge-signing.asc"}))
        try:
            yield {"checkout": checkout, "address": address, "host_vars": host_vars, "job_vars": job_vars,
                   "bundle": bundle, "authfile": authfile, "signing_key": signing_key, "scratch": tmp}
        finally:
            shutil.rmtree(trusted, ignore_errors=True)


def passed(run) -> None:
    assert run.code == 0 and "FAIL" not in run.output.split("pipeline finished")[-1], \
        f"{run.name} failed:\n{run.output[-4000:]}"


def build_seconds(name: str, output: str) -> float | None:
    """spack's own time for building the job's package from source ("Successfully installed
    NAME-VERSION-HASH / Stage: ... Total: 1m 2.34s"), from the job log; None when it built none."""
    if "/" not in name:
        return None
    spec, digest = name.split(" /")
    # A build from source times its phases from "Stage:" on the next line (gitlab-ci-local puts
    # the job's name before each); an install from the cache has no "Stage:".
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    found = re.search(rf"Successfully installed {re.escape(spec.replace('@', '-'))}-{digest[:7]}\S*[^\n]*\n"
                      r"[^\n]*?Stage: [^\n]*?Total: (?:(\d+)h )?(?:(\d+)m )?([\d.]+)s", plain)
    if not found:
        return None
    hours, minutes, secs = found.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs)


def run_job(lab, name: str) -> object:
    checkout = lab["checkout"]
    pipeline_file = checkout / "build" / "pipeline" / "pipeline.yml"
    return run_image_job(checkout, name, child_jobs(pipeline_file)[name], lab["job_vars"], lab["bundle"],
                         lab["authfile"], pipeline_file, "build/pipeline", lab["scratch"],
                         extra_mounts=[(lab["signing_key"], "/etc/labforge-signing.asc")])


def run_child_pipeline(lab) -> list[dict]:
    jobs = child_jobs(lab["checkout"] / "build" / "pipeline" / "pipeline.yml")
    order = in_dag_order({n: j for n, j in jobs.items() if n != "rebuild-index"})
    timings = []
    for name in order + (["rebuild-index"] if "rebuild-index" in jobs else []):
        run = run_job(lab, name)
        passed(run)
        timings.append({"job": name, "seconds": round(run.seconds, 1),
                        "build_seconds": build_seconds(name, run.output)})
    return timings


def test_a_release_from_an_empty_project_to_the_catalog(lab):
    checkout = lab["checkout"]
    for job in (["check"], ["builder"], ["release-pipeline"]):
        passed(run_parent_jobs(checkout, job, lab["host_vars"]))
    package_jobs = [name for name in child_jobs(checkout / "build/pipeline/pipeline.yml") if "/" in name]
    assert len(package_jobs) == 7, package_jobs  # py-six, py-packaging and what they need
    timings = run_child_pipeline(lab)
    # GitLab retries a job that pushed already (a lost pod, a manual retry): nothing is built twice.
    first = package_jobs[0]
    retried = run_job(lab, first)
    passed(retried)
    assert "is in the build cache already: nothing to build" in retried.output, retried.output[-3000:]
    assert build_seconds(first, retried.output) is None and "spack ci rebuild" not in retried.output.split(
        "nothing to build")[-1], retried.output[-3000:]
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS.write_text(json.dumps({"release": RELEASE, "jobs": timings}, indent=1) + "\n")

    image = run_parent_jobs(checkout, ["release-image"], lab["host_vars"])
    passed(image)
    assert "7 packages from the build cache, 0 compiled" in image.output, image.output[-3000:]
    catalog = json.loads((checkout / "releases" / "catalog.json").read_text())
    entry = next(r for r in catalog["releases"] if r["id"] == RELEASE)
    assert entry["image"] == f"{lab['address']}/lab/notebook" and entry["digest"].startswith("sha256:")
    # the robot's password is in no job log and no file of the checkout
    logs = [p for p in checkout.rglob("*") if p.is_file() and ".git" not in p.parts and ".venv" not in p.parts]
    assert [p for p in logs if PASSWORD.encode() in p.read_bytes()] == []

    again = run_parent_jobs(checkout, ["release-pipeline"], lab["host_vars"])
    passed(again)
    left = [name for name in child_jobs(checkout / "build/pipeline/pipeline.yml") if "/" in name]
    assert left == [], left  # every package is in the cache: the child pipeline builds nothing


def merge_request(lab, branch: str, tool: str, text: str) -> None:
    """A tool developer's merge request: a branch off main changing one submission, with the
    lab's GitLab as `origin` (a bare repository here, reached through its https URL)."""
    checkout = lab["checkout"]
    git = ["git", "-C", str(checkout), "-c", "user.name=Tool Developer", "-c", "user.email=td@lab.example.org"]
    origin = lab["scratch"] / "origin.git"
    if not origin.exists():
        subprocess.run(git + ["checkout", "-q", "main"], check=True, capture_output=True)
        subprocess.run(["git", "clone", "-q", "--bare", str(checkout), str(origin)], check=True, capture_output=True)
        subprocess.run(git + ["config", f"url.{origin}.insteadOf", ORIGIN], check=True, capture_output=True)
        subprocess.run(git + ["fetch", "-q", "origin"], check=True, capture_output=True)
        shutil.copy(REPO / "examples" / "ci" / "tool-merge-request.gitlab-ci.yml", lab["scratch"] / "mr.yml")
    subprocess.run(git + ["checkout", "-q", "-B", branch, "origin/main"], check=True, capture_output=True)
    (checkout / "spack" / "tools" / f"{tool}.yaml").write_text(text)
    shutil.copy(lab["scratch"] / "mr.yml", checkout / ".gitlab-ci.yml")
    subprocess.run(git + ["commit", "-qam", f"{tool}: {branch}"], check=True, capture_output=True)


def test_tool_merge_request_pipeline(lab):
    """examples/ci/tool-merge-request.gitlab-ci.yml as a merge-request event: one changed tool is
    checked, concretized on the newest stable release (this stage's) and built and tested in
    every version; a broken submission fails the check with exit code 1 (bad input)."""
    mr_vars = lab["scratch"] / "mr-variables.yml"
    variables = yaml.safe_load(lab["host_vars"].read_text())
    mr_vars.write_text(yaml.safe_dump(variables | {
        "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "LABFORGE_CACHE": f"{lab['address']}/spack-cache/buildcache"}))
    text = (lab["checkout"] / "spack" / "tools" / "py-six.yaml").read_text()
    merge_request(lab, "six-summary", "py-six", text.replace("summary: demo tool py-six", "summary: six, for 2 and 3"))
    run = run_parent_jobs(lab["checkout"], ["--ignore-predefined-vars", "CI_PIPELINE_SOURCE"], mr_vars)
    passed(run)
    assert "changed tools: py-six" in run.output and "PASS  tool-build" in run.output, run.output[-3000:]
    assert "py-six@1.16.0" in run.output and ": passed in" in run.output, run.output[-3000:]

    merge_request(lab, "six-broken", "py-six", text.replace("homepage: https://", "homepage: "))
    broken = run_parent_jobs(lab["checkout"], ["--ignore-predefined-vars", "CI_PIPELINE_SOURCE"], mr_vars)
    assert broken.code != 0 and "FAIL 1" in broken.output, broken.output[-3000:]
    assert "py-six.yaml" in broken.output and "homepage" in broken.output, broken.output[-3000:]
