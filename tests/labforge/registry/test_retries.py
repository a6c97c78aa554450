"""Retry policy for registry operations (no registry needed: the actions are scripted)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from labforge.core.errors import LabforgeError
from labforge.registry.retries import is_transient, with_retries
from tests.helpers.project import REPO


def scripted(*outcomes):
    calls = []

    def action():
        code, text = outcomes[len(calls)]
        calls.append(text)
        return subprocess.CompletedProcess([], code, text, "")
    return action, calls


def test_transient_errors_are_retried_with_backoff():
    action, calls = scripted((1, "dial tcp: connection refused"), (1, "received unexpected HTTP status: 503"), (0, "ok"))
    sleeps = []
    assert with_retries(action, attempts=4, first_delay=0.5, sleep=sleeps.append).stdout == "ok"
    assert len(calls) == 3 and sleeps == [0.5, 1.0]


def test_a_registry_that_stays_down_gives_one_clear_error():
    action, calls = scripted(*[(1, "connection refused")] * 3)
    with pytest.raises(LabforgeError) as info:
        with_retries(action, attempts=3, sleep=lambda _s: None, what="push to 127.0.0.1:1")
    assert len(calls) == 3
    assert "push to 127.0.0.1:1: still failing after 3 attempt(s): connection refused" in str(info.value)


def test_permanent_errors_are_not_retried():
    action, calls = scripted((1, "unauthorized: authentication required"), (0, "never"))
    with pytest.raises(LabforgeError, match="failed after 1 attempt"):
        with_retries(action, attempts=4, sleep=lambda _s: None)
    assert calls == ["unauthorized: authentication required"]


@pytest.mark.parametrize("text, transient", [
    ("Get http://x/v2/: dial tcp 127.0.0.1:1: connect: connection refused", True),
    ("502 Bad Gateway", True),
    ("manifest unknown", False),
    ("denied: requested access to the resource is denied", False),
])
def test_transient_classification(text, transient):
    assert is_transient(text) is transient


def test_a_custom_predicate_retries_every_failure():
    action, calls = scripted((1, "400 bad request"), (0, "ok"))
    assert with_retries(action, attempts=3, sleep=lambda _s: None, retryable=lambda _out: True).stdout == "ok"
    assert len(calls) == 2


@pytest.mark.skipif(not shutil.which("docker-registry"), reason="docker-registry is installed by 'make test'")
def test_the_local_registry_makes_its_log_folder(tmp_path):
    """A fresh clone has no build/logs: the demo's registry once failed to start there."""
    from labforge.loopback.registry import local_registry

    log = tmp_path / "fresh" / "build" / "logs" / "registry.log"
    with local_registry(tmp_path / "fresh" / "build" / "registry" / "storage", log=log) as address:
        assert address.startswith("127.0.0.1:")
    assert log.is_file()


def test_demo_renders_from_a_fresh_clone(tmp_path):
    """`make demo`'s first steps on a clone with no build/ at all (the rest runs in CI's demo stage)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", "--detach"], check=True)
    for path in subprocess.run(["git", "-C", str(REPO), "ls-files", "--modified", "--others", "--exclude-standard"],
                               capture_output=True, text=True, check=True).stdout.split():
        if (REPO / path).is_file():  # the working tree as it is, so the test sees uncommitted work too
            (clone / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / path, clone / path)
    assert not (clone / "build").exists()
    result = subprocess.run([sys.executable, "-m", "labforge", "demo", "--render-only"], cwd=clone,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert (clone / "build" / "render" / "2026.11" / "Containerfile").is_file()
