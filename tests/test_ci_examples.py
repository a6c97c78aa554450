"""The example GitLab pipelines are valid GitLab CI (GitLab's own schema, tests/fixtures)."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from conftest import REPO

SCHEMA = json.loads((REPO / "tests" / "fixtures" / "gitlab-ci" / "gitlab-ci.json").read_text())


def gitlab_problems(document: dict) -> list[str]:
    return [f"{list(e.path)}: {e.message[:200]}" for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(document)]


@pytest.mark.parametrize("name", ["release.gitlab-ci.yml", "tool-merge-request.gitlab-ci.yml"])
def test_example_pipelines_are_valid_gitlab_ci(name):
    assert gitlab_problems(yaml.safe_load((REPO / "examples" / "ci" / name).read_text())) == []


def test_the_schema_catches_a_broken_job():
    assert gitlab_problems({"build": {"script": 1}})


def test_release_pipeline_triggers_the_generated_child_with_its_parent_id():
    pipeline = yaml.safe_load((REPO / "examples" / "ci" / "release.gitlab-ci.yml").read_text())
    packages = pipeline["packages"]
    assert packages["trigger"]["include"] == [{"artifact": "build/pipeline/pipeline.yml", "job": "release-pipeline"}]
    assert packages["variables"] == {"PARENT_PIPELINE_ID": "$CI_PIPELINE_ID"} and packages["trigger"]["strategy"] == "depend"
    assert "--out build/pipeline/pipeline.yml" in " ".join(pipeline["release-pipeline"]["script"])
    assert pipeline["stages"].index("packages") < pipeline["stages"].index("image")
