"""The loopback parts of the token-service tests: a small OIDC token endpoint (the IAM), the
hub's configuration as the chart would write it from our values, and a handle on the hub."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from labforge.loopback.registry import free_port
from tests.helpers.project import REPO
from tests.helpers.waiting import wait_until

ADMIN_TOKEN = secrets.token_hex(16)
CLIENT_SECRET = "iam-client-secret-" + secrets.token_hex(4)


def jwt(user: str, lifetime: float) -> str:
    """An access token shaped like Keycloak's (header.claims.signature), unique each time."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return ".".join([part({"alg": "RS256"}), part({"sub": user, "exp": int(time.time() + lifetime),
                                                   "jti": secrets.token_hex(8)}), "c2lnbmF0dXJl"])


class Iam:
    """The IAM's token endpoint: refresh grants for known refresh tokens, with rotation."""

    def __init__(self):
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user
        self.issued: list[str] = []
        self.calls: list[dict] = []
        self.down = False
        iam = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                iam.calls.append(form)
                if iam.down:
                    return self.answer(503, {"error": "temporarily_unavailable"})
                if (form.get("client_id"), form.get("client_secret")) != ("lab-hub", CLIENT_SECRET):
                    return self.answer(401, {"error": "invalid_client"})
                user = iam.refresh_tokens.pop(form.get("refresh_token"), None)
                if form.get("grant_type") != "refresh_token" or user is None:
                    return self.answer(400, {"error": "invalid_grant", "error_description": "Session not active"})
                access, refresh = jwt(user, 300), iam.login(user)
                iam.issued.append(access)
                self.answer(200, {"access_token": access, "refresh_token": refresh, "expires_in": 300,
                                  "token_type": "Bearer"})

            def answer(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def login(self, user: str) -> str:
        refresh = "refresh-" + secrets.token_hex(12)
        self.refresh_tokens[refresh] = user
        self.issued.append(refresh)
        return refresh

    def refreshes(self) -> int:
        return sum(1 for c in self.calls if c.get("grant_type") == "refresh_token")


class Hub:
    def __init__(self, url: str, proc: subprocess.Popen, log: Path, records: Path, service_url: str):
        self.url, self.proc, self.log, self.records, self.service_url = url, proc, log, records, service_url

    def api(self, method: str, path: str, body=None, token: str = ADMIN_TOKEN):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/hub/api{path}", data=data, method=method,
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return json.loads(text) if text else None

    def set_auth_state(self, user: str, state: dict):
        self.api("PATCH", f"/users/{user}", {"auth_state": state})

    def server_env(self, user: str) -> dict:
        return json.loads((self.records / f"{user}.json").read_text())


SERVICE_FILES = {"lab-token": "token_service.py", "lab-share": "share_service.py"}


def hub_config(values: dict, iam: Iam, hub_port: int, ports: dict[str, int], records: Path, store: Path) -> str:
    """jupyterhub_config.py as the chart would write it from our values, on loopback."""
    hub = values["hub"]
    services = []
    for name, service in hub["services"].items():
        if "apiToken" in service:  # an API client of the hub (labforge-metrics): a token of its own here
            services.append({"name": name, "api_token": secrets.token_hex(16)})
            continue
        service = json.loads(json.dumps(service))
        service["name"] = name
        service["command"] = [sys.executable, str(REPO / "infra" / "hub" / "pod" / SERVICE_FILES[name])]
        service["url"] = f"http://127.0.0.1:{ports[name]}"
        if name == "lab-token":
            service["environment"].update(LAB_TOKEN_IAM_TOKEN_URL=iam.url, LAB_TOKEN_BIND="127.0.0.1")
        else:
            service["environment"].update(LAB_SHARE_STORE=str(store), LAB_SHARE_BIND="127.0.0.1")
        services.append(service)
    services.append({"name": "test-admin", "api_token": ADMIN_TOKEN})
    roles = [{"name": name, **role} for name, role in hub["loadRoles"].items()]
    roles.append({"name": "test-admin", "scopes": ["admin:users", "admin:servers", "tokens", "list:users"],
                  "services": ["test-admin"]})
    urls = {"LAB_TOKEN_URL": f"http://127.0.0.1:{ports['lab-token']}/services/lab-token/",
            "LAB_SHARE_URL": f"http://127.0.0.1:{ports['lab-share']}/services/lab-share/"}
    return "\n".join([
        "c.JupyterHub.hub_ip = '127.0.0.1'",
        f"c.JupyterHub.hub_port = {hub_port}",
        f"c.JupyterHub.port = {free_port()}",
        "c.JupyterHub.proxy_class = 'hub_standins.MemoryProxy'",
        "c.JupyterHub.spawner_class = 'hub_standins.RecordingSpawner'",
        f"c.RecordingSpawner.record_dir = {str(records)!r}",
        f"c.Spawner.environment = {urls!r}",
        "c.JupyterHub.authenticator_class = 'dummy'",
        "c.Authenticator.allow_all = True",
        "c.Authenticator.enable_auth_state = True",
        "c.JupyterHub.cleanup_servers = True",
        f"c.JupyterHub.services = {services!r}",
        f"c.JupyterHub.load_roles = {roles!r}",
        f"c.GenericOAuthenticator.client_secret = {CLIENT_SECRET!r}",
        hub["extraConfig"]["labforge-token"],
    ])


@contextlib.contextmanager
def running_hub(work: Path, iam: Iam, users: tuple[str, ...], crypt_key: str | None = None):
    """A real JupyterHub with the plan's services, roles and extraConfig, each user's server
    started (a recording stand-in); its database and the lab-share store under `work`.
    `crypt_key`: the hub's auth-state key (the chart keeps it in the hub's Secret)."""
    from tests.helpers.stack import dev_values, helm_release, simulate

    records, _ = simulate(dev_values())
    values = helm_release(records, "jupyterhub").inputs["values"]
    (work / "records").mkdir()
    hub_port, ports = free_port(), {"lab-token": free_port(), "lab-share": free_port()}
    store = work / "lab-share" / "grants.json"
    (work / "jupyterhub_config.py").write_text(hub_config(values, iam, hub_port, ports, work / "records", store))
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests" / "helpers"),
           "JUPYTERHUB_CRYPT_KEY": crypt_key or secrets.token_hex(32)}
    log = work / "hub.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", "jupyterhub_config.py"], cwd=work,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    hub = Hub(f"http://127.0.0.1:{hub_port}", proc, log, work / "records",
              f"http://127.0.0.1:{ports['lab-token']}/services/lab-token/")
    hub.share_url, hub.share_store = f"http://127.0.0.1:{ports['lab-share']}/services/lab-share/", store
    try:
        wait_for(lambda: proc.poll() is None and status_of(f"{hub.url}/hub/api/") == 200, "the hub")
        wait_for(lambda: status_of(hub.service_url + "token") == 401, "the lab-token service")
        wait_for(lambda: status_of(hub.share_url + "grants") == 401, "the lab-share service")
        if users:
            hub.api("POST", "/users", {"usernames": list(users)})
        for user in users:
            hub.api("POST", f"/users/{user}/server")
            wait_for(lambda user=user: hub.api("GET", f"/users/{user}")["servers"].get("", {}).get("ready"),
                     f"{user}'s server")
        yield hub
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        print(log.read_text()[-3000:])


def wait_for(check, what: str, timeout: float = 60):
    wait_until(check, what, timeout, interval=0.2)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def login(iam: Iam, user: str, lifetime: float) -> dict:
    """The auth state GenericOAuthenticator stores after a login."""
    access = jwt(user, lifetime)
    iam.issued.append(access)
    return {"access_token": access, "refresh_token": iam.login(user), "id_token": "id-" + secrets.token_hex(8),
            "token_response": {"expires_in": lifetime, "token_type": "Bearer"},
            "oauth_user": {"preferred_username": user}}
