"""`lab-env`: a user's own environment on the release, kept on the Drive. Built from wheels (no
index here), it sees the release's packages with the user's winning; its kernel is found by the
server's kernel spec manager at once and runs; a failed build keeps the previous one; rollback,
rebuild on another release (stale until then), and hostile names and packages refused."""

from __future__ import annotations

import json
import shlex

import pytest

from labforge.suites.image.helpers import VENV, WHEELS, as_user, sh, wheel


@pytest.fixture(scope="module")
def user(host, image_config, settings, rootfs):
    folder = rootfs / WHEELS.lstrip("/")  # wheel() names its files as the image sees them there
    folder.mkdir(parents=True, exist_ok=True)
    home = f"/home/{settings.get('user', 'jovyan')}"
    env = [e for e in image_config["Env"] if not e.startswith("HOME=")] + [f"HOME={home}"]
    prefix = as_user(settings.get("uid", 1000), env)
    yield prefix, home, folder
    sh(host, f"rm -rf {home}/drive/.lab-envs '{home}/drive/Shared with groups' {WHEELS}")


def run_in_kernel(host, prefix: str, kernel: str, code: str):
    """Start `kernel` as the notebook server would (its config and kernel spec manager), run `code`."""
    script = f"""
import json, queue
from jupyter_server.serverapp import ServerApp
from jupyter_client.manager import KernelManager
from traitlets.utils.importstring import import_item
app = ServerApp(); app.load_config_file()
specs = import_item(app.config.ServerApp.kernel_spec_manager_class)(config=app.config)
km = KernelManager(kernel_name={kernel!r}, kernel_spec_manager=specs)
km.start_kernel()
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=120)
out = {{"stdout": "", "stderr": ""}}
def keep(msg):
    if msg["msg_type"] == "stream":
        out[msg["content"]["name"]] += msg["content"]["text"]
kc.execute_interactive({code!r}, output_hook=keep, timeout=120)
kc.stop_channels(); km.shutdown_kernel(now=True)
print(json.dumps(out))
"""
    done = sh(host, f"{prefix} {VENV}/bin/python -c {shlex.quote(script)}")
    assert done.rc == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def listed(host, prefix: str) -> dict[str, str]:
    script = ("import json; from jupyter_server.serverapp import ServerApp; "
              "from traitlets.utils.importstring import import_item; app = ServerApp(); app.load_config_file(); "
              "m = import_item(app.config.ServerApp.kernel_spec_manager_class)(config=app.config); "
              "print(json.dumps({k: m.get_kernel_spec(k).display_name for k in m.find_kernel_specs()}))")
    done = sh(host, f"{prefix} {VENV}/bin/python -c {shlex.quote(script)}")
    assert done.rc == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_environment_from_wheels_has_a_kernel_at_once_and_yours_win(host, user, release):
    prefix, home, folder = user
    demo, newer = wheel(folder, "labenvdemo", "1.0"), wheel(folder, "json5", "99.0")  # the server has json5
    made = sh(host, f"{prefix} lab-env create mine --no-index --wheel {demo} --wheel {newer}")
    assert made.rc == 0 and "mine: build 1 ready" in made.stdout, made.stderr
    assert listed(host, prefix)["lab-env-mine"] == "mine (environment)"  # no server restart
    seen = run_in_kernel(host, prefix, "lab-env-mine",
                         "import labenvdemo, json5, jupyter_client; print(labenvdemo.__version__, "
                         "json5.__version__, jupyter_client.__name__)")
    # the release's packages are there (jupyter_client), the user's json5 99.0 wins over the release's
    assert seen["stdout"].split() == ["1.0", "99.0", "jupyter_client"], seen
    record = json.loads(host.file(f"{home}/drive/.lab-envs/envs/mine/current/record.json").content_string)
    assert record["release"] == release.id and record["image"] == release.input_digest
    assert "labenvdemo==1.0" in host.file(f"{home}/drive/.lab-envs/envs/mine/current/lock.txt").content_string
    # a terminal whose PATH puts the OS's python3 first (no pip there) still runs lab-env on the server's
    plain_path = prefix.replace(f"PATH={VENV}/bin:", "PATH=")
    assert plain_path != prefix and sh(host, f"{plain_path} lab-env list").stdout.startswith("mine  python  build 1")


def test_a_failed_build_keeps_the_previous_one_and_rollback_returns(host, user):
    prefix, home, folder = user
    broken = folder / "labenvbroken-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    broken.chmod(0o644)
    failed = sh(host, f"{prefix} lab-env add mine --no-index --wheel {WHEELS}/{broken.name}")
    assert failed.rc == 1 and failed.stderr.startswith("lab-env: pip:") and len(failed.stderr.splitlines()) == 1
    assert "build 1 of 1" in sh(host, f"{prefix} lab-env list").stdout
    added = sh(host, f"{prefix} lab-env add mine --no-index --wheel {wheel(folder, 'labenvextra', '2.0')}")
    assert added.rc == 0 and "build 2 ready" in added.stdout, added.stderr
    python = f"{home}/drive/.lab-envs/envs/mine/current/bin/python"
    assert sh(host, f"{prefix} {python} -c 'import labenvextra, labenvdemo'").rc == 0
    assert sh(host, f"{prefix} lab-env rollback mine").rc == 0
    assert sh(host, f"{prefix} {python} -c 'import labenvextra'").rc == 1
    assert "build 1 of 2" in sh(host, f"{prefix} lab-env list").stdout


def test_an_environment_of_another_release_is_stale_until_rebuilt(host, user, release, rootfs):
    prefix, home, _ = user
    # build 1 (active) as lab-env would have written it on release 2000.01
    drive = rootfs / home.lstrip("/") / "drive/.lab-envs"
    for path, key in ((drive / "envs/mine/builds/1/record.json", None),
                      (drive / "kernels/lab-env-mine/kernel.json", "metadata")):
        data = json.loads(path.read_text())
        (data[key]["lab_env"] if key else data)["release"] = "2000.01"
        path.write_text(json.dumps(data))
    assert listed(host, prefix)["lab-env-mine"] == "mine (environment) (stale: built on 2000.01)"
    seen = run_in_kernel(host, prefix, "lab-env-mine", "print(1)")
    assert "built on release 2000.01" in seen["stderr"] and "lab-env rebuild mine" in seen["stderr"], seen
    assert "STALE: built on 2000.01" in sh(host, f"{prefix} lab-env list").stdout
    rebuilt = sh(host, f"{prefix} lab-env rebuild mine --no-index")
    assert rebuilt.rc == 0 and f"on release {release.id} (was on 2000.01)" in rebuilt.stdout, rebuilt.stderr
    assert listed(host, prefix)["lab-env-mine"] == "mine (environment)"
    assert sh(host, f"{prefix} {home}/drive/.lab-envs/envs/mine/current/bin/python -c 'import labenvdemo'").rc == 0


@pytest.mark.parametrize("args", ["create ../x", "create a/b", "create " + "x" * 41, "create $'ab\\x1b[31m'",
                                  "create Upper", "create ok --index-url=http://evil.example/simple",
                                  "create ok ./local-dir", "create ok 'pkg @ http://evil.example/p.whl'",
                                  "rollback nothere", "remove ../../drive", "--group ../.. list",
                                  "--group nogroup create x"])
def test_hostile_names_and_packages_are_one_line_and_write_nothing(host, user, args):
    prefix, home, _ = user
    before = sh(host, f"find {home}/drive -printf '%p %s %m\\n' | sort").stdout
    refused = sh(host, f"{prefix} lab-env {args}")
    assert refused.rc in (1, 2) and "Traceback" not in refused.stderr  # 2: argparse's usage and its line
    assert refused.stderr.strip().splitlines()[-1].startswith("lab-env: ")
    assert sh(host, f"find {home}/drive -printf '%p %s %m\\n' | sort").stdout == before


def test_a_groups_environment_is_the_groups_and_changed_by_who_may_write_there(host, user, rootfs, settings):
    prefix, home, folder = user
    groups = rootfs / home.lstrip("/") / "drive" / "Shared with groups"
    for name, owner in (("collab-neuro", settings.get("uid", 1000)), ("collab-readonly", 0)):
        (groups / name).mkdir(parents=True, exist_ok=True)
        sh(host, f"chown {owner}:{owner} {shlex.quote(f'{home}/drive/Shared with groups/{name}')}")
    made = sh(host, f"{prefix} lab-env --group collab-neuro create shared --no-index "
                    f"--wheel {wheel(folder, 'labenvdemo', '1.0')}")
    assert made.rc == 0 and "'shared (collab-neuro's environment)'" in made.stdout, made.stderr
    assert listed(host, prefix)["lab-env-collab-neuro--shared"] == "shared (collab-neuro's environment)"
    # a group folder this user may not write: one line, nothing made
    refused = sh(host, f"{prefix} lab-env --group collab-readonly create shared --no-index")
    assert refused.rc == 1 and "Permission denied" in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert not (groups / "collab-readonly" / ".lab-envs").exists()
