"""`labforge tool build` figures: time and packages compiled for a tool whose dependencies are
all in the build cache (a new py-six version on a release that has py-six), and for one whose
dependencies are not (py-idna built against an empty cache).

Needs spack (SPACK_ROOT; offline also SPACK_PACKAGES_ROOT and SPACK_PYTHON with clingo), root,
buildah, mmdebstrap and docker-registry; sources come from PyPI. Without SPACK_ROOT it says so.
    .venv/bin/python -m bench.toolbuild [--ca-cert FILE]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.spackbench import spack_bench_args
from labforge.demo.tools import small_release_project
from labforge.inputs.project import Project

REPO = Path(__file__).resolve().parents[1]

RELEASE = "2033.01"
# Built with flit, which no package of the release needs: its build tools are not in the cache.
IDNA = ("name: py-idna\npackage: py-idna\nsummary: internationalized domain names\n"
        "homepage: https://github.com/kjd/idna\nmaintainers: [bench@example.org]\nlicense: BSD-3-Clause\n"
        "versions:\n- version: \"3.10\"\ndefault: \"3.10\"\ntests:\n  imports: [idna]\n")


def main() -> None:
    args = spack_bench_args()
    if args is None:
        return
    from labforge.buildah.notebook import build_release
    from labforge.buildah.tool_build import build_tool
    from labforge.loopback.registry import local_registry
    from labforge.spackbuild.concretize import lock_release
    from labforge.spackbuild.tool_env import resolve

    rows: list = []
    with tempfile.TemporaryDirectory(prefix="labforge-toolbench-") as tmp:
        project = small_release_project(Project(REPO), Path(tmp) / "project", RELEASE, {"py-idna": IDNA})
        with local_registry(Path(tmp) / "registry") as address:
            cache = dict(spack_cache=f"{address}/spack-cache/buildcache", tls_verify=False, unsigned_cache=True)
            lock_release(project, RELEASE)
            build_release(project, RELEASE, ca_certs=args.ca_cert, force=True, **cache)
            one = build_tool(project, resolve(project, "py-six@1.16.0", RELEASE), ca_certs=args.ca_cert, **cache)
            rows.append(("py-six@1.16.0 (dependencies all in the cache)", one))
        # The same kind of tool against an empty cache: every dependency it needs is compiled.
        with local_registry(Path(tmp) / "empty-registry") as address:
            empty = dict(spack_cache=f"{address}/spack-cache/buildcache", tls_verify=False, unsigned_cache=True)
            two = build_tool(project, resolve(project, "py-idna@3.10", RELEASE), ca_certs=args.ca_cert, **empty)
            rows.append(("py-idna@3.10 (dependencies not in the cache)", two))
    print(f"{'tool build':52} {'total s':>8} {'solve s':>8} {'compiled':>9} {'cached':>7} push")
    for title, result in rows:
        print(f"{title:52} {result.seconds:8.0f} {result.concretized.seconds:8.0f} {result.spack.compiled:9d} "
              f"{result.spack.from_cache:7d} {result.pushed}")
    print("total: concretize + image build (the spack-build stage's apt and clingo steps come from the "
          "layer cache after the release build) + tests + push")


if __name__ == "__main__":
    main()
