"""The hub services fuzzed through a real JupyterHub (the plan's services, roles and extraConfig,
on loopback): whatever a client sends -- any method, path, query, header or body -- the answer is
below 500, is JSON, and a refused request (4xx) changes no grant and refreshes no token. No client
error leaves a traceback in the log. Bounded: LABFORGE_FUZZ_EXAMPLES requests per service
(default 150). Past tornado's own HTTP limits (1 MiB of body, 256 KiB of headers, 1,000 query
fields) tornado answers a bare 400 or closes the connection before any handler runs."""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.hub.pod.hub_service import MAX_BODY
from tests.helpers.token_loopback import Iam, running_hub

# Hypothesis warns that a 100 kB example is costly to print: that size is the point here.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
USERS = ("alice", "bob")
EXAMPLES = int(os.environ.get("LABFORGE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def iam():
    iam = Iam()
    yield iam
    iam.server.shutdown()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, iam):
    with running_hub(tmp_path_factory.mktemp("hub"), iam, USERS) as hub:
        yield hub


# What clients get wrong, and what attackers try: long, deep, odd and invalid values.
ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "..", "../..", "/etc", "results/run-7", "bob", "alice", "²", "٣", "1" * 5000,
                     "9" * 20, "-1", "60", "3601", "\ud800", "a" * 100_000, "{x}", "%ff", "\x00", " results "]),
)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ODD_TEXT,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ODD_TEXT, inner, max_size=4),
                           max_leaves=12)
GRANT = st.fixed_dictionaries({}, optional={"folder": JSON_VALUES | ODD_TEXT, "user": JSON_VALUES | ODD_TEXT,
                                            "read_only": JSON_VALUES})
BODIES = st.one_of(
    st.none(),
    GRANT.map(lambda body: json.dumps(body).encode("utf-8", "surrogatepass")),
    JSON_VALUES.map(lambda body: json.dumps(body).encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    st.integers(1000, 100_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1000, 100_000).map(lambda n: b'{"folder": ' * n + b"1" + b"}" * n),
    st.just(b'{"folder": "results", "user": "' + b"b" * 100_000 + b'"}'),
    st.just(b" " * (MAX_BODY + 1)),
)
METHODS = st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "PROPFIND", "HEAD"])
TOKENS = st.sampled_from(["server", "server", "none", "garbage", "long", "latin"])
QUERY_KEYS = st.sampled_from(["folder", "user", "min_valid", "token", "x"])


CLOSED = 0  # the service closed the connection on a body over MAX_BODY before it was all sent


def request(url: str, method: str, path: str, body: bytes | None, token: str | None) -> tuple[int, bytes]:
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = {"Authorization": f"token {token}"} if token is not None else {}
    oversized = body is not None and len(body) > MAX_BODY
    try:
        try:
            connection.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            if not oversized:
                raise
            # the service answered 413 and closed while we were still sending: read that answer
        try:
            response = connection.getresponse()
        except (ConnectionResetError, http.client.RemoteDisconnected):
            if not oversized:
                raise
            return CLOSED, b""
        return response.status, response.read()
    finally:
        connection.close()


def token_for(hub, kind: str) -> str | None:
    return {"server": hub.server_env("alice")["JUPYTERHUB_API_TOKEN"], "none": None, "garbage": "not-a-token",
            "long": "a" * 100_000, "latin": "t\u00e9st"}[kind]


def fuzz_paths(prefix: str, endpoint: str):
    odd = st.text(max_size=30).map(lambda text: prefix + urllib.parse.quote(text, safe="/"))
    return st.one_of(st.just(prefix + endpoint), st.just(prefix + endpoint), st.just(prefix),
                     st.just(prefix + endpoint + "/x"), odd, st.just("/"), st.just("/services/other/"))


def query_strings():
    pairs = st.lists(st.tuples(QUERY_KEYS, ODD_TEXT), max_size=3)
    raw = st.sampled_from(["?folder=%ff%fe", "?min_valid=%C2%B2", "?user=%00", "?" + "a=1&" * 500])
    return st.one_of(pairs.map(lambda items: "?" + urllib.parse.urlencode(
        [(k, v.encode("utf-8", "surrogatepass")) for k, v in items]) if items else ""), raw)


def check_answer(status: int, body: bytes, method: str) -> None:
    if status == CLOSED:  # an oversized body, refused by closing: nothing to read
        return
    assert status < 500, (status, body[:300])
    if method != "HEAD" and status != 204:
        answer = json.loads(body)
        assert isinstance(answer, dict), body[:300]
        if status >= 400:
            assert answer.get("message") or answer.get("error"), answer


def test_lab_share_answers_every_request_below_500_in_json(hub):
    base = urllib.parse.urlsplit(hub.share_url)
    prefix = base.path

    @FUZZ
    @given(method=METHODS, path=fuzz_paths(prefix, "grants"), query=query_strings(), body=BODIES, token=TOKENS)
    def run(method, path, query, body, token):
        before = hub.share_store.read_bytes() if hub.share_store.exists() else None
        status, answer = request(hub.share_url, method, path + query, body if method not in ("GET", "HEAD") else None,
                                 token_for(hub, token))
        check_answer(status, answer, method)
        if status >= 400:
            after = hub.share_store.read_bytes() if hub.share_store.exists() else None
            assert after == before, (method, path, query, body and body[:200])

    run()
    assert "Traceback" not in hub.log.read_text()


def test_lab_token_answers_every_request_below_500_in_json(hub, iam):
    from tests.helpers.token_loopback import login

    hub.set_auth_state("alice", login(iam, "alice", 300))
    prefix = urllib.parse.urlsplit(hub.service_url).path

    @FUZZ
    @given(method=METHODS, path=fuzz_paths(prefix, "token"), query=query_strings(), body=BODIES, token=TOKENS)
    def run(method, path, query, body, token):
        refreshes = iam.refreshes()
        status, answer = request(hub.service_url, method, path + query, body if method not in ("GET", "HEAD") else None,
                                 token_for(hub, token))
        check_answer(status, answer, method)
        if status >= 400:
            assert iam.refreshes() == refreshes

    run()
    assert "Traceback" not in hub.log.read_text()


# Each case of the hostile-input report, by name: (service, method, path after the prefix, body, status, error).
CASES = {
    "user name of 100,000 characters": ("share", "POST", "grants",
                                        json.dumps({"folder": "results", "user": "b" * 100_000}), 413, "too_large"),
    "user name of 1,000 bytes": ("share", "POST", "grants", json.dumps({"folder": "results", "user": "é" * 500}),
                                 400, "bad_request"),
    "JSON nested 100,000 deep": ("share", "POST", "grants", "[" * 100_000 + "]" * 100_000, 413, "too_large"),
    "JSON nested 100 deep": ("share", "POST", "grants", '{"folder": ' * 100 + "1" + "}" * 100, 400, "bad_request"),
    "folder that is not valid Unicode": ("share", "POST", "grants", '{"folder": "\\ud800", "user": "bob"}', 400,
                                         "bad_request"),
    "min_valid of 5,000 digits": ("token", "GET", "token?min_valid=" + "1" * 5000, None, 400, "bad_min_valid"),
    "min_valid with a superscript digit": ("token", "GET", "token?min_valid=%C2%B2", None, 400, "bad_min_valid"),
    "unknown path": ("share", "GET", "nothing/here", None, 404, "not_found"),
    "unknown method": ("token", "PATCH", "token", "{}", 405, "error"),
    "method on the about page": ("share", "POST", "", "{}", 405, "error"),
    "query not UTF-8": ("share", "DELETE", "grants?folder=%ff&user=bob", None, 400, "error"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_reported_client_mistake_is_a_json_4xx(hub, iam, case):
    service, method, path, body, status, error = CASES[case]
    url = hub.share_url if service == "share" else hub.service_url
    before = hub.share_store.read_bytes() if hub.share_store.exists() else None
    code, answer = request(url, method, urllib.parse.urlsplit(url).path + path,
                           body.encode("utf-8", "surrogatepass") if body is not None else None,
                           token_for(hub, "server"))
    assert (code, json.loads(answer)["error"]) == (status, error), answer[:300]
    assert (hub.share_store.read_bytes() if hub.share_store.exists() else None) == before


@pytest.mark.parametrize("service", ["lab-share", "lab-token"])
def test_a_30_mb_body_is_answered_with_a_json_413_not_a_dropped_connection(hub, service):
    """Reported: a 30 MB body got its connection dropped (behind the proxy: a 502). The service
    answers from the headers, before reading the body."""
    import socket

    url = hub.share_url + "grants" if service == "lab-share" else hub.service_url + "token"
    parsed = urllib.parse.urlsplit(url)
    token = hub.server_env("alice")["JUPYTERHUB_API_TOKEN"]
    with socket.create_connection((parsed.hostname, parsed.port), timeout=30) as sock:
        sock.sendall(f"POST {parsed.path} HTTP/1.1\r\nHost: {parsed.hostname}\r\nAuthorization: token {token}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {30 * 2**20}\r\n\r\n".encode())
        try:
            sock.sendall(b"x" * (256 * 1024))  # the client goes on sending; the answer is already there
        except OSError:
            pass
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:300]
    assert json.loads(body)["error"] == "too_large"
