"""lab-env's spack environments: your own spack packages on top of the release's tree.

The release's installed tree is the environment's spack *upstream*: spack reuses every package
the release has and compiles only what it lacks, into the environment's own tree on the Drive.
Each build is a spack environment folder (spack.yaml, spack.lock, its Lmod modules); the tree is
shared by the builds of one environment, so `lab-env add` compiles only what is new and a
rollback needs nothing compiled. The modules of every current build are linked into one folder
on MODULEPATH (~/drive/.lab-envs/modules): the Lab's module panel lists them beside the
release's at once. Used by lab_env.py; standard library only, spack is the image's own.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

# The image's paths; LAB_ENV_SPACK_* name others (tests on a host with the pinned spack).
SPACK_ROOT = os.environ.get("LAB_ENV_SPACK_ROOT", "/opt/spack")
SPACK_PYTHON = os.environ.get("LAB_ENV_SPACK_PYTHON", "/opt/spack-python/bin/python3")
CONFIG = os.environ.get("LAB_ENV_SPACK_CONFIG", "/opt/labforge/user-spack.json")  # from the release's spack.yaml
TREE = os.environ.get("LAB_ENV_SPACK_UPSTREAM", "/opt/software")  # the release's tree: the upstream
INDEX_SEED = "/opt/spack-cache"  # spack's repository indexes, built when the image was
MODULE_TOOL = os.environ.get("LAB_ENV_SPACK_MODULE_TOOL", "/opt/labforge/spack-modules.py")
# One spec per argument: NAME, @VERSION, variants; never an option, a path, a hash or a file.
SPEC = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}(@=?[A-Za-z0-9._:-]{1,60})?"
                  r"(\s*([+~][a-z0-9_]{1,40}|[a-z0-9_]{1,40}=[A-Za-z0-9._,-]{1,60}))*")
NAMESPACE = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_REPO_BYTES = 10 * 1024 * 1024
SHEBANG_LIMIT = 127  # Linux's first-line limit: spack's scripts name the tree's bin/sbang there


class SpackError(RuntimeError):
    """The message says what is wrong and what to do (lab_env turns it into its own error)."""


def available():
    return os.path.isfile(CONFIG) and os.path.isfile(os.path.join(SPACK_ROOT, "bin", "spack"))


def check_specs(specs):
    if not specs:
        raise SpackError("name at least one spack package, e.g. lab-env create NAME --spack py-six@1.16.0")
    for spec in specs:
        if not SPEC.fullmatch(spec):
            raise SpackError(f"{spec[:60]!r} is not a spack spec -- write NAME, NAME@VERSION or NAME@VERSION+VARIANT "
                             "(no options, paths, hashes or dependencies)")


def check_tree(tree):
    """Refuse a tree spack could not install into (its own check comes only after concretizing)."""
    sbang = os.path.join(tree, "bin", "sbang")
    if len(sbang) > SHEBANG_LIMIT:
        raise SpackError(f"{sbang[:160]}: {len(sbang)} characters, over the {SHEBANG_LIMIT} spack's scripts allow "
                         "in their first line -- choose a shorter environment name (or group folder)")


def check_repo(path):
    """A spack package repository of yours (repo.yaml and packages/): its namespace, or why not."""
    if os.path.islink(path) or not os.path.isdir(path):
        raise SpackError(f"{path[:120]}: not a folder (a spack package repository: repo.yaml and packages/)")
    try:
        with open(os.path.join(path, "repo.yaml"), encoding="utf-8") as handle:
            found = re.search(r"^\s*namespace:\s*['\"]?([^'\"\s]+)", handle.read(4096), re.M)
    except OSError:
        found = None
    if not found or not NAMESPACE.fullmatch(found.group(1)) or found.group(1) in ("builtin", "labforge"):
        raise SpackError(f"{path[:120]}/repo.yaml: no namespace of your own (lowercase letters, digits, _; "
                         "not builtin or labforge)")
    size = 0
    for folder, dirs, files in os.walk(path):
        for entry in dirs + files:
            if os.path.islink(os.path.join(folder, entry)):
                raise SpackError(f"{os.path.join(folder, entry)[:120]} is a link: a repository of plain files only")
        size += sum(os.path.getsize(os.path.join(folder, f)) for f in files)
    if size > MAX_REPO_BYTES:
        raise SpackError(f"{path[:120]}: over {MAX_REPO_BYTES // 2**20} MB: a repository holds recipes, not sources")
    return found.group(1)


def keep_repo(path, env_folder):
    """Copy the repository into the environment (a rebuild finds it again); its folder there."""
    namespace = check_repo(path)
    target = os.path.join(env_folder, "repos", namespace)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(path, target, symlinks=True)
    return target


def environment(build, tree, specs, repos):
    """The build's spack.yaml (JSON is YAML): the release's rules, its tree as the upstream.
    Returns what it wrote."""
    with open(CONFIG, encoding="utf-8") as handle:
        data = json.load(handle)
    env = data["spack"]
    env["specs"] = list(specs)
    env["repos"] = {**env["repos"], **{os.path.basename(r): r for r in repos}}
    env["config"]["install_tree"]["root"] = tree
    env["modules"]["default"]["roots"]["lmod"] = os.path.join(build, "modules")
    env["config"]["misc_cache"] = misc_cache()
    with open(os.path.join(build, "spack.yaml"), "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    return env


def misc_cache():
    """spack's repository indexes: the image's, copied once into your home (spack writes there)."""
    cache = os.path.join(os.path.expanduser("~"), ".cache", "lab-env-spack")
    if not os.path.isdir(cache) and os.path.isdir(INDEX_SEED):
        shutil.copytree(INDEX_SEED, cache + ".new", dirs_exist_ok=True)  # mtimes kept: the indexes stay fresh
        os.replace(cache + ".new", cache)
    return cache


def spack(build, *args):
    env = {**os.environ, "SPACK_ROOT": SPACK_ROOT, "SPACK_PYTHON": SPACK_PYTHON,
           "SPACK_USER_CONFIG_PATH": os.environ.get("LAB_ENV_SPACK_SCOPE")
           or os.path.join(os.path.expanduser("~"), ".cache", "lab-env-spack-config")}
    done = subprocess.run([os.path.join(SPACK_ROOT, "bin", "spack"), "-e", build, *args], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SpackError(f"spack {args[0]}: {why(done.stderr + chr(10) + done.stdout)[:400]}")
    return done.stdout


def why(output):
    """spack's first error, with its first reason when it lists them on the lines after."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [i for i, line in enumerate(lines) if "Error" in line or "error:" in line]
    if not errors:
        return lines[-1] if lines else "failed"
    first = lines[errors[0]]
    return f"{first} {lines[errors[0] + 1]}" if first.endswith(":") and errors[0] + 1 < len(lines) else first


def installed_in_release():
    try:
        with open(os.path.join(TREE, ".spack-db", "index.json"), encoding="utf-8") as handle:
            installs = json.load(handle)["database"]["installs"]
    except (OSError, ValueError, KeyError):
        return set()
    return {h for h, r in installs.items() if r.get("installed") and not r["spec"].get("external")}


def read_lock(build_dir):
    """spack.lock's packages by hash, and the hashes of what was asked (its roots)."""
    with open(os.path.join(build_dir, "spack.lock"), encoding="utf-8") as handle:
        lock = json.load(handle)
    return lock.get("concrete_specs", {}), [r["hash"] for r in lock.get("roots", [])]


def build(build_dir, tree, specs, repos):
    """Concretize, install (only what neither the release nor this environment has), write the
    modules. What the build says about itself: specs, compiled, from the release, modules."""
    os.makedirs(build_dir)
    os.makedirs(tree, exist_ok=True)
    before = set(os.listdir(tree))
    env = environment(build_dir, tree, specs, repos)
    spack(build_dir, "concretize")
    spack(build_dir, "install", "--fail-fast")
    spack(build_dir, "module", "lmod", "refresh", "-y", "--delete-tree")
    # the release's hidden dependency modules (python/3.11.2-abcdefg) inlined, as in the release
    subprocess.run(["python3", MODULE_TOOL, env["modules"]["default"]["roots"]["lmod"],
                    env["upstreams"]["release"]["modules"]["lmod"]], check=True, capture_output=True)
    nodes, roots = read_lock(build_dir)
    modules = module_files(build_dir)
    python_paths(modules, tree, nodes)
    release = installed_in_release()
    new = set(os.listdir(tree)) - before  # the projection names a prefix NAME-VERSION-HASH
    compiled = sorted(f"{s['name']}-{s['version']}-{h[:7]}" for h, s in nodes.items()
                      if f"{s['name']}-{s['version']}-{h}" in new)
    asked = [f"{nodes[h]['name']}/{nodes[h]['version']}" for h in roots]
    return {"kind": "spack", "specs": list(specs),
            "from_release": sorted(f"{s['name']}@{s['version']}" for h, s in nodes.items() if h in release),
            "compiled": compiled,
            # what its kernel loads: the module of each package asked for
            "modules": [m for m in asked if m in modules]}


def module_files(build_dir):
    """NAME/VERSION -> the file, for every visible module of a build."""
    found = {}
    for folder, _, files in os.walk(os.path.join(build_dir, "modules")):
        for name in files:
            if name.endswith(".lua") and not name.startswith("."):
                found[f"{os.path.basename(folder)}/{name[:-4]}"] = os.path.join(folder, name)
    return dict(sorted(found.items()))


def link_modules(home, envs):
    """~/drive/.lab-envs/modules: every current spack build's modules, one link each (an
    environment listed earlier wins a name), swapped in whole."""
    target = os.path.join(home, "modules")
    fresh = tempfile.mkdtemp(prefix=".modules-", dir=home)
    os.chmod(fresh, 0o755)
    for name in envs:
        current = os.path.join(home, "envs", name, "current")
        for module, path in module_files(current).items():
            link = os.path.join(fresh, module + ".lua")
            if os.path.lexists(link):
                continue
            os.makedirs(os.path.dirname(link), exist_ok=True)
            # relative, through `current`: right after a rollback too, wherever the Drive is
            os.symlink(os.path.relpath(path, os.path.dirname(link)), link)
    old = target + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.isdir(target) and not os.path.islink(target):
        os.replace(target, old)
    os.replace(fresh, target)
    shutil.rmtree(old, ignore_errors=True)


def pinned_roots(build_dir):
    """What a build was asked for, at the versions its lock has: what `lab-env rebuild` asks."""
    nodes, roots = read_lock(build_dir)
    return [f"{nodes[h]['name']}@={nodes[h]['version']}" for h in roots]


def python_paths(files, tree, nodes):
    """A Python package of the environment's own puts its folder on PYTHONPATH in its module
    (`files`: the build's modules): spack leaves it out when the release's python-venv is an
    upstream package (seen with 1.1)."""
    for digest, spec in nodes.items():
        prefix = os.path.join(tree, f"{spec['name']}-{spec['version']}-{digest}")
        path = files.get(f"{spec['name']}/{spec['version']}")
        if not path or not os.path.isdir(prefix):
            continue
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        for folder, dirs, _ in os.walk(prefix):
            dirs[:] = [d for d in dirs if d != ".spack"]
            if os.path.basename(folder) in ("site-packages", "dist-packages") and f'"{folder}"' not in text:
                text += f'prepend_path("PYTHONPATH", "{folder}", ":")\n'
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
