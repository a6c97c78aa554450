"""Validate and render a synthetic release of 100 tools x 3 versions; print the median time.

Target (issue 2): under 0.5 s. Run: make bench (or .venv/bin/python bench/render.py).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from labforge.project import Project  # noqa: E402
from labforge.releases import load_release  # noqa: E402
from labforge.render import render_release  # noqa: E402
from labforge.tools import load_all  # noqa: E402

TOOLS, VERSIONS, RUNS = 100, 3, 15


def synthetic_project(root: Path) -> Project:
    shutil.copytree(REPO / "images", root / "images")
    shutil.copy2(REPO / "labforge.yaml", root / "labforge.yaml")
    (root / "spack" / "tools").mkdir(parents=True)
    (root / "spack" / "repo.yaml").write_text("repo:\n  namespace: labforge\n")
    (root / "releases").mkdir()
    entries = []
    for i in range(TOOLS):
        name = f"tool-{i:03d}"
        versions = [f"{i % 7}.{minor}.0" for minor in range(VERSIONS)]
        (root / "spack" / "tools" / f"{name}.yaml").write_text(
            f"name: {name}\npackage: {name}\nsummary: synthetic tool {i}\nhomepage: https://example.org/{name}\n"
            f"maintainers: [bench@example.org]\nlicense: MIT\nversions:\n"
            + "".join(f"- version: \"{v}\"\n  variants: +python ~mpi build_type=Release\n" for v in versions)
            + f"default: \"{versions[-1]}\"\ntests:\n  imports: [tool_{i}]\n")
        entries.append(f"- name: {name}\n  versions: [{', '.join(repr(v) for v in versions)}]\n  default: '{versions[-1]}'\n")
    (root / "releases" / "2030.01.yaml").write_text(
        "id: '2030.01'\nchannel: stable\npython: '3.11'\ntools:\n" + "".join(entries))
    return Project(root)


def once(project: Project, out: Path) -> float:
    start = time.perf_counter()
    tools, problems = load_all(project)
    loaded, found = load_release(project, "2030.01", tools)
    assert not problems and not found and loaded, problems + found
    render_release(project, loaded, out)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = synthetic_project(Path(tmp) / "p")
        once(project, Path(tmp) / "warm")  # imports, template compilation
        times = [once(project, Path(tmp) / f"out{i}") for i in range(RUNS)]
    median = statistics.median(times)
    print(f"validate+render {TOOLS} tools x {VERSIONS} versions: median {median:.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}, {RUNS} runs); target < 0.5 s: "
          f"{'met' if median < 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
