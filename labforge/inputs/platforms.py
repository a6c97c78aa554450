"""What each supported Debian suite provides, so spack can reuse the OS compiler and Python."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    suite: str
    spack_os: str  # spack's name for the OS, part of the module path
    python: str  # major.minor of the suite's python3
    python_full: str
    gcc: str


PLATFORMS = {
    "bookworm": Platform("bookworm", "debian12", "3.11", "3.11.2", "12.2.0"),
    "trixie": Platform("trixie", "debian13", "3.13", "3.13.5", "14.2.0"),
}
