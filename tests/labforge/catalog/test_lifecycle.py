"""`labforge catalog default|deprecate|retire`: each a reviewable change to releases/catalog.json,
refused with one line (and the catalog untouched) when it cannot be right."""

from __future__ import annotations

import json

import pytest

from labforge.catalog.model import CatalogEntry
from labforge.catalog.store import load_catalog


def releases(project) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads((project / "releases" / "catalog.json").read_text())["releases"]}


def test_default_pins_a_rollback_until_newest(cli, project):
    result = cli(project, "catalog", "default", "2026.05")
    assert result.code == 0 and "new servers start 2026.05 (pinned" in result.stdout and "before: 2026.11" in result.stdout
    assert [r for r, e in releases(project).items() if e["default"]] == ["2026.05"]
    # publishing a newer release while pinned does not move the default
    path = project / "releases" / "catalog.json"
    catalog = load_catalog(path)
    newer = catalog.entry("2026.11").model_copy(update={"id": "2027.05", "kernel": "lab-2027.05", "gpu": None})
    assert catalog.with_entry(CatalogEntry.model_validate(newer.model_dump())).default_entry().id == "2026.05"
    back = cli(project, "catalog", "default", "--newest")
    assert back.code == 0 and "new servers start 2026.11;" in back.stdout
    assert "pinned_default" not in path.read_text()
    assert [r for r, e in releases(project).items() if e["default"]] == ["2026.11"]


def test_deprecate_then_retire(cli, project):
    result = cli(project, "catalog", "deprecate", "2026.05", "--until", "2099-01-31", "--message", "Use NumPy 2.")
    assert result.code == 0, result.stderr
    entry = releases(project)["2026.05"]
    assert entry["status"] == "deprecated"
    assert entry["deprecation"] == {"until": "2099-01-31", "use": "2026.11", "message": "Use NumPy 2."}
    shown = cli(project, "catalog", "show")
    assert "deprecated" in shown.stdout and "2099-01-31" in shown.stdout  # (the table folds long cells)
    retired = cli(project, "catalog", "retire", "2026.05")
    assert retired.code == 0, retired.stderr
    entry = releases(project)["2026.05"]
    assert entry["status"] == "retired" and entry["retirement"]["use"] == "2026.11"
    assert entry["digest"]  # the image stays recorded (and in the registry, under its retention rules)


BAD = {
    "default of an unpublished release": (["default", "2027.01"], "release 2027.01 is not published"),
    "default of the experimental channel": (["default", "experimental"], "experimental channel cannot be the default"),
    "default with both an ID and --newest": (["default", "2026.05", "--newest"], "give a release ID or --newest"),
    "deprecate an unpublished release": (["deprecate", "2027.01", "--until", "2099-01-01"], "is not published"),
    "deprecate with a date in the past": (["deprecate", "2026.05", "--until", "2020-01-01"], "is not after today"),
    "deprecate with a date that is not one": (["deprecate", "2026.05", "--until", "next month"], "is not a date"),
    "deprecate for an unpublished successor": (["deprecate", "2026.05", "--until", "2099-01-01", "--use", "2027.01"],
                                               "release 2027.01 is not published"),
    "deprecate in favour of itself": (["deprecate", "2026.05", "--until", "2099-01-01", "--use", "2026.05"],
                                      "cannot replace 2026.05"),
    "deprecate with markup in the message": (["deprecate", "2026.05", "--until", "2099-01-01", "--message",
                                              "<script>x</script>"], "--message: must be one line"),
    "retire the default": (["retire", "2026.11"], "release 2026.11 is the default"),
    "retire an unpublished release": (["retire", "2024.05"], "release 2024.05 is not published"),
    "an id that is not one": (["retire", "../x"], "is not a release id"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_verb_that_cannot_be_right_is_one_line_and_changes_nothing(cli, project, case):
    args, message = BAD[case]
    path = project / "releases" / "catalog.json"
    before = path.read_bytes()
    result = cli(project, "catalog", *args)
    assert result.code == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 2, result.stderr
    assert path.read_bytes() == before


def test_the_only_supported_release_cannot_be_retired_or_deprecated(cli, project):
    assert cli(project, "catalog", "retire", "2026.05").code == 0
    assert cli(project, "catalog", "retire", "experimental").code == 0
    path = project / "releases" / "catalog.json"
    before = path.read_bytes()
    for args in (["deprecate", "2026.11", "--until", "2099-01-01"], ["retire", "2026.11"]):
        result = cli(project, "catalog", *args)
        assert result.code == 1 and ("only supported release" in result.stderr or "is the default" in result.stderr)
    assert path.read_bytes() == before
