"""`labforge release build|test|publish|try`: a release's images, built, tested, published and served on loopback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from ...core.errors import LabforgeError, Problem
from ...core.metrics import Metrics, push, pushgateway
from ..app import release_app
from ..options import (
    BUILDER,
    CA_HELP,
    DRIVE,
    PORT,
    auth_file_option,
    ca_cert_files,
    check_release_id,
    registry_location,
)
from ..output import err, out, with_progress
from ..project import State
from ..serve import serve_lab


@release_app.command("build")
def release_build(
    release_id: str = typer.Argument(..., metavar="ID", callback=check_release_id),
    no_spack: bool = typer.Option(False, "--no-spack", help="build without the spack stage (no tools; labelled so)"),
    builder: str = typer.Option("buildah", help="buildah, podman or docker"),
    isolation: str = typer.Option("chroot", help="buildah isolation: chroot (no user namespaces/cgroups needed), oci, rootless"),
    ca_cert: list[Path] = typer.Option([], "--ca-cert", callback=ca_cert_files, help=CA_HELP),
    registry: Optional[str] = typer.Option(None, callback=registry_location,
                                           help="HOST/PROJECT to look for an identical image first"),
    tls_verify: bool = typer.Option(True, help="verify the registry's TLS certificate"),
    force: bool = typer.Option(False, help="build even when an identical image exists"),
    spack_cache: Optional[str] = typer.Option(callback=registry_location, default=
        None, help="spack build cache HOST/REPOSITORY (default with --registry: HOST/spack-cache/buildcache)"),
    unsigned_cache: bool = typer.Option(False, "--unsigned-cache", help="push and install unsigned binaries"),
    signing_key: Optional[Path] = typer.Option(
        None, help="armoured GPG secret key that signs the cache (or LABFORGE_SIGNING_KEY_FILE / LABFORGE_SIGNING_KEY)"),
    tools: bool = typer.Option(False, "--tools", help="also build a batch tool image for every tool version with a command"),
) -> None:
    """Render and build the release image; skipped when an image with the same input digest exists."""
    from ...buildah.bud import check_builder_choice
    from ...buildah.notebook import build_release
    from ...spackbuild.cache import default_location

    check_builder_choice(builder)
    if tools and no_spack:
        raise LabforgeError(Problem("--tools", "batch tool images need the tools (the spack stage)",
                                    "leave out --no-spack"))
    project = State.project()
    result = with_progress(f"building {release_id}", lambda on_step: build_release(
        project, release_id, with_spack=not no_spack, builder=builder, isolation=isolation,
        ca_certs=[str(c) for c in ca_cert], registry=registry, tls_verify=tls_verify, force=force, on_step=on_step,
        spack_cache=spack_cache, unsigned_cache=unsigned_cache, signing_key=signing_key))
    for line in build_summary(result):
        out.print(f"{release_id}: {line}")
    push(pushgateway(None), "labforge-build", build_metrics(result), release=release_id)
    if tools:
        from ...buildah.batch import build_batch

        with err.status(f"building the batch tool images of {release_id}") as status:
            batch = build_batch(project, release_id, builder=builder, isolation=isolation,
                                ca_certs=[str(c) for c in ca_cert], tls_verify=tls_verify, force=force,
                                spack_cache=spack_cache or default_location(registry), unsigned_cache=unsigned_cache,
                                signing_key=signing_key, on_image=lambda ref: status.update(f"building {ref}"))
        for line in batch_summary(batch):
            out.print(f"{release_id}: {line}")


def batch_summary(batch) -> list[str]:
    lines = [f"batch image built: {ref}" for ref in batch.built]
    lines += [f"batch image up to date: {ref}" for ref in batch.skipped]
    lines += [f"note: {note}" for note in batch.notes]
    return lines or ["no batch tool images"]


def build_metrics(result) -> Metrics:
    """A build's packages by where they came from (LABFORGE_PUSHGATEWAY): the dashboard's cache hits."""
    metrics = Metrics()
    report = result.spack
    from_cache, compiled = (report.from_cache, report.compiled) if report is not None and report.ran else (0, 0)
    text = "Packages the build installed, by source (the build cache, or compiled)"
    metrics.gauge("labforge_build_packages", text, from_cache, release=result.release_id, source="cache")
    metrics.gauge("labforge_build_packages", text, compiled, release=result.release_id, source="compiled")
    metrics.gauge("labforge_build_last_timestamp_seconds", "When the release was last built", time.time(),
                  release=result.release_id)
    return metrics


def build_summary(result) -> list[str]:
    """What a build did, for people: built or skipped, and what the spack stage did."""
    if result.skipped:
        return [f"nothing to build: {result.skipped} ({result.input_digest[:19]})"]
    spack = "with tools" if result.with_spack else "WITHOUT tools (--no-spack)"
    lines = [f"built {result.reference} {spack} in {result.seconds:.0f} s; log {result.log}"]
    if result.spack is not None:
        lines.append("spack: " + result.spack.summary())
        if result.spack.compiled_names:
            lines.append("compiled: " + ", ".join(result.spack.compiled_names))
        lines.append("build cache: " + (result.cache.describe() if result.cache else
                                        "none (pass --spack-cache or --registry to reuse binaries)"))
    return lines


@release_app.command("test")
def release_test(
    release_id: str = typer.Argument(..., metavar="ID", callback=check_release_id),
    ca_cert: list[Path] = typer.Option([], "--ca-cert", callback=ca_cert_files,
                                    help="CA certificates given to the build (checked absent)"),
    tools: bool = typer.Option(False, "--tools", help="also test the batch tool images"),
    browser: bool = typer.Option(False, "--browser", help="also the Lab in chromium (served as by 'release try')"),
) -> None:
    """Run the image test suite (pytest-testinfra) on the built image's root filesystem; with
    --browser, also the Lab as users meet it, in Debian's chromium (screenshots in build/screenshots)."""
    from ...suites.browser.runner import browser_test, require_browser
    from ...suites.image.runner import test_batch_images, test_release

    project = State.project()
    if browser:
        require_browser()  # before minutes of other tests
    code = test_release(project, release_id, [str(c) for c in ca_cert])
    if code != 0:
        raise LabforgeError(Problem(f"lab:{release_id}", f"image tests failed (pytest exit {code})",
                                    "see the failures above"))
    out.print(f"{release_id}: image tests passed")
    if browser:
        code = browser_test(project, release_id)
        if code != 0:
            raise LabforgeError(Problem(f"lab:{release_id}", f"browser tests failed (pytest exit {code})",
                                        f"see the failures above and build/screenshots/{release_id}"))
        out.print(f"{release_id}: browser tests passed (screenshots in build/screenshots/{release_id})")
    if tools:
        failed = [ref for ref, result in test_batch_images(project, release_id, [str(c) for c in ca_cert]).items()
                  if result != 0]
        if failed:
            raise LabforgeError([Problem(ref, "batch image tests failed", "see the failures above")
                                 for ref in failed])
        out.print(f"{release_id}: batch tool image tests passed")


@release_app.command("publish")
def release_publish(
    release_id: str = typer.Argument(..., metavar="ID", callback=check_release_id),
    registry: str = typer.Option(..., callback=registry_location, help="HOST/PROJECT, e.g. harbor.lab.example.org/lab"),
    catalog: Optional[Path] = typer.Option(None, help="catalog to update (default releases/catalog.json)"),
    tls_verify: bool = typer.Option(True, help="verify the registry's TLS certificate"),
    authfile: Optional[Path] = typer.Option(None, callback=auth_file_option,
                                            help="registry auth file (else LABFORGE_REGISTRY_USER/PASSWORD)"),
    tools: bool = typer.Option(False, "--tools", help="also push the batch tool images (after the notebook image)"),
    tools_registry: Optional[str] = typer.Option(None, callback=registry_location,
                                                 help="HOST/PROJECT of batch images (default: HOST/tools)"),
    ca_cert: list[Path] = typer.Option([], "--ca-cert", callback=ca_cert_files,
                                       help="CA certificate (PEM) of the registry, for skopeo and oras alike "
                                            "(default: SSL_CERT_FILE, else the system's); repeatable"),
) -> None:
    """Push the image and its bundle (spack.yaml/lock, Containerfile, Apptainer def, notes, SBOM); update the catalog."""
    from ...publish.release import publish

    project = State.project()
    path = catalog or project.catalog_path
    with err.status(f"publishing {release_id} to {registry}") as status:
        done = publish(project, release_id, registry, path, tools=tools, tools_registry=tools_registry,
                       tls_verify=tls_verify, authfile=authfile, ca_files=list(ca_cert),
                       on_step=lambda text: status.update(text))
    result = done.release
    out.print(f"{release_id}: {result.repository}@{result.digest} tags {', '.join(result.tags)}; "
              f"bundle {result.bundle}; catalog {project.rel(path)}")
    for item in done.tools:
        out.print(f"{release_id}: batch image {item.reference}; bundle {item.bundle}")


@release_app.command("try")
def release_try(release_id: str = typer.Argument(..., metavar="ID", callback=check_release_id), port: int = PORT,
                drive: Optional[Path] = DRIVE, builder: str = BUILDER) -> None:
    """Serve the release's built image's JupyterLab on 127.0.0.1 (its own server, as the image user)."""
    from ...inputs.releases import require_release
    from ...registry.names import local_notebook

    require_release(State.project(), release_id)
    serve_lab(local_notebook(release_id), release_id, port, drive, builder, f"labforge release build {release_id}")
