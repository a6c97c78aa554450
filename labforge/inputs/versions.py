"""Tool versions in order, as people read them: PEP 440 where a version is one; any other text
sorts below every PEP 440 version, by its text (so `2.20.1` < `3.0`, and `develop` < `1.0`)."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version


def version_key(version: str) -> tuple:
    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (0, Version("0"), version)


def newest(versions: list[str]) -> str:
    return max(versions, key=version_key)
