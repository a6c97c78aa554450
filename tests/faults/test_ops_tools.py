"""`make plan AGAINST=...` as a hostile user would call it: shell text stays text, an option word is
no git option, a plan.json of another schema is one line, and nothing is written before the diff
succeeds (each case once reported against main 81f954b)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers.project import REPO


def plan(out, against: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "infra.offline.plan", "--out", str(out), f"--against={against}"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def worktrees() -> str:
    return subprocess.run(["git", "worktree", "list"], cwd=REPO, capture_output=True, text=True).stdout


def test_make_passes_against_as_one_argument_never_as_shell(tmp_path):
    mark = tmp_path / "MARK"
    result = subprocess.run(["make", "-s", "plan", f"AGAINST=x;touch {mark}"], cwd=REPO, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode != 0 and not mark.exists()
    shown = f"x;touch {mark}"[:80]  # a ref is shown up to 80 characters
    assert f"--against {shown}: neither a plan.json nor a git ref" in result.stderr


def plan_here(out, against: str, capsys) -> tuple[int, str]:
    """The plan's main in this process (its refusals come before any Pulumi work): seconds saved
    per case over a new interpreter."""
    from infra.offline.plan import main

    code = main(["--out", str(out), f"--against={against}"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("against", ["--lock", "-h", "--output=/etc/passwd"])
def test_an_option_word_is_never_given_to_git(tmp_path, against, capsys):
    before = worktrees()
    code, said = plan_here(tmp_path / "plan", against, capsys)
    assert code == 1 and "a ref does not start with '-'" in said
    assert worktrees() == before and not (tmp_path / "plan").exists()


@pytest.mark.parametrize("content", [b'{"schema": 2, "objects": []}', b"[1, 2]", b"not json",
                                     b'{"resources": [{"urn": 7}]}'])
def test_a_plan_json_of_another_schema_is_one_line_and_nothing_is_written(tmp_path, content, capsys):
    other = tmp_path / "other.json"
    other.write_bytes(content)
    code, said = plan_here(tmp_path / "plan", str(other), capsys)
    assert code == 1 and len(said.splitlines()) == 1
    assert "not a plan.json of `make plan`" in said or "not JSON" in said
    assert not (tmp_path / "plan").exists()


def test_a_plan_json_of_make_plan_is_diffed(tmp_path):
    first = plan(tmp_path / "a", "HEAD")
    assert first.returncode == 0, first.stderr
    again = plan(tmp_path / "b", str(tmp_path / "a" / "plan.json"))
    assert again.returncode == 0 and json.loads((tmp_path / "b" / "plan.json").read_text())["resources"]
    assert (tmp_path / "b" / "plan-diff.txt").read_text().startswith(f"Against {tmp_path / 'a' / 'plan.json'}: 0 to add")
