"""The hub client against a hub that lies (tests/helpers/hostile_hub.py): each case reported
against `hub usage` and `hub check` by name, then hypothesis over shapes, statuses, redirects and
slow bodies. Whatever the server does: one line, the token never sent elsewhere nor printed, a
bounded time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labforge.core.errors import LabforgeError
from labforge.hub.api import Hub, hub_url
from labforge.hub.check import run_probe
from tests.helpers.hostile_hub import Answer, hostile_hub
from tests.helpers.project import REPO

TOKEN = "s3cr3t-hub-token-4f9a1c"
USER = {"name": "ada", "servers": {}}


def page(items, following=None) -> Answer:
    return Answer(body=json.dumps({"items": items, "_pagination": {"next": following}}).encode())


def usage(url: str, token: str = TOKEN, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LABFORGE_HUB_TOKEN": token, "LABFORGE_PROJECT": str(REPO), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "labforge", "hub", "usage", "--hub", url, *args], env=env,
                          capture_output=True, text=True, timeout=120)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[1] == "1 problem found", result.stderr
    return lines[0]


def test_a_redirect_to_another_origin_never_gets_the_token():
    with hostile_hub(lambda method, path: Answer(body=json.dumps([USER]).encode())) as elsewhere, \
            hostile_hub(lambda method, path: Answer(302, b"", {"Location": f"{elsewhere.url}/hub/api/users"})) as hub:
        line = one_line(usage(hub.url))
        assert "redirected to another origin" in line and elsewhere.seen == []
        assert [s.authorization for s in hub.seen] == [f"token {TOKEN}"]


def test_a_server_error_that_repeats_the_request_does_not_print_the_token():
    echo = json.dumps({"message": f"bad request: Authorization: token {TOKEN}\x1b[31m"}).encode()
    with hostile_hub(lambda method, path: Answer(500, echo)) as hub:
        line = one_line(usage(hub.url))
        assert "HTTP 500" in line and "[token]" in line and "\x1b" not in line


@pytest.mark.parametrize("token, said", [(TOKEN + "\r", "is not a token"), ("abc", "is not a token"),
                                         ("tok en with spaces", "is not a token")])
def test_a_token_that_cannot_be_a_header_is_refused_without_echoing_it(token, said):
    with hostile_hub(lambda method, path: Answer(body=b"[]")) as hub:
        result = usage(hub.url, token)
        line = one_line(result)
        assert said in line and token.strip() not in result.stderr and hub.seen == []


def test_credentials_in_the_hub_url_are_refused_without_echoing_them():
    result = usage("https://ops:hunter2-password@lab.example.org")
    assert "holds credentials" in one_line(result) and "hunter2" not in result.stderr


def test_a_next_offset_that_does_not_advance_stops():
    with hostile_hub(lambda method, path: page([USER], {"offset": 0, "limit": 200})) as hub:
        started = time.monotonic()
        assert "does not advance" in one_line(usage(hub.url))
        assert len(hub.seen) == 1 and time.monotonic() - started < 30


def test_a_body_trickled_a_byte_at_a_time_ends_at_the_deadline():
    with hostile_hub(lambda method, path: Answer(body=json.dumps([USER] * 50).encode(), trickle=0.2)) as hub:
        client = Hub(hub.url, TOKEN, timeout=2)
        started = time.monotonic()
        with pytest.raises(LabforgeError, match="cannot reach") as info:
            client.users()
        assert time.monotonic() - started < 6 and TOKEN not in str(info.value)


@pytest.mark.parametrize("body", [b'{"items": "ada"}', b"[1, 2]", b'[{"name": 7}]', b'[{"name": "a", "servers": []}]',
                                  b'{"items": [], "_pagination": "x"}', b"not json", b'"a string"'])
def test_answers_of_the_wrong_shape_are_one_line(body):
    with hostile_hub(lambda method, path: Answer(body=body)) as hub:
        line = one_line(usage(hub.url))
        assert any(said in line for said in ("not a list of users", "not JSON", "cannot reach", "wrong shape"))


def test_names_with_markup_and_escape_sequences_are_shown_as_text():
    users = [{"name": "ada[/b]", "servers": {"": {"ready": True, "state": {"labforge_release": "2026.11[bold]",
                                                                            "labforge_image": "x@sha256:ab"}}}},
             {"name": "eve\x1b]0;owned\x07\x1b[2J", "servers": {"": {"ready": True, "state": {}}}}]
    with hostile_hub(lambda method, path: page(users)) as hub:
        result = usage(hub.url)
    assert result.returncode == 0, result.stderr
    assert "ada[/b]" in result.stdout and "2026.11[bold]" in result.stdout and "\x1b" not in result.stdout


def test_hub_check_never_builds_a_path_from_a_kernel_id_it_was_given(tmp_path):
    def respond(method, path):
        if path.endswith("/api/kernels") and method == "POST":
            return Answer(201, json.dumps({"id": "../../../../hub/api/users/alice"}).encode())
        return Answer(body=b"{}")

    with hostile_hub(respond) as hub:
        from labforge.hub.check import CheckFailed

        with pytest.raises(CheckFailed, match="no kernel id"):
            run_probe(Hub(hub.url, TOKEN, timeout=5), "labforge-check", "lab-2026.11", 5)
        assert [s.path for s in hub.seen] == ["/user/labforge-check/api/kernels"]


def test_the_hub_url_grammar():
    assert hub_url("https://lab.example.org/") == "https://lab.example.org"
    for bad in ("ftp://lab", "https://lab.example.org/?next=x", "https://a:b@lab", "lab.example.org"):
        with pytest.raises(ValueError):
            hub_url(bad)


ANSWERS = st.one_of(
    st.builds(Answer, status=st.sampled_from([200, 201, 204, 301, 302, 307, 400, 401, 403, 404, 500, 502, 503]),
              body=st.one_of(st.binary(max_size=200), st.recursive(
                  st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                  lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                  max_leaves=12).map(lambda v: json.dumps(v).encode())),
              headers=st.sampled_from([{"Content-Type": "application/json"},
                                       {"Location": "http://127.0.0.1:9/elsewhere"}, {"Location": "/hub/api/users"}]),
              trickle=st.sampled_from([0.0, 0.0, 0.05]))
)


@settings(max_examples=int(os.environ.get("LABFORGE_FUZZ_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(answers=st.lists(ANSWERS, min_size=1, max_size=4))
def test_whatever_the_server_answers_the_client_says_one_thing_in_bounded_time(answers):
    queue = list(answers)
    with hostile_hub(lambda method, path: queue.pop(0) if len(queue) > 1 else queue[0]) as hub:
        client = Hub(hub.url, TOKEN, timeout=1.5, deadline=8)
        started = time.monotonic()
        try:
            users = client.users()
            assert isinstance(users, list)
        except LabforgeError as exc:
            assert TOKEN not in str(exc) and "\x1b" not in str(exc)
        assert time.monotonic() - started < 12
        assert all(s.authorization == f"token {TOKEN}" for s in hub.seen)  # only ever to the hub itself
