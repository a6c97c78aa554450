"""The configuration of users' own spack environments on a release (lab-env --spack): the
release's package rules and repositories, its module layout, and its installed tree as the
spack upstream. lab-env fills in each build's own paths and specs; JSON, which spack reads as
YAML and lab-env reads with the standard library."""

from __future__ import annotations

import copy
import json

import yaml

from .layout import ImagePaths

USER_SPACK = "user-spack.json"
# where lab-env puts each build (replaced by its own paths; here so the file is complete)
BUILD = "/tmp/lab-env-build"


def user_spack_config(spack_yaml: str, paths: ImagePaths) -> str:
    release = yaml.safe_load(spack_yaml)["spack"]
    modules = copy.deepcopy(release["modules"])
    lmod = modules["default"]["lmod"]
    lmod.pop("defaults", None)  # the release's default versions are its own modules' business
    modules["default"]["roots"]["lmod"] = f"{BUILD}/modules"
    env = {
        "specs": [],
        "view": False,
        # one DAG per environment; everything the release has installed is reused
        "concretizer": {"unify": True, "reuse": True},
        # the release's spack.yaml lists its repositories; users' kept ones join them by namespace
        "repos": {f"release{i}": r for i, r in enumerate(release["repos"])},
        "packages": release["packages"],
        "modules": modules,
        "upstreams": {"release": {"install_tree": paths.software, "modules": {"lmod": paths.modules}}},
        "config": {
            "install_tree": {"root": f"{BUILD}/software",
                             "projections": release["config"]["install_tree"]["projections"]},
            "build_stage": ["$tempdir/lab-env-stage"],
            "source_cache": "~/.cache/lab-env-spack-sources",
            "misc_cache": "~/.cache/lab-env-spack",
        },
        "bootstrap": {"enable": False},  # clingo is the image's; nothing is fetched to run spack
    }
    return json.dumps({"spack": env}, indent=1, sort_keys=True) + "\n"
