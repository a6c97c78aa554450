"""labforge never destroys what a person put somewhere: `--out` and every tree it writes replace
only directories labforge wrote itself, holding nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labforge.core.atomic import write_tree
from labforge.core.errors import LabforgeError
from labforge.core.owned import MARKER


def render(cli, project: Path, out: Path | str):
    return cli(project, "release", "render", "2026.11", "--out", str(out))


def refused(result) -> None:
    assert result.code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")


def test_a_users_directory_is_never_replaced(cli, project, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = render(cli, project, out)
    refused(result)
    assert "did not write" in result.stderr and str(out) in result.stderr
    assert (out / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mine.")]  # no staging left


def test_an_existing_file_is_not_replaced_by_a_directory(cli, project, tmp_path):
    out = tmp_path / "notes.txt"
    out.write_text("keep me")
    refused(result := render(cli, project, out))
    assert "existing file" in result.stderr
    assert out.read_text() == "keep me"


@pytest.mark.parametrize("where", ["/", "HOME", "PROJECT", "CWD_PARENT"])
def test_root_home_and_project_are_refused(cli, project, where, tmp_path, monkeypatch):
    target = {"/": Path("/"), "HOME": Path(os.path.expanduser("~")), "PROJECT": project,
              "CWD_PARENT": project.parent}[where]
    before = sorted(p.name for p in target.iterdir())
    result = render(cli, project, target)
    refused(result)
    assert "never replaces it" in result.stderr or "did not write" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == before


def test_a_link_is_refused(cli, project, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "data.csv").write_text("1,2\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    refused(result := render(cli, project, link))
    assert "symbolic link" in result.stderr
    assert (real / "data.csv").exists() and link.is_symlink()


def test_own_render_is_replaced_and_empty_dir_used(cli, project, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert render(cli, project, out).code == 0
    assert (out / MARKER).exists() and (out / "Containerfile").exists()
    assert render(cli, project, out).code == 0  # a render of labforge's own: replaced
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".empty.")]


def test_a_file_added_to_a_render_stops_the_next_one(cli, project, tmp_path):
    out = tmp_path / "render"
    assert render(cli, project, out).code == 0
    (out / "kernel" / "my-notes.md").write_text("mine")
    refused(result := render(cli, project, out))
    assert "kernel/my-notes.md" in result.stderr
    assert (out / "kernel" / "my-notes.md").read_text() == "mine"


def test_owned_trees_may_hold_anything(tmp_path):
    out = tmp_path / "context"
    write_tree(out, {"a.txt": b"a"}, trees=("spack-src",))
    (out / "spack-src" / "lib").mkdir(parents=True)
    (out / "spack-src" / "lib" / "x.py").write_text("copied by the build")
    write_tree(out, {"b.txt": b"b"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.txt"]


def test_a_forged_or_broken_marker_does_not_open_the_door(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text('{"files": ["precious"]}')  # not labforge's note
    (out / "precious").write_text("x")
    with pytest.raises(LabforgeError, match="did not write"):
        write_tree(out, {"a": b"a"})
    assert (out / "precious").exists()


def test_an_unrelated_dot_old_directory_survives(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"a": b"1"})
    neighbour = tmp_path / ".out.old"
    neighbour.mkdir()
    (neighbour / "keep").write_text("someone's")
    write_tree(out, {"a": b"2"})
    assert (neighbour / "keep").read_text() == "someone's"
    assert (out / "a").read_bytes() == b"2"


@pytest.mark.parametrize("target", ["DIR", "/"])
def test_diff_out_never_replaces_a_directory(cli, project, tmp_path, target):
    out = tmp_path if target == "DIR" else Path("/")
    before = sorted(p.name for p in out.iterdir())
    refused(result := cli(project, "release", "diff", "2026.05", "2026.11", "--out", str(out)))
    assert "is a directory" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == before
