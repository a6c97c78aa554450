"""The spack binary build cache of a build: where it is, how it is signed, and the secrets the
build stage gets for it.

The cache is an OCI repository (`HOST/spack-cache/buildcache` by default: Harbor's spack-cache
project, or the demo's local registry). Credentials and the signing key reach the spack stage
as build secrets -- files mounted into one RUN step -- never as build arguments, so no layer,
image history or log holds them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..core.atomic import write_bytes
from ..core.errors import LabforgeError, Problem
from ..registry.auth import credentials
from ..registry.names import spack_cache

KEY_ENV = "LABFORGE_SIGNING_KEY"  # the armoured secret key itself
KEY_FILE_ENV = "LABFORGE_SIGNING_KEY_FILE"
SECRET_IDS = ("labforge-cache-auth", "labforge-signing-key")
# Where a CI job pod on the lab's own runners finds the registry user and password (files
# `user`, `password`; infra/runners.py mounts them), for jobs that have no CI variables for them.
JOB_CREDENTIALS = "/run/secrets/labforge-registry"


@dataclass(frozen=True)
class BuildCache:
    location: str  # HOST[:PORT]/REPOSITORY as people write it
    url: str  # spack's mirror URL
    signed: bool
    key: bytes | None
    auth: tuple[str, str] | None

    def describe(self) -> str:
        signing = "signed" if self.signed else "UNSIGNED (--unsigned-cache)"
        return f"{self.location} ({signing})"


def default_location(registry: str | None) -> str | None:
    """The cache next to the image registry: same host, the spack-cache project."""
    return spack_cache(registry) if registry else None


def mirror_url(location: str, tls_verify: bool) -> str:
    # Spack speaks plain HTTP to a registry only with oci+http:// (the local registry);
    # oci:// is HTTPS.
    return f"{'oci' if tls_verify else 'oci+http'}://{location}"


def signing_key(path: Path | None) -> bytes | None:
    """The armoured GPG secret key from --signing-key, LABFORGE_SIGNING_KEY(_FILE), or None."""
    source = path or (Path(os.environ[KEY_FILE_ENV]) if os.environ.get(KEY_FILE_ENV) else None)
    if source is not None:
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise LabforgeError(Problem(str(source), f"cannot read: {exc.strerror}",
                                        "give the armoured GPG secret key file (gpg --export-secret-keys --armor)",
                                        field="--signing-key")) from None
    elif os.environ.get(KEY_ENV):
        data = os.environ[KEY_ENV].encode()
    else:
        return None
    if b"BEGIN PGP PRIVATE KEY BLOCK" not in data:
        raise LabforgeError(Problem(str(source or KEY_ENV), "is not an armoured GPG secret key",
                                    "export it with: gpg --export-secret-keys --armor KEYID", field="--signing-key"))
    return data


def build_cache(location: str | None, tls_verify: bool, unsigned: bool, key_path: Path | None) -> BuildCache | None:
    """The build's cache settings; a clear error when a signed cache has no key."""
    if not location:
        return None
    key = None if unsigned else signing_key(key_path)
    if not unsigned and key is None:
        raise LabforgeError(Problem("--spack-cache", f"the build cache {location} is signed but no "
                                    "signing key was given",
                                    f"pass --signing-key FILE (or set {KEY_FILE_ENV} / {KEY_ENV}); "
                                    "--unsigned-cache only for a cache no one else installs from"))
    return BuildCache(location, mirror_url(location, tls_verify), not unsigned, key, credentials())


def build_args(cache: BuildCache | None) -> list[str]:
    if cache is None:
        return ["--build-arg", "SPACK_CACHE="]
    return ["--build-arg", f"SPACK_CACHE={cache.url}", "--build-arg", f"SPACK_CACHE_SIGNED={int(cache.signed)}"]


def secret_files(cache: BuildCache | None, folder: Path) -> dict[str, Path]:
    """The secret files (mode 0600, empty when unused) for buildah's --secret; delete after."""
    auth = f"{cache.auth[0]}\n{cache.auth[1]}\n".encode() if cache and cache.auth else b""
    key = cache.key if cache and cache.key else b""
    files = {}
    for secret_id, data in zip(SECRET_IDS, (auth, key)):
        path = folder / secret_id
        write_bytes(path, data)
        os.chmod(path, 0o600)
        files[secret_id] = path
    return files
