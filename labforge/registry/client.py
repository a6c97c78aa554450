"""The one registry client: every skopeo command line labforge runs is built here, with the
registry's TLS setting and credentials, and the retry policy of registry/retries.py.

A `Registry` is opened for a piece of work (`with Registry(...).session() as registry:`): the
credentials come from `--authfile` or the environment's robot pair (registry/auth.py), are
written at most once to a private temporary auth file for skopeo and buildah, kept in memory
for oras (registry/bundle.py), and the file is removed when the session ends.
"""

from __future__ import annotations

import json
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
    auth: Path | None = field(default=None, init=False)  # the session's auth file for skopeo and buildah

    @property
    def host(self) -> str:
        return host(self.location)

    @contextmanager
    def session(self) -> Iterator["Registry"]:
        with credentials.auth_file(self.host, self.authfile) as path:
            self.auth = path
            try:
                yield self
            finally:
                self.auth = None

    def login(self) -> tuple[str, str] | None:
        """(user, password) for this registry, in memory (oras)."""
        return credentials.login_pair(self.host, self.authfile)

    def _tls(self, prefix: str = "") -> list[str]:
        return [f"--{prefix}tls-verify={str(self.tls_verify).lower()}"]

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


def inspect_manifest(reference: str, tls_verify: bool = True) -> bytes:
    """An anonymous registry's manifest of `reference` (the benches and tests, on loopback)."""
    return Registry(host(reference), tls_verify).manifest(reference)
