"""Fixtures of the browser suite: the image served with `release try`, and headless chromium.

Told by `labforge release test --browser` (labforge/suites/browser/runner.py) through LABFORGE_*
environment variables which image to serve and what it should hold.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

import pytest
from pages import headless_chromium

from labforge.inputs.project import Project
from labforge.loopback.lab import serve
from labforge.loopback.registry import free_port


@pytest.fixture(scope="session")
def facts() -> dict:
    return json.loads(os.environ["LABFORGE_RELEASE"])


@pytest.fixture(scope="session")
def shots() -> Path:
    return Path(os.environ["LABFORGE_SCREENSHOTS"])


class Lab:
    """The served image; `restart()` stops it and serves it again on the same folders."""

    def __init__(self, facts: dict):
        self.project = Project(Path(os.environ["LABFORGE_PROJECT"]))
        self.reference = os.environ["LABFORGE_REFERENCE"]
        self.name = facts["id"]
        self.stack = contextlib.ExitStack()
        self.session = None

    def start(self, env: dict[str, str] | None = None):
        self.session = self.stack.enter_context(serve(self.project, self.reference, self.name, port=free_port(),
                                                      env=env))
        return self.session

    def restart(self, env: dict[str, str] | None = None):
        self.stack.close()
        return self.start(env)


@pytest.fixture(scope="session")
def lab(facts):
    served = Lab(facts)
    session = served.start()
    # the Drive's folder outlives a run: a previous run's environments would be in the launcher
    shutil.rmtree(session.folders["drive"] / ".lab-envs", ignore_errors=True)
    yield served
    served.stack.close()


@pytest.fixture(scope="session")
def browser():
    driver = headless_chromium(os.environ["LABFORGE_CHROMIUM"], os.environ["LABFORGE_CHROMEDRIVER"])
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test leaves a screenshot of what the browser showed: failed-TEST.png."""
    outcome = yield
    report = outcome.get_result()
    driver = item.funcargs.get("browser")
    if report.when == "call" and report.failed and driver is not None:
        driver.save_screenshot(str(Path(os.environ["LABFORGE_SCREENSHOTS"]) / f"failed-{item.name}.png"))
