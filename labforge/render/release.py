"""Render a release into a build context: spack.yaml, Containerfile, Apptainer definition,
kernel spec, pinned requirements and release.json. Pure function of the inputs: the same
inputs give byte-identical files."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from .. import __version__
from ..core.atomic import write_tree
from ..core.errors import Problem
from ..inputs import runtime_pins as serverpins
from ..inputs.platforms import PLATFORMS
from ..inputs.project import Project
from ..inputs.releases import LoadedRelease
from ..locks.lockfile import lock_path
from . import apptainer, batch, kernel, spackstage, userspack
from .layout import SECRET_CA, SECRETS, ImagePaths
from .record import NAME as RECORD
from .record import ReleaseRecord, ToolRecord
from .serverlayers import plan_server_layers
from .templates import render

ENTRYPOINT = ["tini", "-g", "--"]
CMD = ["jupyterhub-singleuser"]
CLINGO = "clingo==5.8.3"
LOCAL_BASE = "localhost/labforge-base:{suite}"

BUILD_PACKAGES = [
    "binutils", "bzip2", "ca-certificates", "curl", "file", "g++", "gcc", "gfortran", "git",
    "gzip", "make", "patch", "python3", "python3-dev", "python3-venv", "tar", "unzip", "xz-utils", "zstd",
    "gnupg",  # spack signs and verifies build cache binaries with gpg
    "patchelf",  # spack ci rebuild relocates with it; from Debian, so spack never bootstraps it
]
# Shared libraries of the OS compiler that spack-built tools link against, plus the notebook basics.
RUNTIME_PACKAGES = [
    "ca-certificates", "git", "less", "libgfortran5", "libgomp1", "libstdc++6", "lmod", "procps",
    "python3", "python3-venv", "tini",
]

CA_ENV = (
    f"if [ -s {SECRET_CA} ]; then export SSL_CERT_FILE={SECRET_CA} PIP_CERT={SECRET_CA} "
    f"REQUESTS_CA_BUNDLE={SECRET_CA} CURL_CA_BUNDLE={SECRET_CA} GIT_SSL_CAINFO={SECRET_CA} "
    f"LABFORGE_APT_CA=\"-o Acquire::https::CAInfo={SECRET_CA}\"; fi; \\\n    "
)

CONTAINERFILE = "Containerfile"
APPTAINER = "labforge.def"


def base_image(loaded: LoadedRelease) -> str:
    if loaded.gpu:  # the site's CUDA-capable base; labforge cannot make one
        return loaded.gpu.base_image
    base = loaded.release.base
    return base.image or LOCAL_BASE.format(suite=base.suite)


def input_files(project: Project, loaded: LoadedRelease, with_spack: bool = True) -> dict[str, bytes]:
    """Every file whose content decides the image, by project-relative path."""
    paths = [loaded.path, project.root / "labforge.yaml", project.spack_repo / "repo.yaml"]
    if with_spack:
        paths.append(lock_path(project.releases_dir, loaded.id))
    for name in sorted({t.name for t in loaded.release.tools}):
        tool = loaded.tools[name]
        paths.append(tool.path)
        package_dir = project.packages_dir / tool.tool.package
        if package_dir.is_dir():
            paths += sorted(p for p in package_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    paths += project.image_files
    paths.append(project.runtime_constraints)
    return {project.rel(p): p.read_bytes() for p in paths if p.exists()}


LAB_TOKEN = "lab_token.py"  # the notebook's helper for the hub's lab-token service
LAB_SHARE = "lab_share.py"  # the `lab-share` command, for the hub's lab-share service
LAB_KERNELS = "lab_kernels.py"  # the server's kernel manager: restarts see the modules loaded since
LAB_NOTICE = "lab_notice.py"  # a deprecated release's notice in each kernel
LAB_ENV = "lab_env.py"  # the `lab-env` command: users' own environments on the Drive
LAB_ENV_STORE = "lab_env_store.py"  # its folders on the Drive, builds and the switch between them
LAB_ENV_SPACK = "lab_env_spack.py"  # its spack environments, on the release's tree

# The builder's own code that shapes a render: a change here must change the digest too.
BUILDER_SOURCES = sorted(Path(__file__).parent.glob("*.py")) + [
    Path(__file__).parents[1] / "inputs" / name for name in ("platforms.py", "project.py", "releases.py", "tools.py")]


@functools.lru_cache(maxsize=1)  # the code does not change while the process runs
def builder_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in BUILDER_SOURCES:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def input_digest(inputs: dict[str, bytes], with_spack: bool, base: str) -> str:
    record = {
        "labforge": builder_fingerprint(),
        "with_spack": with_spack,
        "base_image": base,
        "files": {path: hashlib.sha256(data).hexdigest() for path, data in sorted(inputs.items())},
    }
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def context(project: Project, loaded: LoadedRelease, with_spack: bool, digest: str) -> dict:
    release, settings = loaded.release, project.settings
    platform = PLATFORMS[release.base.suite]
    specs = loaded.specs()
    defaults = [loaded.spec_for(e.name, e.default_version) for e in release.tools]
    modules = [f"{loaded.tools[e.name].tool.package}/{e.default_version}" for e in release.tools]
    title = f"lab-{loaded.id}"
    return {
        "labforge_version": __version__,
        "manifest": project.rel(loaded.path),
        "release": release,
        "specs": [spec for _, _, spec in specs],
        # The release's own package rules (release import keeps them), beside labforge's
        "release_all": release.packages["all"].as_spack() if "all" in release.packages else {},
        "release_packages": {name: rule.as_spack() for name, rule in sorted(release.packages.items())
                             if name != "all" and not (loaded.gpu and name == "cuda")},
        "default_specs": defaults,
        "modules": modules if with_spack else [],
        "settings": settings,
        "image": settings.image,
        "platform": platform,
        "paths": ImagePaths.for_platform(platform, settings.spack.target),
        "with_spack": with_spack,
        # users' own spack environments on this image (lab-env --spack): spack and compilers in it
        "user_spack": with_spack and release.environments.spack,
        "base_image": base_image(loaded),
        "build_packages": BUILD_PACKAGES,
        "runtime_packages": RUNTIME_PACKAGES,
        "system_packages": list(loaded.release.base.packages),
        "clingo": CLINGO,
        "ca_env": CA_ENV,
        "title": title,
        "description": f"Notebook image of lab release {release.id} ({release.channel}"
                       + (", GPU: CUDA " + loaded.gpu.cuda + ")" if loaded.gpu else ")"),
        "gpu": loaded.gpu,
        "created": release.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "input_digest": digest,
        "secrets": SECRETS,
        "layers": [],
        "stage_title": f"release {loaded.id}",
        "stage_mode": "release",
    }


def requirements(project: Project, loaded: LoadedRelease) -> str:
    pins = list(project.settings.runtime.python_packages) + list(loaded.release.jupyterlab.extras)
    return "".join(f"{pin}\n" for pin in sorted(pins, key=str.lower))


def server_constraints(project: Project, requirements_text: str) -> str:
    path = project.runtime_constraints
    if not path.exists():  # `release validate` says so; the build then resolves freely
        return f"# no {project.rel(path)}: run labforge runtime lock\n"
    return serverpins.for_render(path.read_text(encoding="utf-8"), requirements_text)


def release_record(loaded: LoadedRelease, digest: str, inputs: dict[str, bytes], with_spack: bool) -> str:
    release = loaded.release
    return ReleaseRecord(
        id=release.id,
        variant=loaded.variant or "cpu",
        gpu=loaded.gpu.model_dump() if loaded.gpu else None,
        channel=release.channel,
        status=release.status,
        kernel=release.kernel_name,
        created=release.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        input_digest=digest,
        with_spack=with_spack,
        base_image=base_image(loaded),
        labforge=builder_fingerprint(),
        tools=[ToolRecord(name=e.name, package=loaded.tools[e.name].tool.package, versions=list(e.versions),
                          default=e.default_version, tests=loaded.tools[e.name].tool.tests.model_dump())
               for e in release.tools],
        inputs={path: "sha256:" + hashlib.sha256(data).hexdigest() for path, data in sorted(inputs.items())},
        provided=[f"{external.spec} at {external.prefix}" for _, external in release.externals],
    ).to_json()


def spack_repo_files(files: dict[str, bytes]) -> dict[str, bytes]:
    """The lab's recipes among `files` (project-relative paths) as the context's spack-repo/."""
    repo = {"spack-repo/" + path.removeprefix("spack/"): data for path, data in files.items()
            if path == "spack/repo.yaml" or path.startswith("spack/packages/")}
    # spack disables a repository without a packages/ directory, even an empty one.
    repo.setdefault("spack-repo/packages/.keep", b"")
    return repo


def render_files(project: Project, loaded: LoadedRelease, with_spack: bool = True) -> tuple[dict[str, bytes], dict[str, int]]:
    """Every file of the build context, in memory; nothing is written here."""
    inputs = input_files(project, loaded, with_spack)
    digest = input_digest(inputs, with_spack, base_image(loaded))
    ctx = context(project, loaded, with_spack, digest)
    tdir = project.template_dirs
    spack_yaml = render(tdir, "spack.yaml.j2", ctx)
    stage: dict[str, bytes] = {}
    if with_spack:
        lock = spackstage.require_current_lock(project, loaded, spack_yaml.encode(), inputs)
        stage, ctx["layers"] = spackstage.stage_files(project, lock, ctx)
        if not loaded.variant:  # batch images come from the CPU image's build
            stage |= batch.batch_files(tdir, ctx, batch.batch_images(loaded, lock, ctx["layers"])[0])
    pins = requirements(project, loaded)
    constraints = server_constraints(project, pins)
    ctx["server_layers"] = plan_server_layers(pins, constraints)
    ctx["r_kernel"] = with_spack and loaded.has_r  # R tools: an R kernel too (IRkernel)
    containerfile = render(tdir, "Containerfile.j2", ctx)
    text = {
        CONTAINERFILE: containerfile,
        APPTAINER: apptainer.convert(containerfile, ctx["base_image"], ENTRYPOINT, CMD),
        "spack.yaml": spack_yaml,
        "requirements.txt": pins,
        "constraints.txt": constraints,
        **kernel.kernel_files(tdir, ctx, loaded.release),
        RECORD: release_record(loaded, digest, inputs, with_spack),
    }
    if ctx["user_spack"]:
        text[userspack.USER_SPACK] = userspack.user_spack_config(spack_yaml, ctx["paths"])
    files = {name: body.encode("utf-8") for name, body in text.items()} | stage
    for name in (LAB_TOKEN, LAB_SHARE, LAB_KERNELS, LAB_NOTICE, LAB_ENV, LAB_ENV_STORE, LAB_ENV_SPACK):
        files[name] = project.shipped_file("notebook", name).read_bytes()
    # The project's own spack recipes that this release uses, as a spack repository.
    files |= spack_repo_files(inputs)
    return files, {"kernel/launch.sh": 0o755, "kernel-r/launch.sh": 0o755, spackstage.STAGE_SCRIPT: 0o755,
                   LAB_TOKEN: 0o755, LAB_SHARE: 0o755, LAB_ENV: 0o755, batch.ENTRYPOINT: 0o755}


def spack_environment(project: Project, loaded: LoadedRelease) -> tuple[bytes, dict[str, bytes]]:
    """The release's spack.yaml and the inputs it depends on; needs no lock (it is what a
    lock is made from)."""
    inputs = input_files(project, loaded, with_spack=False)
    ctx = context(project, loaded, True, "")
    return render(project.template_dirs, "spack.yaml.j2", ctx).encode(), inputs


def lock_problems(project: Project, loaded: LoadedRelease) -> list[Problem]:
    """Why the release's lock cannot be built from (missing, stale, unreadable); empty if current."""
    spack_yaml, inputs = spack_environment(project, loaded)
    return spackstage.lock_problems(project, loaded, spack_yaml, inputs)[1]


def render_release(project: Project, loaded: LoadedRelease, out: Path, with_spack: bool = True,
                   trees: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Write the render to `out`; refuses (LabforgeError) to replace a directory labforge did not
    write. `trees`: sub-directories the caller adds afterwards (a build context's spack copy)."""
    files, modes = render_files(project, loaded, with_spack)
    write_tree(out, files, modes, trees)
    return files


__all__ = ["render_files", "render_release", "spack_environment", "input_digest", "CONTAINERFILE", "APPTAINER"]
