"""The spack stage without spack: its script (shellcheck), the build cache options and secrets,
and reading what the stage did from the build log."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from labforge.buildah.bud import build_command
from labforge.core.errors import LabforgeError
from labforge.inputs.project import Project
from labforge.inputs.releases import require_release
from labforge.render.release import render_files
from labforge.spackbuild.cache import build_args, build_cache, default_location, secret_files
from labforge.spackbuild.report import SpackReport
from tests.helpers.project import REPO

KEY = b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGdummy\n-----END PGP PRIVATE KEY BLOCK-----\n"


def stage_script() -> bytes:
    project = Project(REPO)
    return render_files(project, require_release(project, "2026.11"))[0]["spack-stage.sh"]


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is installed by 'make test'")
def test_stage_script_passes_shellcheck(tmp_path):
    path = tmp_path / "spack-stage.sh"
    path.write_bytes(stage_script())
    proc = subprocess.run(["shellcheck", "--shell=sh", "--severity=style", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_stage_script_pushes_each_package_as_it_installs():
    text = stage_script().decode()
    install = text.index('spack -e "$ENV" python /opt/labforge/spack-install.py "$mode"')
    assert "set -eu" in text and "--fail-fast" not in text  # a failure stops only its dependents
    assert "spack mirror add --scope site --autopush" in text
    assert "concretize" not in text.replace("without concretizing", "")
    # the index is updated whether the install failed or not, and before the failure is passed on
    index_call = text.index("  if [ -n \"$cache\" ]; then index; fi", install)
    assert index_call < text.index('if [ "$status" != 0 ]; then exit "$status"; fi', install)
    release = text[text.index("  release)"):text.index("  tool)")]
    assert "push" not in release and "gc -y" in release  # pushed during the install, before gc
    assert "grep -rqF" in text  # a password written into a package stops the tool's later push
    assert 'trap \'rm -rf "$SPACK_GNUPGHOME"\' EXIT' in text  # the keyring dies with the step


def install_driver(pushed: list):
    """images/builder/files/spack-install.py loaded with stand-ins for the spack modules it imports;
    spack's own autopush records what it was asked to push in `pushed`."""
    import importlib.util
    import sys
    import types

    for name in ("spack", "spack.environment", "spack.hooks", "spack.hooks.autopush", "spack.mirrors",
                 "spack.mirrors.mirror"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["spack.hooks.autopush"].post_install = lambda spec, explicit: pushed.append(spec.name)
    spec = importlib.util.spec_from_file_location("spack_install", REPO / "images/builder/files/spack-install.py")
    driver = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(driver)
    finally:
        for name in [n for n in sys.modules if n == "spack" or n.startswith("spack.")]:
            if getattr(sys.modules[name], "__file__", None) is None:
                del sys.modules[name]
    return driver


class FakeSpec:
    def __init__(self, name: str, prefix, from_cache: bool = False):
        import types

        self.name, self.version, self.prefix, self.external = name, "1.0", str(prefix), False
        self.package = types.SimpleNamespace(installed_from_binary_cache=from_cache)

    def dag_hash(self, length: int) -> str:
        return "a" * length


def test_install_driver_checks_every_push_for_the_password(tmp_path):
    driver = install_driver([])
    prefix = tmp_path / "prefix"
    (prefix / "lib").mkdir(parents=True)
    (prefix / "lib" / "big.bin").write_bytes(b"x" * ((1 << 20) - 4) + b"s3cret!" + b"y" * 100)
    (prefix / "link").symlink_to("/etc/hostname")
    assert driver.holding(str(prefix), "s3cret!") == str(prefix / "lib" / "big.bin")  # across a chunk edge
    assert driver.holding(str(prefix), "absent") is None


def test_install_driver_pushes_as_each_package_installs(tmp_path, monkeypatch, capsys):
    pushed: list = []
    driver = install_driver(pushed)
    clean, leaky = tmp_path / "clean", tmp_path / "leaky"
    clean.mkdir()
    leaky.mkdir()
    (leaky / "config.log").write_text("PASSWORD=s3cret!\n")
    monkeypatch.setenv("LABFORGE_CACHE_PASSWORD", "s3cret!")
    release = driver.checked_push(hold_roots=False)
    release(FakeSpec("zlib", clean), False)
    release(FakeSpec("cached", clean, from_cache=True), False)  # taken from the cache: nothing to push
    release(FakeSpec("tool", clean), True)
    with pytest.raises(RuntimeError, match="holds the registry password"):
        release(FakeSpec("leaky", leaky), False)
    assert pushed == ["zlib", "tool"]
    tool = driver.checked_push(hold_roots=True)  # a tool build: the tool waits for its tests
    tool(FakeSpec("dep", clean), False)
    tool(FakeSpec("the-tool", clean), True)
    assert pushed == ["zlib", "tool", "dep"]


    def registry_down(spec, explicit):
        raise OSError("connection refused")

    monkeypatch.setattr(driver, "spack_push", registry_down)
    release(FakeSpec("unlucky", clean), False)  # reported, and the build goes on
    out = capsys.readouterr()
    assert "labforge-cache-push: failed: unlucky@1.0/aaaaaaa: connection refused" in out.out
    assert "labforge-pushed: zlib@1.0/aaaaaaa" in out.out and "labforge-held: the-tool@1.0/aaaaaaa" in out.out
    assert "refused: leaky@1.0/aaaaaaa" in out.err and "config.log" in out.err


def test_cache_needs_a_key_or_an_explicit_unsigned_flag(monkeypatch):
    for name in ("LABFORGE_SIGNING_KEY", "LABFORGE_SIGNING_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LabforgeError, match="signed but no signing key"):
        build_cache("harbor.example.org/spack-cache/buildcache", True, False, None)
    unsigned = build_cache("127.0.0.1:5000/spack-cache/buildcache", False, True, None)
    assert unsigned.url == "oci+http://127.0.0.1:5000/spack-cache/buildcache" and not unsigned.signed
    assert "UNSIGNED" in unsigned.describe()
    monkeypatch.setenv("LABFORGE_SIGNING_KEY", KEY.decode())
    signed = build_cache("harbor.example.org/spack-cache/buildcache", True, False, None)
    assert signed.url == "oci://harbor.example.org/spack-cache/buildcache" and signed.key == KEY
    assert build_cache(None, True, False, None) is None
    assert default_location("harbor.example.org/lab") == "harbor.example.org/spack-cache/buildcache"


def test_a_key_file_that_is_not_a_key_is_refused(tmp_path):
    path = tmp_path / "key.asc"
    path.write_text("hello")
    with pytest.raises(LabforgeError, match="not an armoured GPG secret key"):
        build_cache("h/spack-cache/buildcache", True, False, path)
    with pytest.raises(LabforgeError, match="cannot read"):
        build_cache("h/spack-cache/buildcache", True, False, tmp_path / "missing.asc")


def test_credentials_and_key_travel_as_secret_files_never_as_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("LABFORGE_REGISTRY_USER", "robot$lab")
    monkeypatch.setenv("LABFORGE_REGISTRY_PASSWORD", "s3cr3t-pw")
    monkeypatch.setenv("LABFORGE_SIGNING_KEY", KEY.decode())
    cache = build_cache("harbor.example.org/spack-cache/buildcache", True, False, None)
    secrets = secret_files(cache, tmp_path)
    assert secrets["labforge-cache-auth"].read_text() == "robot$lab\ns3cr3t-pw\n"
    assert secrets["labforge-signing-key"].read_bytes() == KEY
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in secrets.values())
    command = build_command("buildah", "chroot", tmp_path, "localhost/x:1", "base", secrets, 1, build_args(cache))
    joined = " ".join(command)
    assert "s3cr3t-pw" not in joined and "PGP" not in joined
    assert "id=labforge-cache-auth,src=" in joined and "id=labforge-signing-key,src=" in joined
    assert "SPACK_CACHE=oci://harbor.example.org/spack-cache/buildcache" in joined
    assert "SPACK_CACHE_SIGNED=1" in joined
    empty = secret_files(None, tmp_path / "none")
    assert all(p.read_bytes() == b"" for p in empty.values())


def test_report_reads_the_stage_lines():
    report = SpackReport()
    for line in ["STEP 12/30: RUN ...", "labforge-cache: reachable at oci+http://127.0.0.1:5000/x",
                 "labforge-install: from-cache=37 compiled=4", "labforge-compiled: py-six@1.17.0/uqxozkx",
                 "labforge-cache-push: ok", "labforge-layers: 41 packages in 41 layers"]:
        report.feed(line)
    assert (report.from_cache, report.compiled, report.pushed, report.layers) == (37, 4, "ok", 41)
    assert report.compiled_names == ["py-six@1.17.0/uqxozkx"] and report.cache_reachable
    assert report.summary() == "37 packages from the build cache, 4 compiled; cache push ok"
    assert "reused from the layer cache" in SpackReport().summary()
    down = SpackReport()
    down.feed("labforge-cache: not reachable at oci://x")
    down.feed("labforge-install: from-cache=0 compiled=41")
    assert "not reachable" in down.summary()


def test_spack_checkout_copy_leaves_out_host_configuration():
    from labforge.spackbuild.spack_source import ignored

    assert ignored("/s/etc/spack", ["include.yaml", "repos.yaml", "defaults"]) == {"repos.yaml"}
    assert ignored("/s/etc/spack/site", ["mirrors.yaml", "README.md"]) == {"mirrors.yaml"}
    assert ignored("/s/var/spack", ["cache", "repos"]) == {"cache"}
    assert ".git" in ignored("/s", [".git", "lib"])


def test_report_keeps_a_failed_push_over_the_closing_line():
    from labforge.spackbuild.report import SpackReport

    report = SpackReport()
    for line in ("labforge-cache-push: failed: a@1.0/aaaaaaa: connection refused", "labforge-pushed: b@1.0/bbbbbbb",
                 "labforge-cache-push: finished"):
        report.feed(line)
    assert report.pushed == "failed" and report.pushed_names == ["b@1.0/bbbbbbb"]
    fine = SpackReport()
    fine.feed("labforge-pushed: b@1.0/bbbbbbb")
    fine.feed("labforge-cache-push: finished")
    fine.feed("labforge-install: from-cache=0 compiled=1")
    assert fine.pushed == "ok" and "cache push ok (1 pushed as they installed)" in fine.summary()


def test_a_failure_after_the_install_is_not_blamed_on_spack():
    """CI once failed in the server's pip layers, after spack had finished, and the message said
    "spack failed on py-six". Only a failure between spack's first line and its end is spack's."""
    report = SpackReport()
    assert not report.failed_in_spack  # spack never spoke: buildah's or the base's failure
    report.feed("==> Installing py-six-1.17.0-uqxozkxaaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert report.failed_in_spack
    report.feed("labforge-install: from-cache=7 compiled=1")
    assert not report.failed_in_spack


def test_a_rerun_build_is_read_afresh():
    report = SpackReport()
    for line in ("==> Installing a", "labforge-pushed: a@1.0/aaaaaaa", "labforge-install: from-cache=0 compiled=1"):
        report.feed(line)
    report.feed("labforge-retry: buildah build of 2030.02 hit a known fault of the tool itself; running it again")
    assert report == SpackReport()
