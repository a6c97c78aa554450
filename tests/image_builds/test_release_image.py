"""Integration: really build a small release image with buildah, run the image suite on it, push
it to a registry started here, pull it back by digest, check the catalog; then the faults."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labforge.buildah.notebook import build_release
from labforge.buildah.store import local_config
from labforge.catalog.model import Catalog, CatalogEntry
from labforge.catalog.store import load_catalog, save_catalog
from labforge.core.errors import LabforgeError
from labforge.loopback.registry import free_port, local_registry, self_signed
from labforge.publish.release import publish
from labforge.registry.auth import write_auth_file
from labforge.registry.client import Registry
from labforge.suites.image.runner import test_release as run_image_suite
from tests.helpers.image_builds import RELEASE, make_project
from tests.helpers.project import HOST_CA

pytestmark = [
    pytest.mark.images,
    pytest.mark.skipif(os.geteuid() != 0, reason="image builds and mounts need root (buildah, chroot)"),
    pytest.mark.skipif(not all(shutil.which(t) for t in ("buildah", "skopeo", "mmdebstrap", "docker-registry")),
                       reason="buildah, skopeo, mmdebstrap and docker-registry are installed by 'make test'"),
]

@pytest.fixture(scope="module")
def test_ca(tmp_path_factory) -> Path:
    """A CA certificate of our own, trusted during the build: it must not reach the image."""
    folder = tmp_path_factory.mktemp("ca")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=labforge test proxy CA", "-keyout", str(folder / "key.pem"), "-out", str(folder / "ca.pem")],
                   check=True, capture_output=True)
    bundle = folder / "bundle.pem"
    bundle.write_text((folder / "ca.pem").read_text() + "".join(Path(p).read_text() for p in HOST_CA))
    return bundle


@pytest.fixture(scope="module")
def built(tmp_path_factory, test_ca):
    project = make_project(tmp_path_factory.mktemp("images") / "project")
    # No layer cache: an older cached venv layer was resolved against an older PyPI (the notebook
    # server's transitive dependencies are not pinned), so only two clean builds are comparable.
    result = build_release(project, RELEASE, with_spack=False, ca_certs=[str(test_ca)], force=True, no_cache=True)
    return project, result, test_ca


def test_build_labels_and_cache(built):
    project, result, test_ca = built
    assert result.skipped is None
    config = local_config(result.reference)
    record = json.loads((project.build_dir / "context" / RELEASE / "release.json").read_text())
    assert config["Labels"]["org.labforge.input-digest"] == record["input_digest"] == result.input_digest
    assert config["Labels"]["org.labforge.spack-stage"] == "skipped"
    again = build_release(project, RELEASE, with_spack=False, ca_certs=[str(test_ca)])
    assert again.skipped and "same input digest" in again.skipped
    assert not list((project.build_dir / "secrets" / RELEASE).iterdir())  # the CA bundle is gone too


def test_image_suite_passes_on_the_built_image(built):
    project, _, test_ca = built
    assert run_image_suite(project, RELEASE, [str(test_ca)]) == 0


def test_publish_pull_back_by_digest_and_catalog(built, tmp_path):
    project, result, _ = built
    catalog_path = tmp_path / "catalog.json"
    with local_registry(tmp_path / "registry") as address:
        published = publish(project, RELEASE, f"{address}/lab", catalog_path, tls_verify=False).release
        pulled = tmp_path / "pulled"
        subprocess.run(["skopeo", "copy", "--src-tls-verify=false",
                        f"docker://{published.repository}@{published.digest}", f"dir:{pulled}"], check=True,
                       capture_output=True)
        manifest = json.loads((pulled / "manifest.json").read_text())
        config = json.loads((pulled / manifest["config"]["digest"].split(":")[1]).read_text())
        assert config["config"]["Labels"]["org.labforge.input-digest"] == result.input_digest
        tags = json.loads(subprocess.run(["skopeo", "list-tags", "--tls-verify=false", f"docker://{published.repository}"],
                                         check=True, capture_output=True, text=True).stdout)["Tags"]
        assert {RELEASE, "latest", f"{RELEASE}-bundle"} <= set(tags)
        bundle = json.loads(subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                                            f"docker://{published.bundle}"], check=True, capture_output=True,
                                           text=True).stdout)
        titles = {layer["annotations"]["org.opencontainers.image.title"] for layer in bundle["layers"]}
        assert {"spack.yaml", "Containerfile", "labforge.def", "release-notes.md", "sbom.cdx.json"} <= titles
        assert bundle["subject"]["digest"] == published.digest
    catalog = load_catalog(catalog_path)
    entry = catalog.releases[0]
    assert (entry.id, entry.digest, entry.default, entry.with_spack) == (RELEASE, published.digest, True, False)
    assert entry.reference == f"{published.repository}@{published.digest}"


def catalog_with_one_release(path: Path) -> bytes:
    save_catalog(path, Catalog().with_entry(CatalogEntry(
        id="2026.05", channel="stable", image="registry.example/lab/notebook", digest="sha256:" + "1" * 64,
        created="2026-05-01T00:00:00Z", kernel="lab-2026.05")))
    return path.read_bytes()


def test_push_to_a_dead_registry_leaves_the_catalog(built, tmp_path):
    project, _, _ = built
    catalog_path = tmp_path / "catalog.json"
    before = catalog_with_one_release(catalog_path)
    with pytest.raises(LabforgeError) as info:
        publish(project, RELEASE, f"127.0.0.1:{free_port()}/lab", catalog_path, tls_verify=False, attempts=2)
    assert "still failing after 2 attempt(s)" in str(info.value)
    assert catalog_path.read_bytes() == before


# What `buildah bud --layers` names the container of a step: the id of the image it starts from.
# (Other tests' `buildah from IMAGE` containers, e.g. an image mounted for its suite, are named
# after the image: "lab-working-container"; they are theirs, not this build's.)
STEP_CONTAINER = re.compile(r"[0-9a-f]{12}-working-container(?:-[0-9]+)?")


def working_containers() -> set[str]:
    listed = subprocess.run(["buildah", "containers", "--noheading", "--format", "{{.ContainerName}}"],
                            capture_output=True, text=True, check=True).stdout.split()
    return {name for name in listed if STEP_CONTAINER.fullmatch(name)}


def builds_running() -> bool:
    """Whether another test worker's `buildah bud` is running (its working containers are its own)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if args[0].endswith(b"buildah") and b"bud" in args[1:3]:
            return True
    return False


def leftovers(before: set[str]) -> set[str]:
    """Working containers that appeared since `before` and outlive every build still running."""
    deadline = time.monotonic() + 600
    while builds_running() and time.monotonic() < deadline:
        time.sleep(1)
    return working_containers() - before


def test_a_build_failing_midway_changes_nothing(tmp_path, test_ca):
    project = make_project(tmp_path / "broken", extra_python="labforge-no-such-package==0.0.0")
    catalog_path = tmp_path / "catalog.json"
    before = catalog_with_one_release(catalog_path)
    containers = working_containers()
    with pytest.raises(LabforgeError) as info:
        build_release(project, RELEASE, with_spack=False, ca_certs=[str(test_ca)], force=True,
                      registry=None)
    assert "buildah build of 2030.01" in str(info.value) and "full log" in str(info.value)
    assert not leftovers(containers)  # --force-rm: the failed build left none behind
    config = local_config(f"localhost/labforge/lab:{RELEASE}")
    assert config is None or "labforge-no-such-package" not in json.dumps(config)
    assert catalog_path.read_bytes() == before


def test_killed_publish_leaves_a_valid_unchanged_catalog(built, tmp_path):
    project, _, _ = built
    catalog_path = tmp_path / "catalog.json"
    before = catalog_with_one_release(catalog_path)
    log = project.build_dir / "logs" / f"{RELEASE}-publish.log"
    with local_registry(tmp_path / "registry") as address:
        env = {**os.environ, "LABFORGE_PROJECT": str(project.root)}
        proc = subprocess.Popen([sys.executable, "-m", "labforge", "release", "publish", RELEASE,
                                 "--registry", f"{address}/lab", "--no-tls-verify", "--catalog", str(catalog_path)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (log.exists() and "skopeo copy" in log.read_text()):
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: labforge and its skopeo
        proc.wait()
        # killed during the first push: the tags people pull were not moved (the image goes under
        # its build's own tag first)
        with Registry(f"{address}/lab", tls_verify=False).session() as registry:
            assert registry.labels(f"{address}/lab/notebook:{RELEASE}") is None
            assert registry.labels(f"{address}/lab/notebook:latest") is None
    assert catalog_path.read_bytes() == before
    load_catalog(catalog_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".catalog.json")]


# A Harbor robot account: its name has a `$` and a `+`; the registry asks for it over HTTPS.
ROBOT = "robot$lab+builder"
PASSWORD = "pw-" + secrets.token_hex(12)


@pytest.fixture
def harbor_like(tmp_path, monkeypatch):
    """Debian's docker-registry over HTTPS (its own CA, trusted as a site trusts Harbor's) asking
    for the robot's credentials with basic auth."""
    cert, key = self_signed(tmp_path)
    with local_registry(tmp_path / "registry", tls=(cert, key), users={ROBOT: PASSWORD}) as address:
        trusted = Path("/etc/containers/certs.d") / address  # skopeo and buildah trust it from here
        trusted.mkdir(parents=True, exist_ok=True)
        shutil.copy(cert, trusted / "ca.crt")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # oras (the bundle) trusts it from here
        monkeypatch.delenv("LABFORGE_REGISTRY_USER", raising=False)
        monkeypatch.delenv("LABFORGE_REGISTRY_PASSWORD", raising=False)
        try:
            yield address
        finally:
            shutil.rmtree(trusted)


def authfile(path: Path, host: str, password: str = PASSWORD) -> Path:
    return write_auth_file(path, host, ROBOT, password)


def files_holding(folder: Path, text: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_publish_with_a_robot_account_from_the_environment(built, harbor_like, tmp_path, monkeypatch):
    project, result, _ = built
    monkeypatch.setenv("LABFORGE_REGISTRY_USER", ROBOT)
    monkeypatch.setenv("LABFORGE_REGISTRY_PASSWORD", PASSWORD)
    catalog_path = tmp_path / "catalog.json"
    published = publish(project, RELEASE, f"{harbor_like}/lab", catalog_path).release
    anonymous = subprocess.run(["skopeo", "inspect", "--raw", f"docker://{published.repository}@{published.digest}"],
                               capture_output=True, text=True)
    assert anonymous.returncode != 0 and "unauthorized" in anonymous.stderr.lower()  # it really asks
    auth = authfile(tmp_path / "auth.json", harbor_like)
    pulled = tmp_path / "bundle"
    subprocess.run(["skopeo", "copy", "--src-authfile", str(auth), f"docker://{published.bundle}", f"dir:{pulled}"],
                   check=True, capture_output=True)
    entry = load_catalog(catalog_path).releases[0]
    assert (entry.id, entry.digest) == (RELEASE, published.digest)
    # The password is nowhere: not in the bundle, the catalog, the logs, the build tree, or a
    # docker config oras' login() would have written.
    for folder in (pulled, tmp_path / "catalog.json", project.build_dir, Path.home() / ".docker"):
        assert not (files_holding(folder, PASSWORD) if folder.is_dir() else
                    folder.exists() and PASSWORD in folder.read_text()), folder


def test_publish_with_an_authfile_and_a_wrong_password(built, harbor_like, tmp_path, cli):
    project, _, _ = built
    catalog_path = tmp_path / "catalog.json"
    before = catalog_with_one_release(catalog_path)
    wrong = authfile(tmp_path / "wrong.json", harbor_like, password="not-" + PASSWORD)
    args = ["release", "publish", RELEASE, "--registry", f"{harbor_like}/lab", "--catalog", str(catalog_path)]
    refused = cli(project.root, *args, "--authfile", str(wrong))
    assert refused.code == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert "the registry refused the credentials" in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 2, refused.stderr
    assert catalog_path.read_bytes() == before
    published = cli(project.root, *args, "--authfile", str(authfile(tmp_path / "auth.json", harbor_like)))
    assert published.code == 0, published.stderr
    assert {r.id for r in load_catalog(catalog_path).releases} == {"2026.05", RELEASE}
    assert PASSWORD not in published.stdout + published.stderr + refused.stdout + refused.stderr


def test_credentials_inside_the_registry_option_are_refused_unseen(built, cli, tmp_path):
    project, _, _ = built
    result = cli(project.root, "release", "publish", RELEASE, "--registry", f"{ROBOT}:{PASSWORD}@127.0.0.1:9/lab",
                 "--catalog", str(tmp_path / "catalog.json"))
    assert result.code == 1 and "--registry: holds an '@'" in result.stderr, result.stderr
    assert PASSWORD not in result.stdout + result.stderr and not (tmp_path / "catalog.json").exists()


def test_a_site_base_image_in_a_private_project_is_pulled_with_the_robot(built, harbor_like, tmp_path, monkeypatch):
    """A release FROM the site's own base image in a private Harbor project: the build pulls it
    with the robot's credentials; without them the registry refuses and the build says so."""
    project, _, test_ca = built
    base = f"{harbor_like}/base/bookworm:1"
    subprocess.run(["skopeo", "copy", "--dest-authfile", str(authfile(tmp_path / "auth.json", harbor_like)),
                    "containers-storage:localhost/labforge-base:bookworm", f"docker://{base}"],
                   check=True, capture_output=True)
    text = (project.root / "releases" / f"{RELEASE}.yaml").read_text()
    (project.root / "releases" / "2030.03.yaml").write_text(
        text.replace(f'id: "{RELEASE}"', 'id: "2030.03"').replace("python:", f"base:\n  image: {base}\npython:"))
    with pytest.raises(LabforgeError) as anonymous:
        build_release(project, "2030.03", with_spack=False, ca_certs=[str(test_ca)], force=True)
    assert "unauthorized" in str(anonymous.value).lower() or "authentication" in str(anonymous.value).lower()
    monkeypatch.setenv("LABFORGE_REGISTRY_USER", ROBOT)
    monkeypatch.setenv("LABFORGE_REGISTRY_PASSWORD", PASSWORD)
    result = build_release(project, "2030.03", with_spack=False, ca_certs=[str(test_ca)], force=True)
    assert result.skipped is None and local_config(result.reference)["Labels"]["org.labforge.input-digest"]
    subprocess.run(["buildah", "rmi", "-f", base], capture_output=True)


def layers(reference: str) -> list[str]:
    data = json.loads(subprocess.run(["buildah", "inspect", "--type", "image", reference], check=True,
                                     capture_output=True, text=True).stdout)
    return data["OCIv1"]["rootfs"]["diff_ids"]


def test_rebuild_from_scratch_gives_the_same_layers(built):
    """Two builds with no layer cache. Every layer is compared; the message names any that differ.
    (The spack layer is not covered: these builds use --no-spack, as CI has no spack.)"""
    project, result, test_ca = built
    first = layers(result.reference)
    build_release(project, RELEASE, with_spack=False, ca_certs=[str(test_ca)], force=True, no_cache=True)
    second = layers(result.reference)
    assert len(first) == len(second)
    assert first[0] == second[0], "the base layer differs"
    differing = [i for i, (a, b) in enumerate(zip(first, second)) if a != b]
    assert differing == [], f"layers {differing} of {len(first)} differ between two clean builds"
