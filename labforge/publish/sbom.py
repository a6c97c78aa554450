"""A CycloneDX SBOM of a release image: spack packages from spack.lock when there is one,
plus the image's Debian and Python packages. Deterministic for a given image."""

from __future__ import annotations

import datetime as dt
import email.parser
import json
import uuid
from pathlib import Path

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot5
from packageurl import PackageURL


def debian_packages(rootfs: Path) -> list[tuple[str, str, str]]:
    status = rootfs / "var/lib/dpkg/status"
    if not status.exists():
        return []
    packages = []
    for stanza in status.read_text(errors="replace").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line.startswith(" "))
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            packages.append((fields["Package"], fields.get("Version", ""), fields.get("Architecture", "all")))
    return sorted(set(packages))


def python_packages(rootfs: Path, venv: str = "opt/venv") -> list[tuple[str, str]]:
    found = set()
    for metadata in (rootfs / venv).glob("lib/python3*/site-packages/*.dist-info/METADATA"):
        message = email.parser.Parser().parsestr(metadata.read_text(errors="replace"), headersonly=True)
        if message.get("Name") and message.get("Version"):
            found.add((message["Name"], message["Version"]))
    return sorted(found)


def spack_packages(lock: dict) -> list[tuple[str, str, str]]:
    specs = lock.get("concrete_specs", {})
    return sorted({(spec.get("name", ""), str(spec.get("version", "")), dag_hash)
                   for dag_hash, spec in specs.items() if spec.get("name")})


def make_sbom(subject: str, created: str, rootfs: Path | None, spack_lock: dict | None, image_digest: str) -> str:
    """`subject`: the release id (or TOOL-TAG of a batch image); `created`: the record's date."""
    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"labforge:{subject}:{image_digest}"))
    bom.metadata.timestamp = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    bom.metadata.component = Component(
        type=ComponentType.CONTAINER, name=f"lab-{subject}", version=subject,
        bom_ref=f"image:{image_digest}", purl=PackageURL("oci", None, "notebook", image_digest))
    for name, version, dag_hash in spack_packages(spack_lock or {}):
        bom.components.add(Component(type=ComponentType.LIBRARY, name=name, version=version,
                                     bom_ref=f"spack:{name}@{version}/{dag_hash}",
                                     purl=PackageURL("generic", "spack", name, version, {"hash": dag_hash})))
    if rootfs is not None:
        for name, version, arch in debian_packages(rootfs):
            bom.components.add(Component(type=ComponentType.LIBRARY, name=name, version=version,
                                         bom_ref=f"deb:{name}@{version}:{arch}",
                                         purl=PackageURL("deb", "debian", name, version, {"arch": arch})))
        for name, version in python_packages(rootfs):
            bom.components.add(Component(type=ComponentType.LIBRARY, name=name, version=version,
                                         bom_ref=f"pypi:{name}@{version}", purl=PackageURL("pypi", None, name, version)))
    bom.register_dependency(bom.metadata.component, list(bom.components))
    text = JsonV1Dot5(bom).output_as_string(indent=2)
    return json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
