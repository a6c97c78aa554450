"""Shared by the image suites: running shell commands in the image, and what every image allows."""

from __future__ import annotations

import base64
import hashlib
import shlex
import zipfile
from pathlib import Path

VENV = "/opt/venv"
WHEELS = "/tmp/lab-env-wheels"  # where the lab-env tests put their wheels in the image
# setuid/setgid programs Debian itself installs for users' own accounts.
SETUID_ALLOWED = {
    "/usr/bin/chage", "/usr/bin/chfn", "/usr/bin/chsh", "/usr/bin/expiry", "/usr/bin/gpasswd", "/usr/bin/mount",
    "/usr/bin/newgrp", "/usr/bin/passwd", "/usr/bin/su", "/usr/bin/umount", "/usr/sbin/unix_chkpwd",
    "/usr/bin/wall", "/usr/bin/ssh-agent", "/usr/lib/openssh/ssh-keysign",
}


def sh(host, command: str):
    return host.run(f"/bin/bash -c {shlex.quote(command)}")


def as_user(uid: int, env: list[str]) -> str:
    """A command prefix that runs as uid with exactly the image's environment (as a container would)."""
    return f"setpriv --reuid={uid} --regid={uid} --clear-groups env -i " + " ".join(shlex.quote(e) for e in env)


def wheel(folder: Path, name: str, version: str, padding: int = 0) -> str:
    """A pure-Python wheel with one module saying its version (`padding`: that many more bytes
    of comment in it, which zip compresses to almost nothing)."""
    dist = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": f"__version__ = {version!r}\n" + "#" * padding,
             f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: labforge\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = [f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
              f"{len(text.encode())}" for path, text in files.items()] + [f"{dist}/RECORD,,"]
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in {**files, f"{dist}/RECORD": "\n".join(record) + "\n"}.items():
            archive.writestr(member, text)
    path.chmod(0o644)
    return f"{WHEELS}/{path.name}"  # the path in the image when `folder` is WHEELS in its root


RECIPE = '''from spack.package import *


class {cls}(Package):
    """A user's own package (a lab-env test recipe)."""

    homepage = "https://example.org"
    has_code = False
    version("1.0")
    extends("python")
{depends}
    def install(self, spec, prefix):
{fails}        site = join_path(prefix, self.spec["python"].package.purelib)
        mkdirp(site)
        with open(join_path(site, "{module}.py"), "w") as f:
            f.write({source!r})
'''


def recipe(repo: Path, name: str, depends: tuple[str, ...] = (), fails: bool = False) -> None:
    """A user's spack package NAME@1.0 in repository `repo` (made with namespace "mine" when new):
    it installs module NAME (dashes as _) saying hello, on six when it depends on py-six; `fails`:
    its install raises."""
    if not (repo / "repo.yaml").exists():
        (repo / "packages").mkdir(parents=True, exist_ok=True)
        (repo / "repo.yaml").write_text("repo:\n  namespace: mine\n")
    module = name.replace("-", "_")
    on_six = any(d.split("@")[0] == "py-six" for d in depends)
    source = (f"import six\nGREETING = 'hello from {module} on six ' + six.__version__\n" if on_six
              else f"GREETING = 'hello from {module}'\n")
    folder = repo / "packages" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.py").write_text(RECIPE.format(
        cls="".join(part.capitalize() for part in name.split("-")), module=module, source=source,
        depends="".join(f'    depends_on("{d}", type=("build", "run"))\n' for d in depends),
        fails='        raise InstallError("this recipe fails on purpose")\n' if fails else ""))
