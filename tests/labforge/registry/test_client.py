"""The registry client against a real registry (Debian's docker-registry over HTTPS with a CA of
its own and a robot's htpasswd login, as Harbor asks): one CA setting reaches skopeo and requests
(oras) alike, --no-tls-verify means "do not verify", never "plain HTTP", and a refused password is
said at once, never retried, never taken for an empty build cache."""

from __future__ import annotations

import shutil

import pytest

from labforge.core.errors import LabforgeError
from labforge.loopback.registry import local_registry, self_signed
from labforge.registry.client import Registry, credentials_refused
from labforge.spackbuild.pipeline import require_reachable

pytestmark = pytest.mark.skipif(not (shutil.which("docker-registry") and shutil.which("htpasswd")),
                                reason="docker-registry and apache2-utils are installed by 'make system'")
ROBOT, PASSWORD = "robot$lab+builder", "the-robots-password"


@pytest.fixture(scope="module")
def harbor_like(tmp_path_factory):
    folder = tmp_path_factory.mktemp("registry")
    certificate, key = self_signed(folder)
    with local_registry(folder / "storage", tls=(certificate, key), users={ROBOT: PASSWORD}) as address:
        yield address, certificate


def test_the_ca_given_reaches_requests_as_it_reaches_skopeo(harbor_like):
    address, ca = harbor_like
    with Registry(f"{address}/lab", ca_files=[ca]).session() as registry:
        assert registry.scheme() == "https" and ca.read_text().strip() in open(registry.ca_bundle()).read()
        assert registry.cert_dir is not None and "--cert-dir" in registry._tls()


def test_not_verifying_is_still_https(harbor_like):
    address, _ = harbor_like
    with Registry(f"{address}/lab", tls_verify=False).session() as registry:
        assert registry.scheme() == "https"  # oras' old reading was plain HTTP here: its bundle push then failed


def test_a_plain_http_registry_is_reached_over_http(tmp_path):
    with local_registry(tmp_path / "storage") as address:
        with Registry(f"{address}/lab", tls_verify=False).session() as registry:
            assert registry.scheme() == "http"


def test_credentials_are_checked_against_the_registry(harbor_like, monkeypatch):
    address, ca = harbor_like
    assert credentials_refused(f"{address}/spack-cache/buildcache", True, (ROBOT, PASSWORD), [ca]) is None
    assert credentials_refused(f"{address}/spack-cache/buildcache", True, (ROBOT, "wrong"), [ca]) == "HTTP 401"


def test_a_pipeline_against_a_cache_that_refuses_the_password_stops_with_the_credentials_line(harbor_like, monkeypatch):
    address, ca = harbor_like
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    monkeypatch.setenv("LABFORGE_REGISTRY_USER", ROBOT)
    monkeypatch.setenv("LABFORGE_REGISTRY_PASSWORD", "wrong")
    with pytest.raises(LabforgeError) as refused:
        require_reachable(f"{address}/spack-cache/buildcache", True, credentials=True)
    assert "refused the credentials" in str(refused.value) and "Expand variable" in str(refused.value)
    assert "wrong" not in str(refused.value)
    monkeypatch.setenv("LABFORGE_REGISTRY_PASSWORD", PASSWORD)
    require_reachable(f"{address}/spack-cache/buildcache", True, credentials=True)


def test_a_refused_push_is_said_once_and_not_retried(harbor_like, tmp_path):
    from labforge.registry.retries import with_retries

    calls = []

    def refused():
        calls.append(1)
        import subprocess
        return subprocess.CompletedProcess([], 1, "unauthorized: authentication required", "")

    with pytest.raises(LabforgeError, match="failed after 1 attempt") as info:
        with_retries(refused, attempts=4, sleep=lambda _s: None)
    assert calls == [1] and "LABFORGE_REGISTRY_USER" in str(info.value)
