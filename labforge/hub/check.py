"""`labforge hub check`: does each offered release work in the deployed hub?

As a dedicated check user, start a server on each release's profile in turn (through the hub's
REST API), run a small piece of notebook code in its release kernel (Jupyter's kernel protocol
over the hub's proxy) that imports the release's tools, reads their versions and `module avail`,
compare what it finds with the catalog and the image's own release record, stop the server.
One line per release; a server that never starts is reported, cleaned up, and the next release
is still checked.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from ..catalog.model import Catalog, CatalogEntry, profile_slug
from ..core.errors import LabforgeError
from ..core.metrics import Metrics
from ..core.text import plain
from ..render.record import IN_IMAGE, parse_record
from .api import KERNEL, USER, Hub, segment

CHECK_SCOPES = "admin:users, admin:servers, admin:server_state, access:servers (for the check user)"
MARK = "LABFORGE-CHECK "
# Runs in the release kernel: the image's release record as it is (read here, by labforge, with
# render.record), and what actually loads. It tries the imports every tool of the record names.
PROBE = """
import importlib, json, os, subprocess
RECORD = "%s"
record = open(RECORD).read()
release = json.loads(record)
found = {"record": record, "LAB_RELEASE": os.environ.get("LAB_RELEASE"),
         "loaded": [m for m in os.environ.get("LOADEDMODULES", "").split(":") if m], "imports": {}}
for tool in release.get("tools", []) if release.get("with_spack", True) else []:
    for name in tool.get("tests", {}).get("imports", []):
        try:
            found["imports"][name] = str(getattr(importlib.import_module(name), "__version__", "?"))
        except Exception as exc:
            found["imports"][name] = "error: " + (exc.__class__.__name__ + ": " + str(exc))[:200]
lmod = os.environ.get("LMOD_CMD")
avail = subprocess.run([lmod, "bash", "-t", "avail"], capture_output=True, text=True) if lmod else None
found["avail"] = sorted(line for line in (avail.stderr if avail else "").split() if "/" in line and not line.endswith((":", "/")))
print("LABFORGE-CHECK " + json.dumps(found))
""" % IN_IMAGE


@dataclass(frozen=True)
class Outcome:
    release: str
    profile: str
    ok: bool
    detail: str
    seconds: float

    def line(self) -> str:
        return f"{self.release} ({self.profile}): {'ok' if self.ok else 'FAILED'}: {self.detail} [{self.seconds:.0f} s]"


def check_metrics(outcomes: list[Outcome]) -> Metrics:
    """What Prometheus keeps of a check (the Pushgateway's group `labforge-hub-check`)."""
    metrics = Metrics()
    for outcome in outcomes:
        labels = {"release": outcome.release, "profile": outcome.profile}
        metrics.gauge("labforge_hub_check_ok", "1 when the release started and its kernel ran as the catalog says",
                      1 if outcome.ok else 0, **labels)
        metrics.gauge("labforge_hub_check_seconds", "Seconds the release's check took", outcome.seconds, **labels)
    metrics.gauge("labforge_hub_check_last_run_timestamp_seconds", "When the hub check last ran", time.time())
    return metrics


class CheckFailed(Exception):
    """What went wrong, and where, for one release."""


def offered(catalog: Catalog) -> list[tuple[CatalogEntry, str]]:
    """(entry, profile slug) of every release on the spawn page, the default first."""
    default = catalog.default_entry()
    return [(entry, profile_slug(entry, default is not None and entry.id == default.id))
            for entry in sorted(catalog.offered(), key=lambda e: (not e.default, e.channel != "stable", e.id))]


def check_hub(hub: Hub, catalog: Catalog, user: str, timeout: float,
              on_step: Callable[[str], None] = lambda _: None) -> list[Outcome]:
    ensure_user(hub, user)
    outcomes = []
    for entry, profile in offered(catalog):
        on_step(f"{entry.id}: starting a server on {profile}")
        started = time.monotonic()
        try:
            stop_server(hub, user, timeout)
            detail = check_release(hub, entry, profile, user, timeout, on_step)
            outcomes.append(Outcome(entry.id, profile, True, detail, time.monotonic() - started))
        except CheckFailed as failure:
            outcomes.append(Outcome(entry.id, profile, False, plain(str(failure), 300), time.monotonic() - started))
        finally:
            try:
                stop_server(hub, user, timeout)
            except (LabforgeError, CheckFailed):
                pass  # reported with the next release's start, or left for the hub's culler
    return outcomes


def ensure_user(hub: Hub, user: str) -> None:
    if hub.call("GET", f"/users/{segment(user, 'user name', USER)}", missing_ok=True) is None:
        hub.call("POST", f"/users/{segment(user, 'user name', USER)}")


def server_of(hub: Hub, user: str) -> dict | None:
    model = hub.call("GET", f"/users/{segment(user, 'user name', USER)}")
    servers = model.get("servers") if isinstance(model, dict) else None
    server = servers.get("") if isinstance(servers, dict) else None
    return server if isinstance(server, dict) else None


def stop_server(hub: Hub, user: str, timeout: float) -> None:
    if server_of(hub, user) is None:
        return
    hub.call("DELETE", f"/users/{segment(user, 'user name', USER)}/server", missing_ok=True)
    if not _wait(lambda: server_of(hub, user) is None, timeout):
        raise CheckFailed(f"the server did not stop in {timeout:.0f} s")


def check_release(hub: Hub, entry: CatalogEntry, profile: str, user: str, timeout: float,
                  on_step: Callable[[str], None]) -> str:
    try:
        hub.call("POST", f"/users/{segment(user, 'user name', USER)}/server", {"profile": profile})
    except LabforgeError as exc:  # the spawner failed at once: the hub answers 500 with its reason
        raise CheckFailed(f"the server failed to start ({exc.problems[0].message.split(': ', 1)[0]}; the hub's "
                          f"log says why, under user {user})") from None
    wait_ready(hub, user, timeout)
    server = server_of(hub, user) or {}
    state = server.get("state") if isinstance(server.get("state"), dict) else {}
    image = state.get("labforge_image")
    if image and not (isinstance(image, str) and image.endswith(entry.digest)):
        raise CheckFailed(f"the server runs {image}, not the catalog's {entry.digest[:19]}")
    on_step(f"{entry.id}: running the check in kernel {entry.kernel}")
    found = run_probe(hub, user, entry.kernel, timeout)
    return compare(entry, found)


def compare(entry: CatalogEntry, found: dict) -> str:
    if found.get("LAB_RELEASE") != entry.id or found.get("release") != entry.id:
        raise CheckFailed(f"the server is release {found.get('release')} (LAB_RELEASE {found.get('LAB_RELEASE')}), "
                          f"not {entry.id}")
    problems = []
    for tool in found.get("expected", []):
        wanted = f"{tool['package']}/{tool['default']}"
        if wanted not in found.get("loaded", []):
            problems.append(f"{wanted} not loaded by default")
        problems += [f"{tool['package']}/{v} not in module avail" for v in tool["versions"]
                     if f"{tool['package']}/{v}" not in found.get("avail", [])]
        problems += [f"import {name}: {found['imports'].get(name)}" for name in tool["imports"]
                     if str(found.get("imports", {}).get(name, "error")).startswith("error")]
    if problems:
        raise CheckFailed("; ".join(problems[:5]))
    tools = ", ".join(f"{t['package']} {found['imports'].get(t['imports'][0], t['default']) if t['imports'] else t['default']}"
                      for t in found.get("expected", []))
    return f"kernel {entry.kernel} ran; {tools or 'no tools (built --no-spack)'}"


def run_probe(hub: Hub, user: str, kernel: str, timeout: float) -> dict:
    """Start kernel `kernel` on the user's server, run PROBE, read its line, shut the kernel down."""
    output, error = run_code(hub, user, kernel, PROBE, timeout)
    line = next((row for row in output.splitlines() if row.startswith(MARK)), None)
    if line is None:
        raise CheckFailed(f"the check code did not finish: {error or output.strip()[-200:] or 'no output'}")
    try:
        found = json.loads(line[len(MARK):])
        record = parse_record(found.pop("record"), IN_IMAGE)
    except (ValueError, AttributeError, KeyError, TypeError):
        raise CheckFailed("the check code printed something that is not its report") from None
    except LabforgeError as exc:
        raise CheckFailed(f"the image's release record: {exc.problems[0].message}") from None
    found["release"] = record.id
    found["expected"] = [{"package": t.package, "default": t.default, "versions": t.versions,
                          "imports": t.tests.get("imports", [])} for t in record.shipped_tools]
    return found


def run_code(hub: Hub, user: str, kernel: str, code: str, timeout: float) -> tuple[str, str | None]:
    """Run `code` in a new kernel `kernel` on the user's running server (Jupyter's kernel protocol
    through the hub's proxy): its printed output and its error, if any. The kernel is shut down."""
    import websocket  # websocket-client

    base = f"{hub.url}/user/{segment(user, 'user name', USER)}/api/kernels"
    headers = {"Authorization": f"token {hub.token}"}
    started = _server_api(hub, "POST", base, {"name": kernel})
    if not isinstance(started, dict) or not KERNEL.fullmatch(str(started.get("id", ""))):
        raise CheckFailed(f"kernel {kernel} did not start (the server gave no kernel id)")
    kernel_id = segment(started["id"], "kernel id", KERNEL)
    try:
        socket_url = f"{base}/{kernel_id}/channels".replace("http", "ws", 1)
        connection = websocket.create_connection(socket_url, header=[f"{k}: {v}" for k, v in headers.items()],
                                                 timeout=timeout)
        try:
            return _execute(connection, code, timeout)
        finally:
            connection.close()
    except (OSError, websocket.WebSocketException) as exc:
        raise CheckFailed(f"could not talk to kernel {kernel}: {exc.__class__.__name__}: {exc}") from None
    finally:
        _server_api(hub, "DELETE", f"{base}/{kernel_id}")


def _execute(connection, code: str, timeout: float) -> tuple[str, str | None]:
    msg_id = uuid.uuid4().hex
    connection.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "labforge-check", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    deadline, output, error = time.monotonic() + timeout, "", None
    while time.monotonic() < deadline:
        connection.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            message = json.loads(connection.recv())
        except ValueError:
            continue  # not JSON: not a message of ours
        parent = message.get("parent_header") if isinstance(message, dict) else None
        if not isinstance(parent, dict) or parent.get("msg_id") != msg_id:
            continue
        kind, content = message.get("msg_type"), message.get("content")
        content = content if isinstance(content, dict) else {}
        if kind == "stream":
            output += str(content.get("text", ""))[:1 << 20]
        elif kind == "error":
            error = f"{content.get('ename')}: {content.get('evalue')}"
        elif kind == "execute_reply":
            break
    return output, error


def _server_api(hub: Hub, method: str, url: str, body=None):
    import urllib.error

    try:
        return hub.fetch(method, url, body)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise CheckFailed(f"the server's API answered {getattr(exc, 'code', '')} "
                          f"{hub.cleaned(getattr(exc, 'reason', exc))} to {method} the kernels API") from None


def wait_ready(hub: Hub, user: str, timeout: float) -> None:
    """Until the server is ready; a server the hub gave up on (gone while we wait) fails at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = server_of(hub, user)
        if server and server.get("ready"):
            return
        if server is None or not (server.get("pending") or server.get("ready")):
            raise CheckFailed(f"the server failed to start (the hub's log says why, under user {user})")
        time.sleep(1)
    raise CheckFailed(f"the server did not start in {timeout:.0f} s (the hub's log says why, under user {user})")


def _wait(condition, timeout: float, every: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False
