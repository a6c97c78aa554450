"""What a setting or manifest value may hold, by the kind of value it is.

Settings and manifests reach a shell (`RUN` lines, kernel launchers), a Containerfile, an
Apptainer definition and the command lines of git, spack and pip. Rather than quote each value
where one of many templates writes it, every such value is held to its kind's grammar when the
file is read: the one rule, in one place (README "Bad and hostile input"). Free text that fits no
grammar (notes, summaries) is written into JSON files only.
"""

from __future__ import annotations

import re
from typing import Annotated

from packaging.version import InvalidVersion, Version
from pydantic import AfterValidator, StrictStr

# Characters a shell, a Containerfile or an Apptainer %post line gives a meaning to.
_SEGMENT = re.compile(r"[A-Za-z0-9._+-]+")
_LABEL = re.compile(r'[^"\\$`\x00-\x1f\x7f]{1,200}')
_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?"
_GIT_URL = re.compile(rf"https://{_HOST}(?:/[A-Za-z0-9._~-]+)+/?")
_WEB_URL = re.compile(rf"https?://{_HOST}(?:/[A-Za-z0-9._~%+-]+)*/?")
_GIT_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")
_TARGET = re.compile(r"[a-z][a-z0-9_]{0,63}")
# PEP 508 names; a pin is exactly NAME==VERSION (no extras, markers, URLs, options or ranges).
_PIN = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([A-Za-z0-9.!+_-]+)")


def absolute_path(value: str) -> str:
    parts = value.split("/")
    if (not value.startswith("/") or len(value) > 255 or value == "/"
            or not all(_SEGMENT.fullmatch(p) and p not in (".", "..") for p in parts[1:])):
        raise ValueError(f"{value!r} is not an absolute path of plain names -- write e.g. /home/jovyan/drive "
                         "(letters, digits and ._+- between the slashes; no spaces, quotes, '..' or shell syntax)")
    return value


def label_text(value: str) -> str:
    if not _LABEL.fullmatch(value):
        raise ValueError(f"{value!r} cannot be an image label -- one line of at most 200 characters, "
                         "without \", \\, $ or `")
    return value


def git_url(value: str) -> str:
    if not _GIT_URL.fullmatch(value):
        raise ValueError(f"{value!r} is not an https:// git URL -- write e.g. https://github.com/spack/spack.git")
    return value


def web_url(value: str) -> str:
    if not _WEB_URL.fullmatch(value):
        raise ValueError(f"{value!r} is not a plain http(s) URL -- write e.g. http://deb.debian.org/debian "
                         "(no spaces, quotes, queries or shell syntax)")
    return value


def git_ref(value: str) -> str:
    if not _GIT_REF.fullmatch(value) or ".." in value:
        raise ValueError(f"{value!r} is not a git tag or branch -- write e.g. v1.1.0")
    return value


def spack_target(value: str) -> str:
    if not _TARGET.fullmatch(value):
        raise ValueError(f"{value!r} is not a spack target name -- write e.g. x86_64_v2 (`spack arch --known-targets`)")
    return value


def pin(value: str) -> str:
    """NAME==VERSION, the only form that reaches pip: anything else (an option such as
    --index-url, a URL, a path, a marker, a range) would bypass the lock or the allow-list."""
    match = _PIN.fullmatch(value)
    if match:
        try:
            Version(match.group(2))
        except InvalidVersion:
            match = None
    if not match:
        name = re.match(r"[A-Za-z0-9._-]*", value).group(0) or "NAME"
        raise ValueError(f"{value!r} is not pinned -- write exactly {name}==VERSION (no options, URLs, paths, "
                         "extras, markers or ranges)")
    return value


AbsolutePath = Annotated[StrictStr, AfterValidator(absolute_path)]
LabelText = Annotated[StrictStr, AfterValidator(label_text)]
GitUrl = Annotated[StrictStr, AfterValidator(git_url)]
WebUrl = Annotated[StrictStr, AfterValidator(web_url)]
GitRef = Annotated[StrictStr, AfterValidator(git_ref)]
SpackTarget = Annotated[StrictStr, AfterValidator(spack_target)]
Pin = Annotated[StrictStr, AfterValidator(pin)]
