"""A build that fails on a known fault of buildah itself runs once more; any other failure is the
build's own and fails at once. Real processes: a script stands in for the builder."""

from __future__ import annotations

import pytest

from labforge.core.errors import LabforgeError
from labforge.core.process import BUILDER_FLAKES, run

# fails the first `$2` times with the message `$3`, then succeeds; counts its runs in `$1`
SCRIPT = """n=$(cat "$1" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$1"
echo "STEP 17/40: RUN pip install"
if [ "$n" -le "$2" ]; then echo "$3"; echo "subprocess exited with status 1"; exit 1; fi
echo "COMMIT done"
"""
FLAKE = "Close_Fd sealing memfd copy: Device or resource busy"


def builder(tmp_path, failures: int, message: str) -> list[str]:
    return ["sh", "-c", SCRIPT, "builder", str(tmp_path / "runs"), str(failures), message]


def runs(tmp_path) -> int:
    return int((tmp_path / "runs").read_text())


def test_a_known_builder_fault_is_run_again(tmp_path):
    log, seen = tmp_path / "build.log", []
    result = run(builder(tmp_path, 1, FLAKE), log=log, on_line=seen.append, what="buildah build of 2030.02",
                 flakes=BUILDER_FLAKES)
    assert result.returncode == 0 and runs(tmp_path) == 2
    retry = [line for line in seen if line.startswith("labforge-retry: ")]
    assert retry == ["labforge-retry: buildah build of 2030.02 hit a known fault of the tool itself; running it again"]
    assert log.read_text().count("labforge-retry: ") == 1 and "COMMIT done" in log.read_text()


def test_the_build_s_own_failure_is_not_run_again(tmp_path):
    with pytest.raises(LabforgeError) as failed:
        run(builder(tmp_path, 1, "ERROR: No matching distribution found for nosuch==1.0"), log=tmp_path / "l",
            what="buildah build of 2030.02", flakes=BUILDER_FLAKES)
    assert runs(tmp_path) == 1
    assert "No matching distribution" in str(failed.value) and "full log" in str(failed.value)


def test_a_fault_that_stays_fails_after_one_more_run(tmp_path):
    with pytest.raises(LabforgeError) as failed:
        run(builder(tmp_path, 5, FLAKE), what="buildah build of 2030.02", flakes=BUILDER_FLAKES)
    assert runs(tmp_path) == 2 and "sealing memfd copy" in str(failed.value)


def test_commands_without_flakes_are_never_rerun(tmp_path):
    with pytest.raises(LabforgeError):
        run(builder(tmp_path, 1, FLAKE))
    assert runs(tmp_path) == 1
