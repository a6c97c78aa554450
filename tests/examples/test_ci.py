"""The example GitLab pipelines are valid GitLab CI (GitLab's own schema, tests/fixtures)."""

from __future__ import annotations

import pytest
import yaml

from tests.helpers.lab_gitlab import gitlab_problems
from tests.helpers.project import REPO


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


def test_runner_tags_agree_with_the_runners_the_lab_has():
    """Package jobs carry the tag of the Kubernetes runner the Pulumi `runners:` option deploys
    (its token is made in GitLab with that tag); every other job the tag of the image runner."""
    from labforge.spackbuild.pipeline import PipelineOptions

    readme = (REPO / "docs" / "locks.md").read_text()  # "First release on the lab's GitLab" names both runners
    assert PipelineOptions("cache", "builder").tags == ("labforge-build",)
    for name in ("release.gitlab-ci.yml", "tool-merge-request.gitlab-ci.yml"):
        text = (REPO / "examples" / "ci" / name).read_text()
        pipeline = yaml.safe_load(text)
        jobs = {key: job for key, job in pipeline.items() if isinstance(job, dict) and not key.startswith(".")}
        for key, job in jobs.items():
            extends = job.get("extends") or []
            templates = [pipeline[t] for t in ([extends] if isinstance(extends, str) else extends)]
            tags = set(job.get("tags") or [tag for t in templates for tag in t.get("tags", [])])
            assert tags <= {"labforge-image"}, (name, key, tags)
        assert "buildah, root" not in text and "tag `buildah`" not in text, name
    assert "`labforge-build`" in readme and "`labforge-image`" in readme


def test_no_job_reinstalls_the_venv():
    """The venv is cached on requirements.lock: a job makes it only when the cache has none."""
    for name in ("release.gitlab-ci.yml", "tool-merge-request.gitlab-ci.yml"):
        pipeline = yaml.safe_load((REPO / "examples" / "ci" / name).read_text())
        templates = [job for key, job in pipeline.items() if key.startswith(".") and "cache" in job]
        assert templates and all(t["cache"]["key"]["files"][0] == "requirements.lock" for t in templates), name
        scripts = [line for job in pipeline.values() if isinstance(job, dict)
                   for line in job.get("before_script", []) + job.get("script", []) if "make venv" in line]
        assert scripts and all(line.startswith("test -x .venv/bin/labforge || ") for line in scripts), (name, scripts)
