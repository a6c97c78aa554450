"""Grammars are ASCII where the field is ASCII, and whole: every grammar of labforge and its stack
config is fed its own good example with other scripts' digits, fullwidth forms, a trailing
newline and C1 controls, and refuses each. And no regular expression of the code reaches for
`\\d` or `\\w`, which in Python and in pydantic's Rust engine take any script's digits."""

from __future__ import annotations

import copy
import re

import pytest
from pydantic import TypeAdapter, ValidationError

from infra.config.stack import ConfigProblem
from labforge.catalog.model import CatalogEntry, Deprecation
from labforge.core import fields
from labforge.hub.api import hub_url
from labforge.inputs.references import location_problem, reference_problem
from labforge.inputs.releases import id_problem
from tests.helpers.project import REPO
from tests.helpers.stack import dev_values, simulate

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def hostile(good: str) -> list[str]:
    """`good` made bad in the ways Unicode slips past an ASCII grammar."""
    digits = good.translate(ARABIC_INDIC)
    variants = [good + "\n", good + "\x85", good + "\u2028", good.translate(FULLWIDTH)]
    return variants + ([digits] if digits != good else [])


def refuses(check, value) -> bool:
    try:
        result = check(value)
    except (ValueError, ValidationError):
        return True
    return isinstance(result, str) and result != value  # a *_problem function: its reason


GRAMMARS = {
    "release id": (lambda v: id_problem(v) or v, "2026.11"),
    "catalog release id": (lambda v: CatalogEntry(id=v, channel="stable", image="r/n", digest="sha256:" + "0" * 64,
                                                  created="2026-11-01T00:00:00Z", kernel="lab").id, "2026.11"),
    "catalog date": (lambda v: Deprecation(until=v).until, "2027-03-31"),
    "image reference": (lambda v: reference_problem(v) or v, "harbor.lab.example.org/lab/notebook:2026.11"),
    "registry location": (lambda v: location_problem(v) or v, "harbor.lab.example.org:5000/lab"),
    "pin": (fields.pin, "jupyterlab==4.6.6"),
    "git ref": (fields.git_ref, "v1.1.0"),
    "git url": (fields.git_url, "https://github.com/spack/spack.git"),
    "web url": (fields.web_url, "https://deb.debian.org/debian"),
    "spack target": (fields.spack_target, "x86_64_v2"),
    "absolute path": (fields.absolute_path, "/home/jovyan/drive2"),
    "hub url": (hub_url, "https://lab2.example.org"),
}


@pytest.mark.parametrize("name", sorted(GRAMMARS))
def test_each_grammar_takes_its_example_and_refuses_its_unicode_lookalikes(name):
    check, good = GRAMMARS[name]
    assert not refuses(check, good), f"{name}: refuses its own example {good!r}"
    slipped = [value for value in hostile(good) if not refuses(check, value)]
    assert slipped == [], f"{name} takes {slipped!r}"


def test_a_deprecation_message_is_one_line_by_every_line_separator():
    assert Deprecation(until="2027-03-31", message="use 2026.11").message
    for separator in ("\n", "\r", "\x85", "\u2028", "\u2029", "\x9b31m"):
        with pytest.raises(ValidationError):
            TypeAdapter(Deprecation).validate_python({"until": "2027-03-31", "message": f"use{separator}2026.11"})


@pytest.mark.parametrize("key, path, good", [
    ("kubernetes version", ("labforge:cluster", "kubernetesVersion"), "1.36"),
    ("subnet", ("labforge:cluster", "openstack", "subnetCidr"), "10.20.0.0/22"),
    ("memory guarantee", ("labforge:hub", "resources", "memGuarantee"), "2G"),
    ("home size", ("labforge:hub", "homeSize"), "10Gi"),
    ("backup schedule", ("labforge:backup", "hubSchedule"), "17 * * * *"),
    ("hub check schedule", ("labforge:hub", "check", "schedule"), "30 5 * * *"),
    ("oidc issuer", ("labforge:oidc", "issuer"), "https://iam.lab.example.org/realms/lab"),
    ("acme email", ("labforge:gateway", "acmeEmail"), "ops@lab.example.org"),
])
def test_stack_values_in_other_scripts_are_refused_before_any_resource(key, path, good):
    for value in hostile(good):
        values = copy.deepcopy(dev_values())
        node = values
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        if path[1] == "check":
            node.update(enabled=True, image="harbor.lab.example.org/ci/labforge:0.1.0")
        with pytest.raises(ConfigProblem):
            simulate(values)


def test_a_cron_hour_of_25_is_refused():
    values = dev_values()
    values["labforge:backup"] = {**values["labforge:backup"], "driveSchedule": "0 25 * * *"}
    with pytest.raises(ConfigProblem, match="labforge:backup.driveSchedule"):
        simulate(values)


SOURCES = [p for folder in ("labforge", "infra") for p in (REPO / folder).rglob("*.py")
           if "suites/image/test_" not in str(p)]
REGEX_LITERAL = re.compile(r"""r["'][^"'\n]*\\[dw][^"'\n]*["']""")


def test_no_regular_expression_reaches_for_unicode_digits_or_word_characters():
    found = [f"{p.relative_to(REPO)}:{n}" for p in SOURCES for n, line in enumerate(p.read_text().splitlines(), 1)
             if REGEX_LITERAL.search(line) and "re.ASCII" not in line]
    assert found == [], f"write [0-9] and [A-Za-z0-9_] (or compile with re.ASCII): {found}"
