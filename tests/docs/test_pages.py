"""The docs name real files: every repository path a page writes in backquotes exists (a moved or
renamed file fails here, not in a reader's hands). Links between pages are mkdocs --strict's job
(`make docs`)."""

from __future__ import annotations

import re

import pytest

from tests.helpers.project import REPO

ROOTS = ("labforge/", "infra/", "images/", "tests/", "bench/", "examples/", "spack/", "docs/", ".ci/")
# Paths that name a pattern or a file labforge writes, not a file of the repository.
PLACEHOLDER = re.compile(r"<|>|\bID\b|\*|YYYY|NAME|TOOL|\.\.\.|build/")
PAGES = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]


def named_paths(text: str) -> set[str]:
    return {p for p in re.findall(r"`([.a-z][\w./-]*/[\w./*<>-]*)`", text)
            if p.startswith(ROOTS) and not PLACEHOLDER.search(p)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_path_a_page_names_exists(page):
    missing = sorted(p for p in named_paths(page.read_text()) if not (REPO / p.rstrip("/")).exists())
    assert not missing, f"{page.name} names files that do not exist: {missing}"


def test_the_check_sees_a_missing_path():
    assert named_paths("see `labforge/nowhere.py` and `releases/ID.lock.json`") == {"labforge/nowhere.py"}
