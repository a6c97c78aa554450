"""Registry credentials, as Harbor's robot accounts give them: from the environment
(LABFORGE_REGISTRY_USER / LABFORGE_REGISTRY_PASSWORD) or a container auth file (`--authfile`,
the `auths` JSON that podman, skopeo and docker write). Never from the command line, where `ps`
shows it, and never written anywhere but a private temporary file that is removed after use.

skopeo and buildah read the auth file; oras (the bundle) gets the pair in memory."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..core.errors import LabforgeError, Problem

USER_ENV, PASSWORD_ENV = "LABFORGE_REGISTRY_USER", "LABFORGE_REGISTRY_PASSWORD"


def credentials() -> tuple[str, str] | None:
    """From the environment only: never from the command line, where `ps` would show them."""
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    return (user, password) if user and password else None


def check_authfile(given: Path | None) -> None:
    """Before any work: the auth file a command was given exists and is an auth file."""
    if given is None:
        return
    try:
        data = json.loads(given.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not JSON"
        raise LabforgeError(Problem(str(given), f"cannot read it: {reason}",
                                    "give the auth file podman/skopeo login wrote ({\"auths\": {HOST: ...}})",
                                    field="--authfile")) from None
    if not isinstance(data, dict) or not isinstance(data.get("auths"), dict):
        raise LabforgeError(Problem(str(given), "has no \"auths\" object",
                                    "give the auth file podman/skopeo login wrote ({\"auths\": {HOST: ...}})",
                                    field="--authfile"))


def login_pair(host: str, auth: Path | None) -> tuple[str, str] | None:
    """(user, password) for `host` from an auth file, else from the environment."""
    if auth is not None:
        entry = json.loads(auth.read_text(encoding="utf-8")).get("auths", {}).get(host) or {}
        if entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            return user, password
        if entry.get("username") and entry.get("password"):
            return entry["username"], entry["password"]
        return None
    return credentials()


def write_auth_file(path: Path, host: str, user: str, password: str) -> Path:
    """An auth file (`{"auths": {HOST: {"auth": base64(USER:PASSWORD)}}}`), private from its first byte."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps({"auths": {host: {"auth": token}}}))
    return path


@contextmanager
def auth_file(registry_host: str, given: Path | None) -> Iterator[Path | None]:
    """The auth file to hand skopeo and buildah: the one given, or a private temporary one made
    from the environment's pair (removed on exit), or None for an anonymous registry."""
    if given:
        yield given
        return
    creds = credentials()
    if not creds:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="labforge-auth-") as tmp:
        yield write_auth_file(Path(tmp) / "auth.json", registry_host, *creds)
