"""Where lab-env keeps environments and how a build becomes the active one: the Drive's
folders, build numbers, records, the kernel spec of the active build and the one atomic switch.
Part of `lab-env` (lab_env.py), standard library only. `use_group` moves HOME to a group's
folder, so other modules read HOME and GROUP through this module, never as copies.
"""

import datetime as dt
import fcntl
import json
import os
import re
import shutil

import lab_env_spack

DRIVE = os.path.join(os.path.expanduser("~"), "drive")
HOME = os.environ.get("LAB_ENV_HOME") or os.path.join(DRIVE, ".lab-envs")
GROUPS = os.path.join(DRIVE, "Shared with groups")  # one folder per group of yours (read-write)
GROUP = None  # --group: the environments of that group, in its Drive folder
GROUP_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,63}")
RECORD = "/opt/labforge/release.json"
RELEASE_KERNEL = "/opt/labforge/kernel/launch.sh"  # the release's Python kernel: its default modules
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class EnvError(RuntimeError):
    """The message says what is wrong and what to do."""


def checked_name(name):
    if not NAME.fullmatch(name or ""):
        raise EnvError(f"{name[:60]!r}: an environment's name is 1 to 40 lowercase letters, digits, - and _, "
                       "starting with a letter or digit")
    return name


def plain_dir(path):
    """`path` as a real folder of ours: created if missing, never a link on the way in HOME."""
    if os.path.islink(path):
        raise EnvError(f"{path} is a link: lab-env keeps environments in plain folders only")
    os.makedirs(path, mode=0o755, exist_ok=True)
    return path


def env_dir(name):
    return os.path.join(HOME, "envs", checked_name(name))


def kernel_name(name):
    """A group's environments are kernels of their own: `lab-env-GROUP--NAME`."""
    return f"lab-env-{GROUP}--{checked_name(name)}" if GROUP else f"lab-env-{checked_name(name)}"


def kernel_dir(name):
    return os.path.join(HOME, "kernels", kernel_name(name))


def use_group(group):
    """Work on GROUP's environments: ~/drive/Shared with groups/GROUP/.lab-envs, changed by whoever
    may write there (the group's members: the Drive's own permissions)."""
    global HOME, GROUP
    if not GROUP_NAME.fullmatch(group) or group in (".", ".."):
        raise EnvError(f"{group[:60]!r} is not a group name")
    folder = os.path.join(GROUPS, group)
    if os.path.islink(folder) or not os.path.isdir(folder):
        raise EnvError(f"no group folder {folder} (your groups are the folders in {GROUPS})")
    HOME, GROUP = os.path.join(folder, ".lab-envs"), group


def builds(name):
    """The complete builds (a build is complete once its record is written)."""
    folder = os.path.join(env_dir(name), "builds")
    found = [int(b) for b in os.listdir(folder) if b.isdigit()] if os.path.isdir(folder) else []
    return sorted(b for b in found if os.path.isfile(os.path.join(folder, str(b), "record.json")))


def current(name):
    link = os.path.join(env_dir(name), "current")
    target = os.readlink(link) if os.path.islink(link) else ""
    return int(target.rsplit("/", 1)[-1]) if target.rsplit("/", 1)[-1].isdigit() else None


def running_release():
    try:
        with open(RECORD, encoding="utf-8") as handle:
            record = json.load(handle)
        return record.get("id") or os.environ.get("LAB_RELEASE", "unknown"), record.get("input_digest", "")
    except (OSError, ValueError):
        return os.environ.get("LAB_RELEASE", "unknown"), ""


def record_of(name, build):
    try:
        with open(os.path.join(env_dir(name), "builds", str(build), "record.json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


class Locked:
    """One change at a time to HOME (two terminals, two servers of one user)."""

    def __enter__(self):
        plain_dir(HOME)
        self.handle = open(os.path.join(HOME, ".lock"), "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.handle.close()


def new_build(name, make):
    """Build number N+1 beside the others with `make(folder)` (it returns the build's own facts for
    its record); switch to it only when it is complete."""
    folder = plain_dir(env_dir(name))
    plain_dir(os.path.join(folder, "builds"))
    number = (builds(name) or [0])[-1] + 1
    # built where it stays (console scripts name their own path); complete when record.json is
    # written, and `current` moves only then
    partial = os.path.join(folder, "builds", str(number))
    shutil.rmtree(partial, ignore_errors=True)  # an interrupted attempt at this number
    try:
        facts = make(partial)
        release, image = running_release()
        with open(os.path.join(partial, "record.json.new"), "w", encoding="utf-8") as handle:
            json.dump({"name": name, "build": number, "release": release, "image": image,
                       "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), **facts},
                      handle, indent=2)
        os.replace(os.path.join(partial, "record.json.new"), os.path.join(partial, "record.json"))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # the previous build stays active
        raise
    activate(name, number)
    return number


def activate(name, number):
    """Point `current` and the kernel at build `number` (an atomic switch of one link)."""
    folder = env_dir(name)
    link, temporary = os.path.join(folder, "current"), os.path.join(folder, ".current.new")
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink(os.path.join("builds", str(number)), temporary)
    os.replace(temporary, link)
    record = record_of(name, number)
    write_kernel(name, record)
    if record.get("kind") == "spack" or os.path.isdir(os.path.join(HOME, "modules")):
        lab_env_spack.link_modules(HOME, spack_envs())


def spack_envs():
    folder = os.path.join(HOME, "envs")
    names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    return [n for n in names if NAME.fullmatch(n) and current(n) is not None
            and record_of(n, current(n)).get("kind") == "spack"]


def write_kernel(name, record):
    folder = plain_dir(os.path.join(plain_dir(os.path.join(HOME, "kernels")), kernel_name(name)))
    # relative to the kernel's folder: right wherever the Drive is mounted; the path goes through
    # the environment's bin/ (Python finds its venv from the path it was started by)
    python = "{resource_dir}/" + "/".join(("..", "..", "envs", name, "current", "bin", "python"))
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--ext", "lab_notice"]
    env = {"LAB_ENV": name}
    if record.get("kind") == "spack":  # the release's kernel, with the environment's modules loaded too
        argv = [RELEASE_KERNEL, "-f", "{connection_file}"]
        env["LAB_ENV_MODULES"] = " ".join(record.get("modules", []))
        env["LAB_ENV_MODULEPATH"] = os.path.join(HOME, "modules")  # a group's too, where the Drive is
    spec = {"argv": argv,
            "display_name": f"{name} ({GROUP}'s environment)" if GROUP else f"{name} (environment)",
            "language": "python", "env": env,
            "metadata": {"lab_env": {"name": name, "release": record.get("release"), "image": record.get("image"),
                                     "build": record.get("build")}}}
    with open(os.path.join(folder, "kernel.json.new"), "w", encoding="utf-8") as handle:
        json.dump(spec, handle, indent=1)
    os.replace(os.path.join(folder, "kernel.json.new"), os.path.join(folder, "kernel.json"))


def existing(name):
    if current(checked_name(name)) is None:
        raise EnvError(f"no environment {name!r} (lab-env list shows yours)")
    return name
