"""The lab-token service against a real JupyterHub (5.5, the chart's) and a small OIDC token
endpoint, all on loopback; notebooks are played by the real `lab-token` helper run with the
environment the hub gave each user's server.

The hub runs with the services, roles and extraConfig that the plan gives the chart (only the
addresses are moved to loopback), so these tests also check that those scopes are enough."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from infra.hub.pod import token_service
from labforge.loopback.registry import free_port
from tests.helpers.project import REPO
from tests.helpers.token_loopback import (
    ADMIN_TOKEN,
    CLIENT_SECRET,
    Hub,
    Iam,
    jwt,
    login,
    running_hub,
    status_of,
    wait_for,
)

HELPER = REPO / "images" / "notebook" / "files" / "lab_token.py"


USERS = ("alice", "bob", "carol", "dave", "erin")


@pytest.fixture(scope="module")
def iam():
    iam = Iam()
    yield iam
    iam.server.shutdown()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, iam):
    with running_hub(tmp_path_factory.mktemp("hub"), iam, USERS) as hub:
        yield hub


def lab_token(hub: Hub, user: str, *args: str) -> subprocess.CompletedProcess:
    """The notebook's side: the image's helper, with that user's server environment."""
    env = {**hub.server_env(user), "PATH": os.environ["PATH"]}
    return subprocess.run([sys.executable, str(HELPER), "--json", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def ask(hub: Hub, token: str | None, query: str = "") -> tuple[int, dict]:
    headers = {"Authorization": f"token {token}"} if token else {}
    request = urllib.request.Request(hub.service_url + "token" + query, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_fresh_token_is_handed_over_without_asking_the_iam(hub, iam):
    state = login(iam, "alice", 3600)
    hub.set_auth_state("alice", state)
    before = iam.refreshes()
    result = lab_token(hub, "alice")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["access_token"] == state["access_token"] and answer["token_type"] == "Bearer"
    assert answer["expires_at"] == token_service.token_expiry(state["access_token"])
    assert iam.refreshes() == before


def test_expired_token_is_refreshed_once_then_kept(hub, iam):
    hub.set_auth_state("bob", login(iam, "bob", -60))
    before = iam.refreshes()
    first = json.loads(lab_token(hub, "bob").stdout)
    assert first["access_token"] == iam.issued[-1]  # the access token the IAM just issued
    assert first["expires_at"] > time.time() + 200
    assert iam.refreshes() == before + 1
    assert iam.calls[-1]["client_id"] == "lab-hub" and iam.calls[-1]["client_secret"] == CLIENT_SECRET
    again = json.loads(lab_token(hub, "bob").stdout)
    assert again == first and iam.refreshes() == before + 1
    # asking for more validity than is left refreshes again, with the rotated refresh token
    longer = json.loads(lab_token(hub, "bob", "--min-valid", "600").stdout)
    assert longer["access_token"] != first["access_token"] and iam.refreshes() == before + 2


def test_two_notebooks_asking_together_cause_one_refresh(hub, iam):
    hub.set_auth_state("bob", login(iam, "bob", -60))
    before = iam.refreshes()
    token = hub.server_env("bob")["JUPYTERHUB_API_TOKEN"]
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(ask(hub, token))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [code for code, _ in answers] == [200] * 4
    assert len({body["access_token"] for _, body in answers}) == 1 and iam.refreshes() == before + 1


def test_opaque_tokens_use_the_stored_expiry():
    assert token_service.token_expiry("not-a-jwt", 123.0) == 123.0
    assert token_service.token_expiry(jwt("x", 100)) > time.time() + 90


def test_a_new_login_wins_over_tokens_refreshed_earlier(hub, iam):
    hub.set_auth_state("bob", login(iam, "bob", -60))
    refreshed = json.loads(lab_token(hub, "bob").stdout)["access_token"]
    relogin = login(iam, "bob", 3600)
    hub.set_auth_state("bob", relogin)
    assert json.loads(lab_token(hub, "bob").stdout)["access_token"] == relogin["access_token"] != refreshed


def test_revoked_session_says_log_in_again(hub, iam):
    state = login(iam, "carol", -60)
    iam.refresh_tokens.pop(state["refresh_token"])  # the IAM ended the session
    hub.set_auth_state("carol", state)
    result = lab_token(hub, "carol")
    assert result.returncode == 1 and result.stdout == ""
    assert "HTTP 401" in result.stderr and "Session not active" in result.stderr
    assert "log in again: https://lab.example.org/hub/login" in result.stderr
    code, body = ask(hub, hub.server_env("carol")["JUPYTERHUB_API_TOKEN"])
    assert (code, body["error"]) == (401, "login_required")


def test_no_auth_state_says_log_in_again(hub):
    code, body = ask(hub, hub.server_env("dave")["JUPYTERHUB_API_TOKEN"])
    assert code == 401 and body["error"] == "login_required"
    assert "no IAM login is stored" in body["message"] and "log in again" in body["message"]


def test_iam_down_is_a_retryable_error(hub, iam):
    hub.set_auth_state("erin", login(iam, "erin", -60))
    iam.down = True
    try:
        code, body = ask(hub, hub.server_env("erin")["JUPYTERHUB_API_TOKEN"])
    finally:
        iam.down = False
    assert code == 502 and body["error"] == "iam_unavailable" and "HTTP 503" in body["message"]
    assert ask(hub, hub.server_env("erin")["JUPYTERHUB_API_TOKEN"])[0] == 200  # back: refreshed now


def test_each_server_gets_only_its_own_users_token(hub, iam):
    alice_state, erin_state = login(iam, "alice", 3600), login(iam, "erin", 3600)
    hub.set_auth_state("alice", alice_state)
    hub.set_auth_state("erin", erin_state)
    for user, state in (("alice", alice_state), ("erin", erin_state)):
        code, body = ask(hub, hub.server_env(user)["JUPYTERHUB_API_TOKEN"])
        assert code == 200 and body["access_token"] == state["access_token"]
    # there is no way to name another user: a query naming alice still answers erin
    code, body = ask(hub, hub.server_env("erin")["JUPYTERHUB_API_TOKEN"], "?user=alice")
    assert body["access_token"] == erin_state["access_token"]


def test_callers_without_access_are_refused(hub):
    assert ask(hub, None)[0] == 401
    assert ask(hub, "not-a-token")[0] == 401
    assert ask(hub, ADMIN_TOKEN)[0] == 403  # a service, even a powerful one, is no user
    narrow = hub.api("POST", "/users/alice/tokens", {"scopes": ["read:users:name!user=alice"], "note": "test"})
    assert ask(hub, narrow["token"])[0] == 403  # a token of alice's without access to the service
    full = hub.api("POST", "/users/alice/tokens", {"note": "the user's own token"})
    assert ask(hub, full["token"])[0] == 200  # the user, not through a server
    # a token in the URL is ignored (it would be logged)
    token = hub.server_env("alice")["JUPYTERHUB_API_TOKEN"]
    assert ask(hub, None, f"?token={token}")[0] == 401


def test_the_service_url_says_what_it_offers(hub):
    with urllib.request.urlopen(hub.service_url, timeout=10) as response:
        assert json.load(response)["get"] == "/services/lab-token/token"


def test_bad_min_valid_is_refused(hub):
    token = hub.server_env("alice")["JUPYTERHUB_API_TOKEN"]
    for query in ("?min_valid=-5", "?min_valid=abc", "?min_valid=99999"):
        assert ask(hub, token, query)[0] == 400


def test_helper_outside_a_lab_server_explains():
    result = subprocess.run([sys.executable, str(HELPER)], env={"PATH": os.environ["PATH"]},
                            capture_output=True, text=True)
    assert result.returncode == 1 and "LAB_TOKEN_URL" in result.stderr and "Traceback" not in result.stderr


def test_no_token_ever_reaches_the_logs(hub, iam):
    """Last: every IAM token issued above, and every hub token, is absent from the hub's and the
    service's output."""
    text = hub.log.read_text()
    assert "lab-token" in text and "refreshed the access token of bob" in text
    server_tokens = [hub.server_env(u)["JUPYTERHUB_API_TOKEN"] for u in USERS]
    leaked = [t for t in iam.issued + server_tokens + [CLIENT_SECRET] if t in text]
    assert leaked == []


def test_hub_down_is_a_json_error_not_a_page(tmp_path):
    """The service alone, its hub gone: the caller gets JSON saying so, and the service lives on."""
    port, dead = free_port(), free_port()
    env = {**os.environ, "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}",
           "JUPYTERHUB_SERVICE_PREFIX": "/services/lab-token/", "JUPYTERHUB_SERVICE_NAME": "lab-token",
           "JUPYTERHUB_API_URL": f"http://127.0.0.1:{dead}/hub/api", "JUPYTERHUB_API_TOKEN": "service-token",
           "LAB_TOKEN_IAM_TOKEN_URL": f"http://127.0.0.1:{dead}/token", "LAB_TOKEN_CLIENT_ID": "lab-hub",
           "LAB_TOKEN_CLIENT_SECRET": CLIENT_SECRET, "LAB_TOKEN_BIND": "127.0.0.1"}
    proc = subprocess.Popen([sys.executable, str(REPO / "infra" / "hub" / "pod" / "token_service.py")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/services/lab-token/token"
        wait_for(lambda: status_of(url) == 401, "the service")
        request = urllib.request.Request(url, headers={"Authorization": "token some-server-token"})
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(request, timeout=30)
        body = json.load(failure.value)
        assert failure.value.code == 502 and body["error"] == "hub_unavailable"
        assert "try again" in body["message"]
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
