"""The one registry client: every skopeo command line labforge runs is built here, with the
registry's TLS setting and credentials, and the retry policy of registry/retries.py.

TLS means the same to every client: `tls_verify` false skips verifying the certificate (HTTPS
still, plain HTTP only where the registry speaks nothing else), and one CA setting reaches skopeo
and oras alike: `--ca-cert` files when given (a cert dir for skopeo, a bundle for requests), else
SSL_CERT_FILE, else REQUESTS_CA_BUNDLE, else the system's bundle (requests would otherwise trust
only certifi's, never the lab's own CA installed on the host).

A `Registry` is opened for a piece of work (`with Registry(...).session() as registry:`): the
credentials come from `--authfile` or the environment's robot pair (registry/auth.py), are
written at most once to a private temporary auth file for skopeo and buildah, kept in memory
for oras (registry/bundle.py), and the file is removed when the session ends.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..core.process import run
from . import auth as credentials
from .names import host
from .retries import with_retries


@dataclass
class Registry:
    location: str  # HOST[:PORT][/PROJECT], as people write it
    tls_verify: bool = True
    authfile: Path | None = None  # --authfile, else the environment's pair
    attempts: int = 4
    ca_files: list[Path] | None = None  # --ca-cert: extra CA certificates that sign the registry's certificate
    auth: Path | None = field(default=None, init=False)  # the session's auth file for skopeo and buildah
    cert_dir: Path | None = field(default=None, init=False)  # the session's `ca.crt` folder for skopeo
    bundle: str | None = field(default=None, init=False)  # the session's CA bundle for requests (oras)

    @property
    def host(self) -> str:
        return host(self.location)

    @contextmanager
    def session(self) -> Iterator["Registry"]:
        with credentials.auth_file(self.host, self.authfile) as path, \
                tempfile.TemporaryDirectory(prefix="labforge-ca-") as certs:
            self.auth = path
            folder = Path(certs)
            if self.ca_files:
                (folder / "ca.crt").write_text(_pem(self.ca_files))
                self.cert_dir = folder
            # requests' bundle: what skopeo trusts for this registry (the given CA, or the host's
            # /etc/containers/certs.d/HOST/), on top of the process's (SSL_CERT_FILE) or the system's
            extra = list(self.ca_files or []) or sorted((CERTS_D / self.host).glob("*.crt"))
            base = _base_bundle()
            if extra:
                (folder / "requests.pem").write_text(_pem(extra) + (Path(base).read_text() if base else ""))
                self.bundle = str(folder / "requests.pem")
            else:
                self.bundle = base
            try:
                yield self
            finally:
                self.auth = self.cert_dir = self.bundle = None

    def ca_bundle(self) -> str | None:
        """The CA file requests (oras) verifies with: the same trust skopeo has."""
        return self.bundle if self.bundle is not None else _base_bundle()

    def requests_verify(self) -> str | bool:
        """requests' `verify` for this registry: skopeo's trust, or False with tls_verify off."""
        return (self.ca_bundle() or True) if self.tls_verify else False

    def scheme(self) -> str:
        """https, verified or not; http only where the registry answers nothing else (skopeo's rule)."""
        if self.tls_verify:
            return "https"
        import requests

        try:
            requests.get(f"https://{self.host}/v2/", timeout=10, verify=False)
            return "https"
        except requests.exceptions.SSLError:
            return "http"  # a plain-HTTP registry answered the TLS handshake with HTTP
        except requests.RequestException:
            return "https"  # unreachable: the push says so, with its retries

    def login(self) -> tuple[str, str] | None:
        """(user, password) for this registry, in memory (oras)."""
        return credentials.login_pair(self.host, self.authfile)

    def _tls(self, prefix: str = "") -> list[str]:
        certs = [f"--{prefix}cert-dir", str(self.cert_dir)] if self.cert_dir else []
        return [f"--{prefix}tls-verify={str(self.tls_verify).lower()}", *certs]

    def _auth(self, prefix: str = "") -> list[str]:
        return [f"--{prefix}authfile", str(self.auth)] if self.auth else []

    def push(self, reference: str, target: str, log: Path, what: str, compression: list[str] | None = None) -> str:
        """Copy a local image to `target` (REPOSITORY:TAG); the digest the registry stored."""
        with tempfile.TemporaryDirectory(prefix="labforge-push-") as tmp:
            digest_file = Path(tmp) / "digest"
            with_retries(lambda: run(["skopeo", "copy", "--retry-times", "0", "--digestfile", str(digest_file),
                                      *(compression or []), *self._tls("dest-"), *self._auth("dest-"),
                                      f"containers-storage:{reference}", f"docker://{target}"], log=log, check=False),
                         attempts=self.attempts, what=what)
            return digest_file.read_text().strip()

    def tag(self, source: str, target: str, log: Path | None, what: str) -> None:
        """Point `target` (REPOSITORY:TAG) at `source` (REPOSITORY@DIGEST) in the same registry."""
        with_retries(lambda: run(["skopeo", "copy", "--retry-times", "0", *self._tls("dest-"), *self._tls("src-"),
                                  *self._auth("src-"), *self._auth("dest-"), f"docker://{source}",
                                  f"docker://{target}"], log=log, check=False),
                     attempts=self.attempts, what=what)

    def manifest(self, reference: str) -> bytes:
        """The manifest the registry holds for `reference` (REPOSITORY@DIGEST or :TAG), as bytes."""
        return run(["skopeo", "inspect", "--raw", "--retry-times", "2", *self._tls(), *self._auth(),
                    f"docker://{reference}"], log=None, what=f"reading the manifest back from {self.location}"
                   ).stdout.encode()

    def labels(self, reference: str) -> dict | None:
        """The image's labels, or None when the registry does not hold it (or cannot be read)."""
        result = run(["skopeo", "inspect", "--retry-times", "1", *self._tls(), *self._auth(), f"docker://{reference}"],
                     check=False)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout).get("Labels") or {}

    def unreachable(self, reference: str) -> str | None:
        """Why `reference` cannot be pulled from here (skopeo's reason), or None when it can."""
        probe = run(["skopeo", "inspect", "--retry-times", "1", *self._tls(), *self._auth(), f"docker://{reference}"],
                    check=False)
        if probe.returncode == 0:
            return None
        last = ((probe.stderr or probe.stdout).strip().splitlines() or ["no answer"])[-1]
        # skopeo's logrus line: msg="Error parsing image name \"docker://...\": <the reason>"
        return last.split('msg="', 1)[-1].rstrip('"').replace('\\"', '"').split('": ', 1)[-1]


CERTS_D = Path("/etc/containers/certs.d")  # where skopeo and buildah find a registry's own CA


def _pem(files) -> str:
    return "".join(Path(f).read_text(encoding="utf-8", errors="replace").rstrip("\n") + "\n" for f in files)


def _base_bundle() -> str | None:
    for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        if os.environ.get(variable) and Path(os.environ[variable]).is_file():
            return os.environ[variable]
    import ssl

    system = ssl.get_default_verify_paths().cafile
    return system if system and Path(system).is_file() else None


def inspect_manifest(reference: str, tls_verify: bool = True) -> bytes:
    """An anonymous registry's manifest of `reference` (the benches and tests, on loopback)."""
    return Registry(host(reference), tls_verify).manifest(reference)


def credentials_refused(location: str, tls_verify: bool, pair: tuple[str, str], ca_files=None) -> str | None:
    """Whether the registry of `location` (HOST/REPOSITORY) refuses `pair` for pulling from that
    repository: its reason, or None when it takes them. Follows the registry's own challenge: Basic
    (a plain registry) is asked directly, Bearer (Harbor) at its token service for the repository's
    pull scope. A registry that cannot be reached is not a refusal (the caller probes reachability)."""
    import requests

    registry = Registry(location, tls_verify, ca_files=ca_files)
    with registry.session():
        verify = registry.requests_verify()
        base = f"{registry.scheme()}://{registry.host}/v2/"
        try:
            first = requests.get(base, timeout=15, verify=verify)
            if first.status_code != 401:
                return None  # no login asked (an open registry)
            challenge = first.headers.get("WWW-Authenticate", "")
            if challenge.lower().startswith("bearer"):
                fields = dict(re.findall(r'([A-Za-z0-9_]+)="([^"]*)"', challenge))
                repository = location.split("/", 1)[1] if "/" in location else ""
                answer = requests.get(fields.get("realm", ""), timeout=15, verify=verify, auth=pair,
                                      params={"service": fields.get("service", ""),
                                              "scope": f"repository:{repository}:pull"})
            else:
                answer = requests.get(base, timeout=15, verify=verify, auth=pair)
        except (requests.RequestException, ValueError):
            return None
    return f"HTTP {answer.status_code}" if answer.status_code in (401, 403) else None
