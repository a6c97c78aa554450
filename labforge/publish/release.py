"""`labforge release publish`: one flow, with no half state. Read the release record of the built
image; push the image under its build's own tag (`build-<input digest>`: nothing anyone pulls
moves); attach its bundle (spack.yaml and lock, Containerfile, Apptainer definition, release
notes, SBOM) by the image's digest; only then move the tags people use (`ID`, `latest`,
`experimental`, `ID-bundle`); with --tools, the batch tool images alike; and last, under the
catalog's lock, record them in the catalog as it is then. A failure anywhere leaves every tag
people use, and the catalog, where they were."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..buildah.store import mounted, require_local_image
from ..catalog.model import Catalog, CatalogEntry, GpuImage
from ..catalog.store import change, load_catalog
from ..core.atomic import write_text
from ..core.errors import LabforgeError, Problem
from ..core.process import require
from ..inputs.project import Project
from ..registry.bundle import push_bundle
from ..registry.client import Registry
from ..registry.compression import skopeo_args
from ..registry.names import build_tag, bundle_tag, digest_bundle_tag, notebook_repository
from ..registry.names import tools_registry as default_tools_registry
from ..render.record import DIGEST_LABEL, IN_IMAGE, ReleaseRecord, read_record
from .batch import PublishedTool, checked_batch_images, publish_batch_images
from .notes import release_notes
from .sbom import make_sbom


@dataclass(frozen=True)
class PublishResult:
    release_id: str
    repository: str
    digest: str
    tags: list[str]
    bundle: str


@dataclass
class Publication:
    """What one `release publish` pushed: the notebook image (unless only --tools) and batch images."""
    release: PublishResult | None = None
    tools: list[PublishedTool] = field(default_factory=list)


def context_record(project: Project, release_id: str) -> tuple[Path, ReleaseRecord]:
    """The rendered build context of a built image, and its release record."""
    context = project.build_dir / "context" / release_id
    if not (context / "release.json").exists():
        raise LabforgeError(Problem(project.rel(context), "no rendered build context",
                                    f"build it first: labforge release build {release_id}"))
    return context, read_record(context, project.rel(context / "release.json"))


def tags_for(record: ReleaseRecord, release_id: str, catalog: Catalog) -> list[str]:
    """The tags an image gets: its id; `latest` for the newest stable release, `experimental` for the channel."""
    if record.variant != "cpu":  # `2026.11-gpu` only: "latest" and "experimental" name CPU images
        return [release_id]
    tags = [release_id]
    if record.channel == "experimental":
        tags.append("experimental")
    elif all(record.id >= other.id for other in catalog.stable()):
        tags.append("latest")
    return tags


def publish(project: Project, release_id: str, registry: str, catalog_path: Path, *, notebook: bool = True,
            tools: bool = False, tools_registry: str | None = None, tls_verify: bool = True,
            authfile: Path | None = None, attempts: int = 4, ca_files: list[Path] | None = None,
            on_step: Callable[[str], None] | None = None) -> Publication:
    """Push the release's notebook image (and, with `tools`, its batch tool images) with their
    bundles; record them in the catalog, written once at the end."""
    require("skopeo")
    require("buildah")
    compression = skopeo_args(project.settings.publish)  # a compression the nodes cannot unpack: refused first
    step = on_step or (lambda _text: None)
    context, record = context_record(project, release_id)
    catalog = load_catalog(catalog_path, project.rel(catalog_path)) if catalog_path.exists() else Catalog()
    reference = None
    if notebook:
        reference, config = require_local_image(release_id)
        if config["Labels"].get(DIGEST_LABEL) != record.input_digest:
            raise LabforgeError(Problem(reference, "the local image was built from other inputs",
                                        f"rebuild it: labforge release build {release_id}"))
        if record.variant != "cpu" and catalog.entry(record.id) is None:
            raise LabforgeError(Problem(project.rel(catalog_path), f"release {record.id} is not in the "
                                        "catalog", f"publish its CPU image first: labforge release publish {record.id}"))
    batch = checked_batch_images(project, release_id, record) if tools else None
    logs = project.build_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    result = Publication()
    if notebook:
        log = logs / f"{release_id}-publish.log"
        log.write_text("")
        with Registry(registry, tls_verify, authfile, attempts, ca_files).session() as target:
            result.release = push_notebook(project, release_id, record, context, reference, target, catalog,
                                           compression, log, step)
    entries = []
    if batch is not None:
        where = tools_registry or default_tools_registry(registry)
        log = logs / f"{release_id}-batch-publish.log"
        log.write_text("")
        with Registry(where, tls_verify, authfile, attempts, ca_files).session() as target:
            result.tools, entries = publish_batch_images(batch, record, context, target, compression, log, step)

    def recorded(current: Catalog) -> Catalog:  # the catalog as it is now: a change made meanwhile is kept
        if result.release is not None:
            current = record_image(current, record, release_id, result.release, project.rel(catalog_path))
        return current.with_tool_images(entries) if entries else current

    change(catalog_path, project.rel(catalog_path), recorded, missing_ok=True)  # only now, after every push
    return result


def push_notebook(project: Project, release_id: str, record: ReleaseRecord, context: Path, reference: str,
                  registry: Registry, catalog: Catalog, compression: list[str], log: Path,
                  step: Callable[[str], None]) -> PublishResult:
    repository = notebook_repository(registry.location)
    tags = tags_for(record, release_id, catalog)
    staging = f"{repository}:{build_tag(record)}"
    step(f"pushing {reference} to {staging}")
    digest = registry.push(reference, staging, log, f"push to {registry.location}", compression)
    step("attaching the release bundle (oras)")
    bundle = bundle_tag(repository, release_id)
    with tempfile.TemporaryDirectory(prefix="labforge-publish-") as tmp:
        folder = Path(tmp) / "bundle"
        write_bundle(project, release_id, record, context, reference, digest, folder)
        subject = registry.manifest(f"{repository}@{digest}")
        push_bundle(registry, f"{repository}:{digest_bundle_tag(digest)}", folder, subject)
        for tag in tags:  # now, and only now, what people pull moves
            step(f"tagging {repository}:{tag}")
            registry.tag(f"{repository}@{digest}", f"{repository}:{tag}", log, f"tag on {registry.location}")
        push_bundle(registry, bundle, folder, subject)
    return PublishResult(release_id, repository, digest, tags, bundle)


def record_image(catalog: Catalog, record: ReleaseRecord, release_id: str, pushed: PublishResult, shown: str) -> Catalog:
    if record.variant != "cpu":
        if catalog.entry(record.id) is None:
            raise LabforgeError(Problem(shown, f"release {record.id} left the catalog while its GPU image was pushed",
                                        f"publish its CPU image again: labforge release publish {record.id}"))
        return catalog.with_gpu_image(record.id, GpuImage(image=pushed.repository, digest=pushed.digest,
                                                          created=record.created, input_digest=record.input_digest))
    return catalog.with_entry(CatalogEntry(
        id=release_id, channel=record.channel, image=pushed.repository, digest=pushed.digest, created=record.created,
        status=record.status, kernel=record.kernel, input_digest=record.input_digest, with_spack=record.with_spack,
        provided=record.provided))


def write_bundle(project: Project, release_id: str, record: ReleaseRecord, context: Path, reference: str, digest: str,
                 out: Path) -> None:
    out.mkdir(parents=True)
    for name in ("spack.yaml", "Containerfile", "labforge.def"):
        (out / name).write_bytes((context / name).read_bytes())
    write_text(out / "release-notes.md", release_notes(project, release_id))
    with mounted(reference) as rootfs:
        lock_path = rootfs / "opt/spack-environment/spack.lock"
        lock = lock_path.read_bytes() if lock_path.exists() else None
        if lock is not None:
            (out / "spack.lock").write_bytes(lock)
        write_text(out / "sbom.cdx.json", make_sbom(record.id, record.created, rootfs,
                                                     json.loads(lock) if lock else None, digest))


__all__ = ["IN_IMAGE", "Publication", "PublishResult", "publish"]
