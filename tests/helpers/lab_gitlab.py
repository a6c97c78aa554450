"""A lab's GitLab, as far as this machine can have one: its repository (a git checkout with a
GitLab remote), gitlab-ci-local (a GitLab CI implementation, pinned by the Makefile) running the
example pipelines, and a Kubernetes-style runner for jobs with an `image:`: a fresh buildah
container of that image per job, the checkout at CI_PROJECT_DIR, and gitlab-ci-local run inside
it, so GitLab's own job semantics (variables, before_script, script, artifacts) apply.

What a real runner brings into a job pod besides the image (its helper) is brought here the
same way, read-only: node and gitlab-ci-local, rsync (gitlab-ci-local copies the checkout with
it) and the library rsync needs that the image lacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from tests.helpers.project import REPO

GCL = REPO / "build" / "tools" / "gitlab-ci-local" / "node_modules" / "gitlab-ci-local" / "dist" / "index.js"
SET_METHODS = REPO / ".ci" / "gitlab-ci-local" / "set-methods.mjs"  # Node.js 20 lacks Set.union & co.
ORIGIN = "https://gitlab.lab.example.org/lab/labforge.git"
CHECKOUT = "/builds/lab/labforge"  # CI_PROJECT_DIR of image jobs: /builds/ + the project's path
HELPER = "/opt/labforge-runner"  # where the runner's own tools are mounted in a job container


def available() -> str | None:
    """None when gitlab-ci-local and its needs are here, else what is missing."""
    missing = [str(p) for p in (GCL, SET_METHODS) if not p.exists()]
    missing += [tool for tool in ("node", "rsync", "git", "buildah") if not shutil.which(tool)]
    return f"missing: {', '.join(missing)} (make test-pipelines installs them)" if missing else None


def make_checkout(root: Path, pipeline: Path) -> Path:
    """The files at `root`, with `pipeline` as .gitlab-ci.yml, committed in a git repository
    with a GitLab remote (gitlab-ci-local derives the project's path from it)."""
    shutil.copy(pipeline, root / ".gitlab-ci.yml")
    git = ["git", "-C", str(root), "-c", "user.name=Release Manager", "-c", "user.email=rm@lab.example.org"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "release"],
                 ["remote", "add", "origin", ORIGIN]):
        subprocess.run(git + args, check=True, capture_output=True)
    return root


def tracked_files(repo: Path) -> dict[str, bytes]:
    """The repository's files as a clone would have them (tracked, and new ones not ignored)."""
    names = subprocess.run(["git", "-C", str(repo), "ls-files", "-co", "--exclude-standard", "-z"], check=True,
                           capture_output=True, text=True).stdout.split("\0")
    return {name: (repo / name).read_bytes() for name in names if name and (repo / name).is_file()}


@dataclass
class JobRun:
    name: str
    code: int
    output: str
    seconds: float


def gitlab_ci_local(checkout: Path, *args: str, variables_file: Path, timeout: int = 3600) -> subprocess.CompletedProcess:
    """gitlab-ci-local in the checkout (it takes the working directory as the project)."""
    command = ["node", "--import", str(SET_METHODS), str(GCL), "--variables-file", str(variables_file), "--no-color",
               "--max-job-name-padding", "0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=checkout)


def run_parent_jobs(checkout: Path, jobs: list[str], variables_file: Path) -> JobRun:
    """Jobs of .gitlab-ci.yml without an image, on this host (a shell runner), as GitLab runs them."""
    start = time.monotonic()
    done = gitlab_ci_local(checkout, "--shell-executor-no-image", *jobs, variables_file=variables_file)
    return JobRun(" ".join(jobs), done.returncode, done.stdout + done.stderr, time.monotonic() - start)


def in_dag_order(jobs: dict[str, dict]) -> list[str]:
    """Job names so that each comes after every job it needs (GitLab starts them in such an order)."""
    done: list[str] = []
    while len(done) < len(jobs):
        ready = sorted(name for name, job in jobs.items() if name not in done and all(
            need["job"] in done or need["job"] not in jobs for need in job.get("needs", []) if "pipeline" not in need))
        if not ready:
            raise AssertionError("the needs form a cycle")
        done += ready
    return done


def child_jobs(pipeline_file: Path) -> dict[str, dict]:
    data = yaml.safe_load(pipeline_file.read_text())
    return {name: job for name, job in data.items()
            if isinstance(job, dict) and ("script" in job or "trigger" in job) and not name.startswith(".")}


def helper_mounts(ca_bundle: Path) -> list[str]:
    popt = next(Path("/usr/lib").rglob("libpopt.so.0"))
    pairs = [("/usr/bin/node", f"{HELPER}/node"), (str(GCL.parents[1]), f"{HELPER}/gitlab-ci-local"),
             (str(SET_METHODS), f"{HELPER}/set-methods.mjs"), (shutil.which("rsync"), f"{HELPER}/lib/rsync"),
             (str(popt), f"{HELPER}/lib/libpopt.so.0"), (str(ca_bundle), "/etc/labforge-ca.pem")]
    return [arg for source, target in pairs for arg in ("-v", f"{source}:{target}:ro")]


def job_checkout(checkout: Path, folder: Path, job: dict, pipeline_file: Path, artifacts: str) -> Path:
    """What a runner gives a job: a fresh clone of the commit, the child pipeline's definition,
    and the artifacts of the parent pipeline only when the job `needs` them (`needs: pipeline`)."""
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(checkout), str(folder)], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(folder), "remote", "set-url", "origin", ORIGIN], check=True, capture_output=True)
    shutil.copy(pipeline_file, folder / CHILD_PIPELINE)
    if any("pipeline" in need for need in job.get("needs", [])):
        shutil.copytree(checkout / artifacts, folder / artifacts)
    return folder


CHILD_PIPELINE = ".gitlab-ci-child.yml"  # the trigger's pipeline, as GitLab holds it (not an artifact)


def run_image_job(checkout: Path, name: str, job: dict, variables_file: Path, ca_bundle: Path, authfile: Path,
                  pipeline_file: Path, artifacts: str, scratch: Path,
                  extra_mounts: list[tuple[Path, str]] = ()) -> JobRun:
    """One job with an `image:`, as a Kubernetes runner runs it: a fresh container of the image
    (pulled with the robot's credentials) with a fresh checkout at CI_PROJECT_DIR, gone afterwards."""
    start = time.monotonic()
    folder = job_checkout(checkout, scratch / "job", job, pipeline_file, artifacts)
    pulled = subprocess.run(["buildah", "from", "--pull-always", "--authfile", str(authfile),
                             f"docker://{job['image']}"], capture_output=True, text=True)
    if pulled.returncode != 0:
        return JobRun(name, pulled.returncode, pulled.stdout + pulled.stderr, time.monotonic() - start)
    container = pulled.stdout.strip().splitlines()[-1]
    # rsync, for gitlab-ci-local, finds the one library the image lacks beside it
    wrapper = f"{HELPER}-bin"
    script = (f"mkdir -p {wrapper} && printf '#!/bin/sh\\nLD_LIBRARY_PATH={HELPER}/lib exec {HELPER}/lib/rsync \"$@\"\\n'"
              f" > {wrapper}/rsync && chmod +x {wrapper}/rsync && export PATH={wrapper}:$PATH && "
              f"exec {HELPER}/node --import {HELPER}/set-methods.mjs {HELPER}/gitlab-ci-local/dist/index.js "
              f"--file {CHILD_PIPELINE} --variables-file /etc/labforge-variables.yml --no-color "
              f"--force-shell-executor --max-job-name-padding 0 '{name}'")
    try:
        done = subprocess.run(["buildah", "run", "--isolation", "chroot", "--network", "host",
                               "-v", f"{folder}:{CHECKOUT}", "-v", f"{variables_file}:/etc/labforge-variables.yml:ro",
                               *helper_mounts(ca_bundle),
                               *[arg for source, target in extra_mounts for arg in ("-v", f"{source}:{target}:ro")],
                               "--workingdir", CHECKOUT, container, "--", "bash", "-c", script],
                              capture_output=True, text=True, timeout=3600)
        return JobRun(name, done.returncode, done.stdout + done.stderr, time.monotonic() - start)
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)


def gitlab_problems(document: dict) -> list[str]:
    return [f"{list(e.path)}: {e.message[:200]}" for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(document)]


SCHEMA = json.loads((REPO / "tests" / "fixtures" / "gitlab-ci" / "gitlab-ci.json").read_text())
