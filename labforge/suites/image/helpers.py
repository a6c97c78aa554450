"""Shared by the image suites: running shell commands in the image, and what every image allows."""

from __future__ import annotations

import shlex

VENV = "/opt/venv"
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
