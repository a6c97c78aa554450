"""Run by `spack -e ENV python` in the image's spack stage (spack's own Python API).

  report               print how many installed packages came from the build cache and how
                       many were compiled (lines the release builder reads from the log)
  stage PLAN DEST      link every planned prefix into DEST/<layer>/ as the layer plan says,
                       dropping spack's per-install records that differ between two installs
                       of the same package (timings, "taken from a binary" marker). The plan's
                       "present" packages are in the image already (a tool build on a release
                       image); with "strict", nothing else may be installed.
  upstream PLAN DEST   write DEST/.spack-db/index.json: spack's database of the image's tree, so
                       users' spack environments can take it as an upstream (lab-env --spack).
                       Only what the image holds is installed there, and every install time is
                       SOURCE_DATE_EPOCH, so an unchanged tree gives an unchanged file.

Part of the labforge build context; labforge copies it, never edit it in a render.
"""

import json
import os
import shutil
import sys

import spack.environment
import spack.store

# Records that differ between a compiled and a cached install of the same package.
VOLATILE = (".spack/install_times.json", ".spack/binary_distribution")


def installed_specs():
    return [s for s in spack.store.STORE.db.query(installed=True) if not s.external]


def report():
    env = spack.environment.active_environment()
    cached, compiled = [], []
    for spec in env.all_specs():
        if spec.external or not spec.installed:
            continue
        binary = os.path.exists(os.path.join(spec.prefix, ".spack", "binary_distribution"))
        (cached if binary else compiled).append(spec)
    print(f"labforge-install: from-cache={len(cached)} compiled={len(compiled)}")
    for spec in sorted(compiled, key=lambda s: s.name):
        print(f"labforge-compiled: {spec.name}@{spec.version}/{spec.dag_hash(7)}")


def stage(plan_path, dest):
    plan = json.load(open(plan_path))
    layer_of = {h: layer["name"] for layer in plan["layers"] for h in layer["hashes"]}
    present = set(plan.get("present", []))
    installed = {s.dag_hash(): s for s in installed_specs()}
    specs = {h: s for h, s in installed.items() if h in layer_of}
    unplanned = sorted(f"{s.name}/{h[:7]}" for h, s in installed.items()
                       if plan.get("strict", True) and h not in layer_of and h not in present)
    missing = sorted(h[:7] for h in layer_of if h not in installed)
    if unplanned or missing:
        print(f"labforge-layers: the install does not match the lock: not planned {unplanned}, "
              f"not installed {missing}", file=sys.stderr)
        sys.exit(5)
    for digest, spec in sorted(specs.items()):
        for rel in VOLATILE:
            path = os.path.join(spec.prefix, rel)
            if os.path.exists(path):
                os.remove(path)
        target = os.path.join(dest, layer_of[digest], spec.prefix.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        # Hard links: no second copy on disk, and the prefix stays where spack knows it (a tool
        # build pushes it to the cache after its tests, from this stage).
        shutil.copytree(spec.prefix, target, symlinks=True, copy_function=os.link)
    print(f"labforge-layers: {len(specs)} packages in {len(set(layer_of.values()))} layers")


def upstream(plan_path, dest):
    plan = json.load(open(plan_path))
    in_image = {h for layer in plan["layers"] for h in layer["hashes"]} | set(plan.get("present", []))
    index = os.path.join(spack.store.STORE.db.database_directory, "index.json")
    data = json.load(open(index))
    when = float(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    for digest, record in data["database"]["installs"].items():
        external = bool(record["spec"].get("external"))
        if record.get("installed") and not external and digest not in in_image:
            record["installed"], record["path"] = False, None  # left out of the image
        record["installation_time"] = when
    folder = os.path.join(dest, ".spack-db")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "index.json"), "w") as handle:
        json.dump(data, handle, sort_keys=True, separators=(",", ":"))
    kept = sum(1 for r in data["database"]["installs"].values() if r.get("installed"))
    print(f"labforge-upstream: {kept} installed packages in the image's spack database")


if __name__ == "__main__":
    if sys.argv[1:2] == ["report"]:
        report()
    elif sys.argv[1:2] == ["upstream"] and len(sys.argv) == 4:
        upstream(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["stage"] and len(sys.argv) == 4:
        stage(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
