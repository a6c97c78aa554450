"""Give a user a folder back ("my folder from Tuesday"), with the real restic: a Drive tree is backed
up on Tuesday and on Wednesday, Ada deletes a folder and changes a file in between, Bob keeps
working; Ada's folder comes back exactly as it was on Tuesday, and every file of everybody else is
byte-identical and untouched (same bytes, same mtime). A path that leaves her folder, runs through
a link or names someone else's is refused in one line before anything is read."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time

import pytest

from tests.helpers.backups import backup, repository, restic, restore, tree

pytestmark = [pytest.mark.drills,
              pytest.mark.skipif(not shutil.which("restic"), reason="restic is installed by 'make system'")]


@pytest.fixture(scope="module")
def drive(tmp_path_factory):
    """(drive folder, repository env, a moment between the two snapshots, Ada's folder on Tuesday)."""
    root = tmp_path_factory.mktemp("lab")
    drive, repo = root / "drive", repository(root / "repo")
    ada, bob = drive / "users" / "ada", drive / "users" / "bob"
    (ada / "results" / "run-7").mkdir(parents=True)
    (ada / "results" / "run-7" / "spikes.csv").write_text("t,neuron\n0.1,3\n")
    (ada / "results" / "run-7" / "nested").mkdir()
    (ada / "results" / "run-7" / "nested" / "params.json").write_text('{"dt": 0.1}\n')
    (ada / "notes.md").write_text("Tuesday's notes\n")
    (bob / "thesis").mkdir(parents=True)
    (bob / "thesis" / "chapter1.tex").write_text("Bob's chapter, Tuesday\n")
    (drive / "groups" / "collab-neuro").mkdir(parents=True)
    (drive / "groups" / "collab-neuro" / "shared.txt").write_text("group data\n")
    tuesday_ada = tree(ada / "results")
    assert backup(repo, "folder", str(drive), "--target", "drive").returncode == 0
    time.sleep(1.1)
    between = dt.datetime.now(dt.timezone.utc).isoformat()
    time.sleep(1.1)
    shutil.rmtree(ada / "results")  # "I deleted it by mistake"
    (ada / "notes.md").write_text("Wednesday's notes\n")
    (bob / "thesis" / "chapter1.tex").write_text("Bob's chapter, Wednesday\n")
    (bob / "thesis" / "chapter2.tex").write_text("new on Wednesday\n")
    assert backup(repo, "folder", str(drive), "--target", "drive").returncode == 0
    return drive, repo, between, tuesday_ada


def test_ada_gets_her_folder_from_tuesday_and_nobody_else_is_touched(drive):
    folder, repo, between, tuesday_ada = drive
    others = {path: entry for path, entry in tree(folder).items() if not path.startswith("users/ada/results")}
    done = restore(repo, "folder", "--drive", str(folder), "--user", "ada", "--path", "results", "--before", between)
    assert done.returncode == 0 and "ada: results as of" in done.stdout and "is back, at results" in done.stdout
    assert tree(folder / "users" / "ada" / "results") == tuesday_ada  # bytes and times as they were
    now = tree(folder)
    assert {path: now[path] for path in others} == others  # every other file: same bytes, same mtime
    assert set(now) - set(others) == {p for p in now if p.startswith("users/ada/results")}
    assert (folder / "users" / "ada" / "notes.md").read_text() == "Wednesday's notes\n"  # not rolled back
    assert not [p for p in folder.iterdir() if p.name.startswith("lab-restore-")]  # no staging left


def test_a_folder_that_exists_comes_back_beside_it(drive):
    folder, repo, between, _ = drive
    (folder / "users" / "ada" / "notes.md").write_text("Thursday\n")
    done = restore(repo, "folder", "--drive", str(folder), "--user", "ada", "--path", "notes.md", "--before", between)
    assert done.returncode == 0, done.stderr
    kept = list((folder / "users" / "ada").glob("notes.md.restored-*"))
    assert [p.read_text() for p in kept] == ["Tuesday's notes\n"]
    assert (folder / "users" / "ada" / "notes.md").read_text() == "Thursday\n"


@pytest.mark.parametrize("user, path, said", [
    ("ada", "../bob/thesis", "leaves the user's folder"),
    ("ada", "results/../../bob", "leaves the user's folder"),
    ("ada", "/etc", "relative"),
    ("ada", "via-link/thesis", "runs through a link"),
    ("../bob", "thesis", "is not a hub user name"),
    ("ada", "results\x85x", "relative"),
    ("ada", "r" * 2000, "relative"),
    ("Ada", "results", "is not a hub user name"),
    ("nobody", "results", "has no folder on the Drive"),
    ("ada", "users/bob/thesis", "is not in snapshot"),
])
def test_hostile_requests_are_refused_in_one_line_before_anything_is_read(drive, user, path, said):
    folder, repo, between, _ = drive
    link = folder / "users" / "ada" / "via-link"
    if not link.is_symlink():
        link.symlink_to(folder / "users" / "bob")
    before = tree(folder)
    done = restore(repo, "folder", "--drive", str(folder), "--user", user, "--path", path, "--before", between)
    assert done.returncode == 1 and said in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and tree(folder) == before


def test_a_time_before_any_backup_says_so(drive):
    folder, repo, _, _ = drive
    done = restore(repo, "folder", "--drive", str(folder), "--user", "ada", "--path", "results",
                   "--before", "2020-01-01")
    assert done.returncode == 1 and "no drive snapshot taken before 2020-01-01" in done.stderr


def test_snapshots_are_listed_by_target(drive):
    _, repo, _, _ = drive
    listed = restore(repo, "list", "--target", "drive")
    assert listed.returncode == 0 and len(listed.stdout.strip().splitlines()) == 2
    assert all(s["hostname"] == "lab-drive" for s in json.loads(restic(repo, "snapshots", "--json").stdout))
