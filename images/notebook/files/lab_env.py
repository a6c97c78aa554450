#!/usr/bin/env python3
"""Your own Python environments on the Lab, kept on your Drive and tied to the release they
were built on.

    $ lab-env create analysis pandas==2.2.3 --wheel ~/drive/wheels/mytool-1.0-py3-none-any.whl
    $ lab-env add analysis seaborn==0.13.2      # a new build: the old one stays for rollback
    $ lab-env rollback analysis                 # back to the previous build
    $ lab-env list
    $ lab-env rebuild analysis                  # the same packages on the release you run now
    $ lab-env remove analysis
    $ lab-env --group collab-neuro create shared numpy==2.1.3   # for the whole group
    $ lab-env create mytools --spack py-six@1.16.0 --repo ~/drive/my-recipes   # spack packages

An environment is built on the running release's Python: the release's packages are visible,
yours win where both have one. Its kernel ("analysis (environment)") is in the launcher at once
and after every server start, because it lives on the Drive (~/drive/.lab-envs). Each build
keeps its lock (pip freeze) and the release and image it was built on; on another release the
kernel says it is stale until `lab-env rebuild`. A build that fails or is interrupted leaves the
previous one active. A group's environments live in its folder (~/drive/Shared with groups/GROUP):
every member sees their kernels and whoever may write there changes them. With --spack (on a
release that offers it) the packages are spack specs, built on the release's own tree: only what
the release lacks is compiled, and their modules show beside the release's (lab_env_spack.py).
Standard library only; pip is the server's own.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import sysconfig

import lab_env_spack
import lab_env_store as store
from lab_env_store import (
    EnvError,
    Locked,
    activate,
    builds,
    checked_name,
    current,
    env_dir,
    existing,
    kernel_dir,
    new_build,
    plain_dir,
    record_of,
    running_release,
    spack_envs,
    use_group,
)

SERVER_PYTHON = sys.executable  # the notebook server's Python: its packages are the release's
# What pip may be given as a package: a requirement, never an option or a path or URL.
REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\[[A-Za-z0-9,._-]{1,100}\])?"
                         r"((==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!_-]{1,50}(,(==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!_-]{1,50})*)?")
WHEEL = re.compile(r"[A-Za-z0-9_.+-]{1,200}\.whl")


def pip(python, args):
    done = subprocess.run([SERVER_PYTHON, "-m", "pip", "--python", python, "--disable-pip-version-check",
                           "--no-input", *args], capture_output=True, text=True)
    if done.returncode != 0:
        last = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise EnvError(f"pip: {last[-1][:300] if last else 'failed'}")
    return done.stdout


def pip_build(name, requirements, wheels, no_index, lock_from=None):
    """A Python environment's build: a venv on the server's Python, pip's freeze as its lock."""
    stored = plain_dir(os.path.join(plain_dir(env_dir(name)), "wheels"))
    for wheel in wheels:  # kept, so a rebuild finds them again
        shutil.copy2(wheel, os.path.join(stored, os.path.basename(wheel)))

    def make(partial):
        subprocess.run([SERVER_PYTHON, "-m", "venv", "--without-pip", partial], check=True, capture_output=True)
        python = os.path.join(partial, "bin", "python")
        site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True).stdout.strip()
        with open(os.path.join(site, "_lab_env_release.pth"), "w", encoding="utf-8") as handle:
            # the release's packages after yours; yours first, even before PYTHONPATH's tools
            handle.write(sysconfig.get_path("purelib") + "\n")
            handle.write("import sys, sysconfig; _p = sysconfig.get_path('purelib'); "
                         "sys.path.remove(_p) if _p in sys.path else None; sys.path.insert(0, _p)\n")
        asked = list(requirements) + [os.path.join(stored, os.path.basename(w)) for w in wheels]
        source = ["-r", lock_from] if lock_from else []
        options = ["--find-links", stored] + (["--no-index"] if no_index else [])
        if asked or source:
            pip(python, ["install", *options, *source, *asked])
        lock = pip(python, ["list", "--path", site, "--format", "freeze"])
        with open(os.path.join(partial, "lock.txt"), "w", encoding="utf-8") as handle:
            handle.write(lock)
        return {"asked": [*requirements, *(os.path.basename(w) for w in wheels)]}

    return new_build(name, make)


def check_packages(requirements, wheels):
    for requirement in requirements:
        if not REQUIREMENT.fullmatch(requirement):
            raise EnvError(f"{requirement[:60]!r} is not a package requirement -- write NAME or NAME==VERSION "
                           "(no options, paths or URLs; give a wheel with --wheel)")
    for wheel in wheels:
        if not WHEEL.fullmatch(os.path.basename(wheel)) or not os.path.isfile(wheel):
            raise EnvError(f"{wheel[:120]}: not a wheel file (a .whl you can read)")


def command_create(args):
    if os.path.lexists(env_dir(args.name)):
        raise EnvError(f"{args.name} exists: lab-env add {args.name} ... changes it, lab-env remove deletes it")
    try:
        number = spack_build(args.name, args.packages, args.repo) if args.spack else \
            pip_build(args.name, args.packages, args.wheel, args.no_index)
    except BaseException:
        if not builds(args.name):  # a first build that failed leaves no environment behind
            shutil.rmtree(env_dir(args.name), ignore_errors=True)
        raise
    label = f"{args.name} ({store.GROUP}'s environment)" if store.GROUP else f"{args.name} (environment)"
    return f"{args.name}: build {number} ready{built_summary(args.name, number)}; its kernel is '{label}' in the launcher"


def command_add(args):
    name = existing(args.name)
    record = record_of(name, current(name))
    if bool(args.spack) != (record.get("kind") == "spack"):
        raise EnvError(f"{name} is a {'spack' if record.get('kind') == 'spack' else 'Python'} environment: "
                       f"{'add --spack SPEC' if record.get('kind') == 'spack' else 'add PACKAGE (without --spack)'}")
    if args.spack:
        number = spack_build(name, record["specs"] + [p for p in args.packages if p not in record["specs"]], args.repo)
    else:
        lock = os.path.join(env_dir(name), "current", "lock.txt")
        number = pip_build(name, args.packages, args.wheel, args.no_index, lock_from=lock)
    return f"{name}: build {number} ready{built_summary(name, number)} (lab-env rollback {name} returns to build {number - 1})"


def command_rebuild(args):
    name = existing(args.name)
    old = record_of(name, current(name))
    if old.get("kind") == "spack":  # the locked versions of what was asked, on this release's tree
        number = spack_build(name, lab_env_spack.pinned_roots(os.path.join(env_dir(name), "current")), [])
    else:
        lock = os.path.join(env_dir(name), "current", "lock.txt")
        number = pip_build(name, [], [], args.no_index, lock_from=lock)
    return f"{name}: build {number} on release {running_release()[0]} (was on {old.get('release', '?')})"


def spack_build(name, specs, repos):
    if not lab_env_spack.available():
        raise EnvError(f"release {running_release()[0]} offers no spack environments (its manifest's "
                       "environments.spack); a Python environment needs no --spack")
    folder = plain_dir(env_dir(name))
    kept = os.path.join(folder, "repos")
    known = [os.path.join(kept, r) for r in sorted(os.listdir(kept))] if os.path.isdir(kept) else []
    added = [lab_env_spack.keep_repo(r, folder) for r in repos]
    tree, kept_repos = os.path.join(folder, "software"), sorted(set(known + added))  # checked in main
    return new_build(name, lambda partial: lab_env_spack.build(partial, tree, specs, kept_repos))


def built_summary(name, number):
    record = record_of(name, number)
    if record.get("kind") != "spack":
        return ""
    compiled = record.get("compiled", [])
    return (f": {len(compiled)} compiled ({', '.join(compiled) or 'nothing'}), {len(record.get('from_release', []))} "
            f"from the release; modules {', '.join(record.get('modules', [])) or 'none'}")


def command_rollback(args):
    name = existing(args.name)
    older = [b for b in builds(name) if b < current(name)]
    if not older:
        raise EnvError(f"{name} has no build before build {current(name)}")
    activate(name, older[-1])
    return f"{name}: build {older[-1]} active again"


def command_remove(args):
    name = existing(args.name)
    shutil.rmtree(kernel_dir(name), ignore_errors=True)
    shutil.rmtree(env_dir(name))
    if os.path.isdir(os.path.join(store.HOME, "modules")):
        lab_env_spack.link_modules(store.HOME, spack_envs())
    return f"{name} removed"


def command_list(_args):
    release = running_release()[0]
    folder = os.path.join(store.HOME, "envs")
    rows = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not store.NAME.fullmatch(name) or current(name) is None:
            continue
        record = record_of(name, current(name))
        stale = "" if record.get("release") == release else f"  STALE: built on {record.get('release')}"
        kind = "spack" if record.get("kind") == "spack" else "python"
        rows.append(f"{name}  {kind}  build {current(name)} of {len(builds(name))}  release {record.get('release')}{stale}")
    return "\n".join(rows) or "no environments yet (lab-env create NAME PACKAGE...)"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lab-env", description=__doc__.splitlines()[0])
    parser.add_argument("--group", metavar="GROUP", help="a group's environments (its Drive folder) instead of yours")
    sub = parser.add_subparsers(dest="command", required=True)
    for verb in ("create", "add"):
        p = sub.add_parser(verb)
        p.add_argument("name")
        p.add_argument("packages", nargs="*", metavar="PACKAGE")
        p.add_argument("--wheel", action="append", default=[], metavar="FILE")
        p.add_argument("--no-index", action="store_true", help="only the wheels given and kept, not the index")
        p.add_argument("--spack", nargs="+", metavar="SPEC", help="spack specs, built on the release's tree")
        p.add_argument("--repo", action="append", default=[], metavar="DIR",
                       help="a spack package repository of yours (kept with the environment)")
    rebuild = sub.add_parser("rebuild")
    rebuild.add_argument("name")
    rebuild.add_argument("--no-index", action="store_true")
    for verb in ("rollback", "remove"):
        sub.add_parser(verb).add_argument("name")
    sub.add_parser("list")
    args = parser.parse_args(argv)
    try:
        if getattr(args, "name", None) is not None:  # everything checked before anything is written
            checked_name(args.name)
        if getattr(args, "spack", None):
            args.packages = args.spack + args.packages  # `create NAME --spack A B` or `create NAME A --spack B`
            lab_env_spack.check_specs(args.packages)
            for repo in args.repo:
                lab_env_spack.check_repo(repo)
            if args.wheel:
                raise EnvError("--wheel is for Python environments; a spack environment takes --repo")
        else:
            check_packages(getattr(args, "packages", []), getattr(args, "wheel", []))
            if getattr(args, "repo", []):
                raise EnvError("--repo is for spack environments: add --spack")
        if args.group is not None:
            use_group(args.group)
        if getattr(args, "spack", None):  # a tree spack can install into, known before anything is written
            lab_env_spack.check_tree(os.path.join(env_dir(args.name), "software"))
        with Locked():
            print(globals()[f"command_{args.command}"](args))
    except (EnvError, lab_env_spack.SpackError) as exc:
        print(f"lab-env: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full quota, a read-only Drive: nothing half-switched
        print(f"lab-env: {exc.strerror or exc}: {getattr(exc, 'filename', '') or store.HOME}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lab-env: interrupted; the previous build stays active", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
