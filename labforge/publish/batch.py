"""`labforge release publish ID --tools`: push each batch tool image to
<tools registry>/<tool>:<version>-<release>, attach its bundle (Batchfile, spack.yaml, the
tool's part of spack.lock, SBOM), with the same retries as the notebook image, and record all
of them in the catalog's `tools` section -- only after every push succeeded."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..buildah.batch import release_batch_images
from ..buildah.notebook import DIGEST_LABEL, local_config, mounted
from ..catalog.model import Catalog, ToolImage, load_catalog, save_catalog
from ..core.atomic import write_text
from ..core.errors import LabforgeError, Problem
from ..core.process import require
from ..inputs.project import Project
from ..registry.auth import auth_file
from ..registry.compression import skopeo_args
from ..render.batch import BATCHFILE, BatchImage
from .release import context_record, push_bundle, push_image, read_manifest
from .sbom import make_sbom


@dataclass(frozen=True)
class PublishedTool:
    reference: str
    bundle: str


def default_tools_registry(registry: str) -> str:
    """The registry's `tools` project (Harbor creates it for batch images): HOST/tools."""
    return f"{registry.split('/')[0]}/tools"


def tool_lock(lock, image: BatchImage) -> dict:
    """The part of the release's spack.lock that this image holds: its root and run-time closure."""
    specs = {h: spec for h, spec in lock.spack["concrete_specs"].items() if h in image.hashes}
    return {**lock.spack, "roots": [r for r in lock.spack["roots"] if r["hash"] == image.root], "concrete_specs": specs}


def publish_batch(project: Project, release_id: str, tools_registry: str, catalog_path: Path, *,
                  tls_verify: bool = True, authfile: Path | None = None, attempts: int = 4,
                  on_step: Callable[[str], None] | None = None) -> list[PublishedTool]:
    require("skopeo")
    step = on_step or (lambda _text: None)
    context, record = context_record(project, release_id)
    plan = release_batch_images(project, release_id)
    checked = []
    for image in plan.images:
        config = local_config(image.local_reference())
        if config is None or config["Labels"].get(DIGEST_LABEL) != record.get("input_digest"):
            raise LabforgeError(Problem(image.local_reference(), None, "", "not built from the current inputs",
                                        f"build it: labforge release build {release_id} --tools"))
        checked.append(image)
    skopeo_args(project.settings.publish)  # a compression the nodes cannot unpack: refused before pushing
    catalog = load_catalog(catalog_path, project.rel(catalog_path)) if catalog_path.exists() else Catalog()
    log = project.build_dir / "logs" / f"{release_id}-batch-publish.log"
    log.write_text("")
    published, entries = [], []
    with auth_file(tools_registry.split("/")[0], authfile) as auth, \
            tempfile.TemporaryDirectory(prefix="labforge-batch-") as tmp:
        for image in checked:
            repository, tag = image.repository(tools_registry), image.tag
            step(f"pushing {image.local_reference()} to {repository}:{tag}")
            digest = push_image(image.local_reference(), f"{repository}:{tag}", Path(tmp) / f"{image.stage}.digest",
                                tls_verify, auth, log, attempts, f"push to {tools_registry}",
                                skopeo_args(project.settings.publish))
            bundle_dir = Path(tmp) / image.stage
            write_batch_bundle(context, record, image, tool_lock(plan.lock, image), digest, bundle_dir)
            raw = read_manifest(f"{repository}@{digest}", tls_verify, auth, tools_registry)
            bundle = f"{repository}:{tag}-bundle"
            step(f"attaching the bundle of {image.module} (oras)")
            push_bundle(bundle, bundle_dir, raw, tls_verify, attempts, auth)
            published.append(PublishedTool(f"{repository}@{digest}", bundle))
            entries.append(ToolImage(tool=image.tool, version=image.version, release=release_id, image=repository,
                                     digest=digest, created=record["created"], module=image.module,
                                     command=image.command, input_digest=record["input_digest"]))
    save_catalog(catalog_path, catalog.with_tool_images(entries))  # only now, after every push succeeded
    return published


def write_batch_bundle(context: Path, record: dict, image: BatchImage, spack_lock: dict, digest: str,
                       out: Path) -> None:
    out.mkdir(parents=True)
    for name in ("spack.yaml", BATCHFILE):
        (out / name).write_bytes((context / name).read_bytes())
    write_text(out / "spack.lock", json.dumps(spack_lock, indent=1, sort_keys=True) + "\n")
    with mounted(image.local_reference()) as rootfs:
        write_text(out / "sbom.cdx.json", make_sbom({**record, "id": f"{image.tool}-{image.tag}"}, rootfs,
                                                     spack_lock, digest))
