"""What every lab notebook image must be, checked on its root filesystem."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from labforge.buildah.ca import certificates
from labforge.suites.image.helpers import VENV, as_user, sh

SEARCHED_FOR_SECRETS = ["/etc", "/home", "/root", "/opt/labforge", "/usr/local", "/opt/spack-environment",
                        "/opt/software"]


# --- the notebook server ----------------------------------------------------------------------

def test_jupyterlab_and_singleuser_run(host):
    lab = host.run(f"{VENV}/bin/jupyter lab --version")
    assert lab.rc == 0 and re.match(r"^[0-9]+\.[0-9]+\.[0-9]+", lab.stdout.strip()), lab.stderr
    single = host.run(f"HOME=/tmp {VENV}/bin/jupyterhub-singleuser --version")
    assert single.rc == 0 and re.match(r"^[0-9]+\.[0-9]+\.[0-9]+", single.stdout.strip()), single.stderr


def test_pinned_versions_are_installed(host, rootfs):
    pins = [line.strip() for line in (rootfs / "opt/labforge/requirements.txt").read_text().splitlines() if line.strip()]
    freeze = {line.lower().replace("_", "-") for line in host.run(f"{VENV}/bin/pip freeze").stdout.split()}
    for pin in pins:
        assert pin.lower().replace("_", "-") in freeze, pin


def test_release_kernel_is_valid_and_named_as_rendered(host, release, spack_built):
    spec_file = host.file(f"{VENV}/share/jupyter/kernels/{release.kernel}/kernel.json")
    assert spec_file.exists
    spec = json.loads(spec_file.content_string)
    assert spec["language"] == "python" and "{connection_file}" in spec["argv"]
    assert host.file(spec["argv"][0]).mode & 0o111
    # What the notebook server offers: its config (as it loads it) applied to the kernel spec manager.
    script = ("import json; from jupyter_server.serverapp import ServerApp; "
              "from jupyter_client.kernelspec import KernelSpecManager; app = ServerApp(); app.load_config_file(); "
              "print(json.dumps(sorted(KernelSpecManager(config=app.config).find_kernel_specs())))")
    listed = host.run(f"HOME=/tmp {VENV}/bin/python -c {shlex.quote(script)}")
    assert listed.rc == 0, listed.stderr
    has_r = spack_built and any(t.package == "r" or t.package.startswith("r-") for t in release.tools)
    # the release's kernels and only them: Python, and R when the release has R tools
    assert json.loads(listed.stdout) == [release.kernel] + ([f"{release.kernel}-r"] if has_r else [])


def test_restarted_kernels_get_the_server_s_modules(host):
    """The server's config names lab_kernels' manager (a restart sees the modules loaded since);
    it imports in the server's Python and is a kernel manager the server accepts."""
    script = ("from jupyter_server.serverapp import ServerApp; from traitlets.utils.importstring import import_item; "
              "from jupyter_server.services.kernels.kernelmanager import ServerKernelManager as S; "
              "app = ServerApp(); app.load_config_file(); name = app.config.MappingKernelManager.kernel_manager_class; "
              "print(name, issubclass(import_item(name), S))")
    found = host.run(f"HOME=/tmp {VENV}/bin/python -c {shlex.quote(script)}")
    assert found.rc == 0, found.stderr
    assert found.stdout.split()[-2:] == ["lab_kernels.ReleaseKernelManager", "True"]


def test_a_deprecated_releases_notice_reaches_kernels_and_the_kernel_name(host):
    """The hub's profile of a deprecated release sets LAB_RELEASE_NOTICE: the first cell prints it
    (lab_notice, loaded by the release kernel), and the kernel's name says "(deprecated)"."""
    notice = "Release 2026.05 is deprecated: it can be started until 2027-03-31; move to release 2026.11."
    run_cell = ("from IPython.core.interactiveshell import InteractiveShell; shell = InteractiveShell.instance(); "
                "shell.extension_manager.load_extension('lab_notice'); shell.run_cell('x = 1'); shell.run_cell('x')")
    shown = sh(host, f"LAB_RELEASE_NOTICE={shlex.quote(notice)} {VENV}/bin/python -c {shlex.quote(run_cell)}")
    assert shown.rc == 0 and shown.stderr.count(f"Notice: {notice}") == 1, shown.stderr
    quiet = sh(host, f"{VENV}/bin/python -c {shlex.quote(run_cell)}")
    assert quiet.rc == 0 and "Notice" not in quiet.stderr
    names = ("import lab_kernels; m = lab_kernels.ReleaseKernelSpecManager(); "
             "print([m.get_kernel_spec(k).display_name for k in m.find_kernel_specs()])")
    labelled = sh(host, f"LAB_RELEASE_NOTICE=x {VENV}/bin/python -c {shlex.quote(names)}")
    assert labelled.rc == 0 and "(deprecated)" in labelled.stdout, labelled.stderr


def test_lab_token_helper_is_there_for_the_user(host, settings):
    user = as_user(settings.get("uid", 1000), [f"PATH={VENV}/bin:/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"])
    # the kernel's Python imports it; the command explains itself outside a Lab server
    imported = sh(host, f"{user} {VENV}/bin/python -c 'from lab_token import access_token, token_info'")
    assert imported.rc == 0, imported.stderr
    command = sh(host, f"{user} lab-token")
    assert command.rc == 1 and "LAB_TOKEN_URL" in command.stderr and "Traceback" not in command.stderr


def test_lab_share_command_is_there_for_the_user(host, settings):
    user = as_user(settings.get("uid", 1000), [f"PATH={VENV}/bin:/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"])
    usage = sh(host, f"{user} lab-share --help")
    assert usage.rc == 0 and "add" in usage.stdout and "remove" in usage.stdout, usage.stderr
    listed = sh(host, f"{user} lab-share list")
    assert listed.rc == 1 and "LAB_SHARE_URL" in listed.stderr and "Traceback" not in listed.stderr


# --- mounts, labels, release ------------------------------------------------------------------

def test_mount_points_and_owners(host, settings):
    mounts = settings.get("mounts", {"drive": "/home/jovyan/drive", "shared": "/home/jovyan/shared",
                                     "datasets": "/home/jovyan/datasets"})
    uid = settings.get("uid", 1000)
    for name in ("drive", "shared"):
        folder = host.file(mounts[name])
        assert folder.is_directory and folder.uid == uid, name


def test_labels_and_lab_release(image_config, release):
    labels = image_config["Labels"]
    assert labels["org.opencontainers.image.version"] == release.id == labels["version"]
    suffix = "-gpu" if release.variant == "gpu" else ""
    assert labels["name"] == f"lab-{release.id}{suffix}" and labels["authorization"]
    assert labels["org.labforge.input-digest"] == release.input_digest
    assert labels["org.opencontainers.image.created"] == release.created
    assert f"LAB_RELEASE={release.id}" in image_config["Env"]
    assert image_config["Cmd"] == ["jupyterhub-singleuser"]


# --- nothing secret left behind ----------------------------------------------------------------

def test_no_extra_ca_certificates(host, rootfs, extra_ca_files):
    debian = set()
    for crt in (rootfs / "usr/share/ca-certificates").rglob("*.crt"):
        debian.update(certificates(crt.read_text(errors="replace")))
    bundle = rootfs / "etc/ssl/certs/ca-certificates.crt"
    in_bundle = set(certificates(bundle.read_text())) if bundle.exists() else set()
    assert in_bundle <= debian, "the image trusts certificates Debian does not ship"
    local = rootfs / "usr/local/share/ca-certificates"
    assert not local.exists() or not any(local.iterdir())
    assert not host.file("/run/secrets/labforge-ca").exists
    extra = set()
    for path in extra_ca_files:
        extra.update(certificates(path.read_text(errors="replace")))
    extra -= debian
    if extra:
        for directory in ("etc", "usr/local", "opt", "home", "root"):
            for path in (rootfs / directory).rglob("*"):
                if path.is_file() and not path.is_symlink() and path.suffix in (".pem", ".crt", ".cer", ""):
                    if path.stat().st_size < 2_000_000:
                        text = path.read_text(errors="replace")
                        assert not any(cert.splitlines()[0] in text for cert in extra), path


def test_no_private_keys_or_tokens(host, image_config):
    dirs = " ".join(SEARCHED_FOR_SECRETS)
    # PEM keys, and the GPG key that signs the build cache (a build secret, never in a layer)
    keys = sh(host, f"grep -rIlE -- '-----BEGIN ([A-Z]+ )?PRIVATE KEY( BLOCK)?-----' {dirs} 2>/dev/null || true").stdout.split()
    assert keys == []
    for name in (".netrc", ".git-credentials", ".pypirc", ".docker/config.json", ".config/containers/auth.json"):
        found = sh(host, f"ls -d /root/{name} /home/*/{name} 2>/dev/null || true").stdout.split()
        assert found == [], name
    for variable in image_config["Env"]:
        assert not re.match(r"^[A-Z_]*(TOKEN|PASSWORD|SECRET)[A-Z_]*=", variable), variable


# --- the release's tools (only when the spack stage ran) ---------------------------------------

def module(host, image_config, command: str):
    # chroot does not apply the image's ENV (MODULEPATH, LMOD_CMD...): export it as a container would.
    exports = " ".join(shlex.quote(variable) for variable in image_config["Env"])
    return sh(host, f"export {exports} && source /usr/share/lmod/lmod/init/bash && {command}")


def test_module_avail_lists_every_tool_version(host, image_config, release, spack_built):
    if not spack_built:
        pytest.skip("image built with --no-spack: it has no tools")
    avail = module(host, image_config, "module -t avail 2>&1").stdout
    for tool in release.tools:
        for version in tool.versions:
            assert f"{tool.package}/{version}" in avail


def test_module_load_gives_the_default_and_tool_tests_pass(host, image_config, release, spack_built):
    if not spack_built:
        pytest.skip("image built with --no-spack: it has no tools")
    for tool in release.tools:
        loaded = module(host, image_config, f"module load {tool.package} && module -t list 2>&1")
        assert loaded.rc == 0 and f"{tool.package}/{tool.default}" in loaded.stdout
        for name in tool.tests["imports"]:
            check = module(host, image_config, f"module load {tool.package} && {VENV}/bin/python -c 'import {name}'")
            assert check.rc == 0, (tool.name, name, check.stderr)
        for command in tool.tests["commands"]:
            check = module(host, image_config, f"module load {tool.package} && {command}")
            assert check.rc == 0, (tool.name, command, check.stderr)


# --- what a notebook user sees of the modules --------------------------------------------------

def avail_modules(host, image_config) -> set[str]:
    """`module -t avail` as name/version entries (Lmod marks the default; hidden ones are not listed)."""
    lines = module(host, image_config, "module -t avail 2>&1").stdout.split()
    return {line.removesuffix("(default)") for line in lines if "/" in line and not line.endswith((":", "/"))}


def test_module_avail_lists_tool_versions_only(host, image_config, release, spack_built):
    if not spack_built:
        pytest.skip("image built with --no-spack: it has no tools")
    expected = {f"{tool.package}/{version}" for tool in release.tools for version in tool.versions}
    # no hashes in the names, and the implicit dependencies stay hidden
    assert avail_modules(host, image_config) == expected


def test_module_list_shows_tools_only_without_hashes(host, image_config, release, spack_built):
    """Loading every tool's default lists tools only: their implicit dependencies' environment is
    inlined (images/builder/files/spack-modules.py), so no python/3.11.2-4uehvdi sits next to them."""
    if not spack_built:
        pytest.skip("image built with --no-spack: it has no tools")
    packages = [tool.package for tool in release.tools]
    listed = module(host, image_config, f"module load {' '.join(packages)} && module -t list 2>&1").stdout.split()
    tools = {f"{tool.package}/{version}" for tool in release.tools for version in tool.versions}
    assert listed and set(listed) <= tools, set(listed) - tools
    imports = [name for tool in release.tools for name in tool.tests["imports"]]
    if imports:  # and the environment the hidden dependencies gave is still there
        script = "; ".join(f"import {name}" for name in imports)
        check = module(host, image_config, f"module load {' '.join(packages)} && {VENV}/bin/python -c {shlex.quote(script)}")
        assert check.rc == 0, check.stderr


def test_loading_another_version_swaps_it(host, image_config, release, spack_built):
    several = [tool for tool in release.tools if len(tool.versions) > 1]
    if not spack_built or not several:
        pytest.skip("needs a tool with several versions in a spack-built image")
    for tool in several:
        other = next(v for v in tool.versions if v != tool.default)
        listed = module(host, image_config, f"module load {tool.package} && module load {tool.package}/{other} "
                                            "&& module -t list 2>&1").stdout.split()
        assert f"{tool.package}/{other}" in listed and f"{tool.package}/{tool.default}" not in listed


def test_release_kernel_loads_the_defaults_and_imports_the_tools(host, image_config, release, spack_built):
    if not spack_built:
        pytest.skip("image built with --no-spack: it has no tools")
    launcher = json.loads(host.file(f"{VENV}/share/jupyter/kernels/{release.kernel}/kernel.json").content_string)["argv"][0]
    imports = [name for tool in release.tools for name in tool.tests["imports"]]
    script = "; ".join(f"import {name}" for name in imports) or "pass"
    # the launcher up to its exec line: the environment the kernel process gets
    check = module(host, image_config, f"eval \"$(sed '/^exec /d' {launcher})\" && module -t list 2>&1 "
                                        f"&& {VENV}/bin/python -c {shlex.quote(script)}")
    assert check.rc == 0, check.stderr
    for tool in release.tools:
        assert f"{tool.package}/{tool.default}" in check.stdout.split()


def test_a_release_with_r_has_its_r_kernel_and_irkernel_loads(host, image_config, release, spack_built):
    """The R kernel (IRkernel from spack), whenever the release lists R tools."""
    has_r = any(tool.package == "r" or tool.package.startswith("r-") for tool in release.tools)
    if not has_r or not spack_built:
        pytest.skip("the release has no R tools" if not has_r else "image built with --no-spack: no tools")
    folder = f"{VENV}/share/jupyter/kernels/{release.kernel}-r"
    spec = json.loads(host.file(f"{folder}/kernel.json").content_string)
    assert spec["language"] == "R" and spec["argv"] == [f"{folder}/launch.sh", "{connection_file}"]
    assert host.file(f"{folder}/launch.sh").mode & 0o111
    check = module(host, image_config, f"eval \"$(sed '/^exec /d' {folder}/launch.sh)\" && "
                                        "Rscript -e 'library(IRkernel); cat(\"irkernel-ok\\n\")'")
    assert check.rc == 0 and "irkernel-ok" in check.stdout, check.stderr


def test_notebook_server_starts_with_the_release_defaults_loaded(host, image_config, release, spack_built):
    """Its jupyter_server_config.py loads them (the Lmod panel shows them, terminals and kernels
    inherit them); a version already chosen stays."""
    config = f"{VENV}/etc/jupyter/jupyter_server_config.py"
    code = (f"import os; from traitlets.config import Config; c = Config(); "  # as Jupyter's loader runs it
            f"exec(open({config!r}).read(), {{'get_config': lambda: c}}); print(os.environ.get('LOADEDMODULES', ''))")
    started = module(host, image_config, f"{VENV}/bin/python -c {shlex.quote(code)}")
    assert started.rc == 0 and "did not load" not in started.stderr, started.stderr
    if not spack_built:
        return
    loaded = started.stdout.strip().splitlines()[-1].split(":")
    for tool in release.tools:
        assert f"{tool.package}/{tool.default}" in loaded
    several = [tool for tool in release.tools if len(tool.versions) > 1]
    for tool in several:
        other = next(v for v in tool.versions if v != tool.default)
        kept = module(host, image_config, f"module load {tool.package}/{other} && "
                                          f"{VENV}/bin/python -c {shlex.quote(code)}")
        names = kept.stdout.strip().splitlines()[-1].split(":")
        assert f"{tool.package}/{other}" in names and f"{tool.package}/{tool.default}" not in names


def test_jupyterlmod_lists_the_same_modules(host, image_config, spack_built):
    if not spack_built:
        pytest.skip("image built with --no-spack: it has no tools")
    code = "import asyncio, json, module; print(json.dumps(asyncio.run(module.ModuleAPI().avail())))"
    seen = module(host, image_config, f"{VENV}/bin/python -c {shlex.quote(code)}")
    assert seen.rc == 0, seen.stderr
    listed = {entry.removesuffix("(default)") for entry in json.loads(seen.stdout.strip().splitlines()[-1])}
    assert listed == avail_modules(host, image_config)


# --- the GPU variant ---------------------------------------------------------------------------

def test_gpu_image_has_the_cuda_toolkit_its_tools_were_built_for(host, image_config, release, spack_built):
    if image_config["Labels"].get("org.labforge.variant") != "gpu":
        pytest.skip("a CPU image")
    gpu = release.gpu
    runtime = sh(host, f"ls {gpu['cuda_prefix']}/lib64/libcudart.so* {gpu['cuda_prefix']}/targets/*/lib/libcudart.so* "
                       "2>/dev/null")
    assert runtime.stdout.strip(), f"no CUDA runtime under {gpu['cuda_prefix']} (the base image's toolkit)"
    if not spack_built:
        return
    lock = json.loads(host.file("/opt/spack-environment/spack.lock").content_string)
    for tool in release.tools:
        if tool.name in gpu["variants"]:
            roots = [r["spec"] for r in lock["roots"] if r["spec"].startswith(tool.package + "@")]
            assert roots and all("+cuda" in spec for spec in roots), (tool.name, roots)
