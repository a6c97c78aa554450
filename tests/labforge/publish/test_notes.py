from __future__ import annotations

from labforge.inputs.releases import Release
from labforge.publish.notes import diff_releases


def release(**tools) -> Release:
    return Release.model_validate({
        "id": "2026.11", "channel": "stable", "python": "3.11",
        "tools": [{"name": n, "versions": v[0], "default": v[1]} for n, v in tools.items()],
    })


def test_diff_sorts_changes_into_sections():
    old = release(nest=(["3.7"], None), arbor=(["0.11.0"], None), gone=(["1.0"], None), same=(["2.0", "2.1"], "2.0"))
    new = release(nest=(["3.7", "3.8"], "3.8"), arbor=(["0.10.0"], None), fresh=(["0.1"], None), same=(["2.0", "2.1"], "2.1"))
    text = diff_releases(old, new)
    sections = {block.split("\n", 1)[0]: block for block in text.split("## ")[1:]}
    assert "**fresh** 0.1" in sections["Added"]
    assert "**gone** 1.0" in sections["Removed"]
    assert "**nest** 3.7 → 3.8 (still available: 3.7)" in sections["Upgraded"]
    assert "**arbor** 0.11.0 → 0.10.0" in sections["Downgraded"]
    assert "`module load same` now loads 2.1 (was 2.0)" in sections["Default changes"]
    assert "same" not in sections["Upgraded"]


def test_diff_compares_versions_numerically():
    text = diff_releases(release(x=(["3.9"], None)), release(x=(["3.10"], None)))
    assert "## Upgraded" in text and "3.9 → 3.10" in text


def test_diff_of_identical_releases_says_so():
    r = release(x=(["1"], None))
    assert "No tool changes." in diff_releases(r, r)


def test_diff_cli_writes_markdown(project, cli, tmp_path):
    result = cli(project, "release", "diff", "2026.05", "2026.11", "--out", str(tmp_path / "notes.md"))
    assert result.code == 0, result.stderr
    text = (tmp_path / "notes.md").read_text()
    assert text.startswith("# Release 2026.11") and "**nest** 2.20.1 → 3.0" in text


def test_happy_paths(project, cli, tmp_path):
    assert cli(project, "tool", "check").code == 0
    ok = cli(project, "release", "validate")
    assert ok.code == 0 and "3 releases valid" in ok.stdout
    demo = cli(project, "demo", "--render-only")
    assert demo.code == 0, demo.stderr
    assert (project / "build" / "render" / "experimental" / "Containerfile").exists()
