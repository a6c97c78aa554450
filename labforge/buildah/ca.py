"""Extra CA certificates for the build: one bundle, handed to RUN steps as a build secret.

A secret mount is never part of a layer, so the certificates do not reach the image.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..core.atomic import write_text
from ..core.errors import LabforgeError, Problem

PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


def certificates(text: str) -> list[str]:
    return [re.sub(r"\s+", "\n", m.group(0).replace("-----BEGIN CERTIFICATE-----", "")
                   .replace("-----END CERTIFICATE-----", "")).strip() for m in PEM.finditer(text)]


def bundle(paths: list[str], target: Path) -> Path:
    """Concatenate the given PEM files into `target` (mode 0600; empty when none)."""
    parts = []
    for name in paths:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise LabforgeError(Problem(name, f"cannot read: {exc.strerror}",
                                        "give a PEM file of CA certificates", field="--ca-cert")) from None
        if not PEM.search(text):
            raise LabforgeError(Problem(name, "no PEM certificate in this file",
                                        "give a file with -----BEGIN CERTIFICATE----- blocks", field="--ca-cert"))
        parts.append(text if text.endswith("\n") else text + "\n")
    write_text(target, "".join(parts))
    os.chmod(target, 0o600)
    return target
