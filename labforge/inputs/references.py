"""Image references as the OCI distribution spec writes them ([HOST[:PORT]/]PATH[:TAG][@DIGEST]).
A manifest's base image reaches buildah and skopeo as an argument: anything else, an
option-like `--rm` included, is refused where it is read."""

from __future__ import annotations

import re

_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?)"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REST = rf"{_PATH_PART}(?:/{_PATH_PART})*(?::{_TAG})?(?:@{_DIGEST})?\Z"
REFERENCE = re.compile(rf"{_DOMAIN}/{_REST}")
# As docker and skopeo read it: a first part without '.' or ':' (and not localhost) is a path.
WITHOUT_HOST = re.compile(_REST)
MAX_NAME = 255


def reference_problem(value: str) -> str | None:
    """Why `value` is not an image reference, or None."""
    name = value.split("@", 1)[0]
    if value.startswith("-"):
        return f"{value!r} looks like a command-line option, not an image reference"
    first = value.split("/", 1)[0]
    has_host = "/" in value and ("." in first or ":" in first or first == "localhost")
    if not (REFERENCE if has_host else WITHOUT_HOST).fullmatch(value) or len(name) > MAX_NAME:
        return f"{value!r} is not an image reference -- write HOST/PATH:TAG (or @sha256:DIGEST)"
    return None


def check_reference(value: str | None) -> str | None:
    """A pydantic validator: the value unchanged, or ValueError with the reason."""
    if value is not None and (problem := reference_problem(value)):
        raise ValueError(problem)
    return value


_LOCATION = re.compile(rf"{_DOMAIN}(?:/{_PATH_PART})*\Z")
CREDENTIALS_HELP = ("set LABFORGE_REGISTRY_USER and LABFORGE_REGISTRY_PASSWORD (a Harbor robot account) or give "
                    "--authfile; never put credentials in an option, where `ps` and logs show them")


def location_problem(value: str) -> str | None:
    """Why `value` is not a registry location HOST[:PORT][/PATH], or None. A value holding
    credentials (`user:password@host`) is refused without repeating any of it."""
    if "@" in value:  # a location never holds one; USER:PASSWORD@HOST does, with '/' in it or not
        return "holds an '@', as credentials (USER:PASSWORD@HOST) do; " + CREDENTIALS_HELP
    if value.startswith("-"):
        return f"{value!r} looks like a command-line option, not HOST[/PATH]"
    if "://" in value:
        return f"{value!r} has a scheme: write HOST[:PORT][/PATH] (TLS is --tls-verify's business)"
    if not _LOCATION.fullmatch(value) or len(value) > MAX_NAME:
        return f"{value!r} is not a registry location -- write HOST[:PORT]/PATH in lower case, e.g. harbor.lab.org/lab"
    return None
