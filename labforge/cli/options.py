"""Options the command modules share, and the callbacks that check an argument before any work
(a release id, a tool, a registry location, a CA file, an auth file...): a bad one is one line."""

from __future__ import annotations

from pathlib import Path

import typer

from ..core.errors import LabforgeError, Problem
from ..inputs.references import location_problem, reference_problem
from ..registry.auth import check_authfile

CA_HELP = "extra CA certificate (PEM) trusted during the build only; repeatable"


def registry_location(ctx, param, value: str | None) -> str | None:
    """Callback of --registry-like options: HOST[:PORT][/PATH], before any work or network look-up."""
    if value is not None and (problem := location_problem(value)):
        raise LabforgeError(Problem(param.opts[0], problem, "see labforge COMMAND --help"))
    return value


def image_reference(ctx, param, value: str | None) -> str | None:
    """Callback of image options (--builder-image): an OCI reference, checked before any work."""
    if value is not None and (problem := reference_problem(value)):
        raise LabforgeError(Problem(param.opts[0], problem, "see labforge COMMAND --help"))
    return value


def _items(value: str | list[str] | None) -> list[str]:
    """A callback's value as a list: one argument or option, or a repeated one."""
    return [value] if isinstance(value, str) else list(value or [])


def _named(param) -> str:
    """How the user wrote the parameter: --option, or the argument's metavar (ID, NAME...)."""
    return param.opts[0] if param.param_type_name == "option" else (param.metavar or param.name.upper())


def check_release_id(ctx, param, value: str | list[str] | None):
    """Callback of release ID arguments and --release: an id names files (releases/ID.yaml,
    build/logs/ID-*.log), so anything else (`../x`, an option word) is refused before any work."""
    from ..inputs.releases import id_problem

    for item in _items(value):
        if problem := id_problem(item):
            raise LabforgeError(Problem(_named(param), problem,
                                        "see labforge release validate for the known releases"))
    return value


def check_tool_wanted(ctx, param, value: str | list[str] | None):
    """Callback of tool arguments (NAME or NAME@VERSION): a name names a file
    (spack/tools/NAME.yaml), so it must be a tool name before anything is looked up."""
    import re

    from ..inputs.tools import TOOL_NAME

    for item in _items(value):
        name, at, version = item.partition("@")
        if not re.fullmatch(TOOL_NAME, name, re.ASCII) or (at and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", version)):
            raise LabforgeError(Problem(_named(param), f"{item[:80]!r} is not a tool (NAME or NAME@VERSION)",
                                        "write e.g. nest or nest@3.0; labforge tool check lists the tools"))
    return value


def web_url_option(ctx, param, value: str | None) -> str | None:
    """Callback of URL options (--mirror): a plain http(s) URL, as in the manifests."""
    from ..core.fields import web_url

    try:
        return web_url(value) if value is not None else None
    except ValueError as exc:
        message, _, hint = str(exc).partition(" -- ")
        raise LabforgeError(Problem(_named(param), message, hint)) from None


def ca_cert_files(ctx, param, value: list[Path]) -> list[Path]:
    """Callback of --ca-cert: every file exists and holds a PEM certificate, before any render or build."""
    for path in value or []:
        try:
            text = path.read_bytes()[:1 << 20]
        except OSError as exc:
            raise LabforgeError(Problem("--ca-cert", f"cannot read {path}: {exc.strerror or exc}",
                                        "give a PEM CA certificate file")) from None
        if b"-----BEGIN CERTIFICATE-----" not in text:
            raise LabforgeError(Problem("--ca-cert", f"{path} holds no PEM certificate",
                                        "give a PEM CA certificate file (-----BEGIN CERTIFICATE-----)"))
    return value


def runner_tags(ctx, param, value: list[str]) -> list[str]:
    """Callback of --tag: GitLab runner tags as labs write them; an empty one makes GitLab refuse every job."""
    import re

    for tag in value or []:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}", tag):
            raise LabforgeError(Problem("--tag", f"{tag[:80]!r} is not a runner tag",
                                        "write letters, digits and ._:/- , e.g. labforge-build"))
    return value


def auth_file_option(ctx, param, value: Path | None) -> Path | None:
    """Callback of --authfile: the file exists and is an auth file, before any work."""
    check_authfile(value)
    return value


PORT = typer.Option(8888, "--port", min=1, max=65535, help="port on 127.0.0.1")
DRIVE = typer.Option(None, "--drive", help="host folder mounted as the Drive (default: build/try/NAME/drive, kept)")
BUILDER = typer.Option("buildah", "--builder", help="buildah (chroot, host network) or podman where it runs containers")
