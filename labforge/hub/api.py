"""The lab's JupyterHub, through its REST API (a service token from the environment): the one HTTP
client of `labforge hub usage` and `labforge hub check`, and the only code that holds the token.

What a hostile or broken server cannot make it do:
- send the token anywhere but the hub's own origin: a redirect to another origin is refused, the
  URL may carry no credentials, and a path is built only from ids checked against their grammar
  (each segment quoted);
- print or log the token: an error quotes the status and the server's reason, cleaned (controls
  removed, the token blotted out, 200 characters at most), never the request;
- hang: every request has a total deadline (a body trickled a byte at a time still ends), the
  command one too, and a listing whose `next` offset does not advance stops;
- crash: an answer of the wrong shape is one line, not an AttributeError.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from ..core.errors import LabforgeError, Problem
from ..core.text import plain

TOKEN_ENV = "LABFORGE_HUB_TOKEN"
PAGINATION = "application/jupyterhub-pagination+json"
USAGE_SCOPES = "list:users, read:users, read:servers, admin:server_state"
TOKEN = re.compile(r"[\x21-\x7e]{8,512}", re.ASCII)  # printable ASCII, no space: what goes into a header
MAX_BODY = 16 * 2**20
PAGE = 200


def hub_token() -> str:
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise LabforgeError(Problem(TOKEN_ENV, "is not set",
                                    f"export {TOKEN_ENV}=... (a hub service token with {USAGE_SCOPES})"))
    if not TOKEN.fullmatch(token):
        raise LabforgeError(Problem(TOKEN_ENV, "is not a token (it holds spaces, control characters or non-ASCII, "
                                    "or is too short or long)", "copy the token again, without its line end"))
    return token


def hub_url(value: str) -> str:
    """The hub's base URL, http(s) without credentials, query or fragment (never echoing a password)."""
    if not (value.isascii() and value.isprintable()) or len(value) > 2000:
        raise ValueError(f"{plain(value, 80)!r} is not the hub's URL: ASCII, one line (an IDN host in punycode) "
                         "-- write e.g. https://lab.example.org")
    parts = urllib.parse.urlsplit(value)
    if parts.username is not None or parts.password is not None:
        raise ValueError("holds credentials (user:password@): give the hub's URL alone; the token comes from "
                         f"{TOKEN_ENV}")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"{plain(value, 80)!r} is not the hub's URL -- write e.g. https://lab.example.org")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def segment(value, what: str, grammar: re.Pattern) -> str:
    """A path segment from data (a user name, a kernel id): checked, then quoted."""
    if not isinstance(value, str) or not grammar.fullmatch(value):
        raise LabforgeError(Problem("--hub", f"the hub gave a {what} that is not one: {plain(str(value), 60)!r}",
                                    "see the hub's log"))
    return urllib.parse.quote(value, safe="")


USER = re.compile(r"[^\x00-\x1f\x7f/\\?#%]{1,255}")  # JupyterHub's user names: no separators or controls
KERNEL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)


class SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the hub's own origin, at most three, within the request's
    deadline; anywhere else, stop (the token stays)."""

    max_redirections = 3

    def __init__(self, origin: tuple):
        self.origin = origin
        self.ends = float("inf")

    def http_error_302(self, req, fp, code, msg, headers):
        """urllib's, less the reading of the redirect's body (one trickled to stall us is dropped)."""
        location = headers.get("location")
        if location is None:
            return None  # urllib then raises the HTTPError
        new = self.redirect_request(req, fp, code, msg, headers, urllib.parse.urljoin(req.full_url, location))
        visited = new.redirect_dict = req.redirect_dict = getattr(req, "redirect_dict", {})
        if len(visited) >= self.max_redirections or visited.get(new.full_url, 0) >= 2:
            raise urllib.error.HTTPError(req.full_url, code, "too many redirects", headers, None)
        visited[new.full_url] = visited.get(new.full_url, 0) + 1
        fp.close()
        return self.parent.open(new, timeout=max(0.01, self.ends - time.monotonic()))

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if time.monotonic() > self.ends:
            raise socket.timeout("redirects past the request's deadline")
        target = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl))
        if (target.scheme, target.hostname, target.port or _port(target.scheme)) != self.origin:
            raise LabforgeError(Problem("--hub", f"the hub redirected to another origin "
                                        f"({plain(target.scheme, 10)}://{plain(target.hostname or '', 80)}): "
                                        "the token is not sent there", "give the hub's own URL"))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


class Hub:
    def __init__(self, url: str, token: str, timeout: float = 30, scopes: str = USAGE_SCOPES,
                 deadline: float | None = None):
        self.url, self.token, self.timeout, self.scopes = hub_url(url), token, timeout, scopes
        parts = urllib.parse.urlsplit(self.url)
        self.origin = (parts.scheme, parts.hostname, parts.port or _port(parts.scheme))
        self.redirects = SameOrigin(self.origin)
        self.opener = urllib.request.build_opener(self.redirects)
        self.deadline = time.monotonic() + deadline if deadline else None

    def call(self, method: str, path: str, body=None, params: dict | None = None, accept: str = "application/json",
             missing_ok: bool = False):
        """The hub API's JSON answer (None for none, or for 404 when `missing_ok`)."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            return self.fetch(method, f"{self.url}/hub/api{path}{query}", body, accept)
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return None
            if exc.code in (401, 403):
                raise LabforgeError(Problem("--hub", f"{self.url} refused the token (HTTP {exc.code})",
                                            f"give {TOKEN_ENV} a service token with {self.scopes}")) from None
            raise LabforgeError(Problem("--hub", f"{self.url} answered HTTP {exc.code} to {method} {path.split('?')[0]}"
                                        f": {self.reason(exc)}", "see the hub's log")) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise LabforgeError(Problem("--hub", f"cannot reach {self.url}: {self.cleaned(getattr(exc, 'reason', exc))}",
                                        "check the URL (https://lab.example.org) and that the hub is up")) from None

    def fetch(self, method: str, url: str, body=None, accept: str = "application/json"):
        """JSON from a URL of the hub's origin (its API, or a user's server through its proxy) with
        this token, read whole within the request's deadline; urllib's errors are the caller's."""
        target = urllib.parse.urlsplit(url)
        if (target.scheme, target.hostname, target.port or _port(target.scheme)) != self.origin:
            raise LabforgeError(Problem("--hub", "a URL outside the hub's origin was asked for: not sent"))
        budget = self.timeout if self.deadline is None else min(self.timeout, self.deadline - time.monotonic())
        if budget <= 0:
            raise LabforgeError(Problem("--hub", f"{self.url} took longer than the command may: stopped",
                                        "try again, or check the hub's load"))
        ends = time.monotonic() + budget
        self.redirects.ends = ends
        request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"token {self.token}", "Accept": accept,
                                                  "Content-Type": "application/json"})
        self.ends = ends
        with self.opener.open(request, timeout=budget) as response:
            data = read_bounded(response, ends, MAX_BODY)
            try:
                return json.loads(data or b"null")
            except ValueError:
                raise ValueError("an answer that is not JSON") from None

    def cleaned(self, text) -> str:
        """Something a server said, fit to print: no controls or markup, never the token."""
        return plain(str(text).replace(self.token, "[token]"), 200)

    def reason(self, error: urllib.error.HTTPError) -> str:
        try:
            answer = json.loads(read_bounded(error, getattr(self, "ends", time.monotonic() + 5), 65536) or b"{}")
            message = answer.get("message", "") if isinstance(answer, dict) else ""
        except (ValueError, OSError):
            message = ""
        return self.cleaned(message or error.reason or "")

    def users(self) -> list[dict]:
        """Every user with every server, stopped ones included, page by page (an offset that does
        not advance, or a page of the wrong shape, is one line)."""
        users, offset = [], 0
        while True:
            page = self.call("GET", "/users", params={"include_stopped_servers": "1", "offset": offset,
                                                      "limit": PAGE}, accept=PAGINATION)
            items = page.get("items") if isinstance(page, dict) else page
            if not isinstance(items, list) or not all(_user_shaped(u) for u in items):
                raise LabforgeError(Problem("--hub", f"{self.url} answered /users with something that is not a "
                                            "list of users", "is it a JupyterHub 5? see its log"))
            users += items
            paging = page.get("_pagination") if isinstance(page, dict) else None
            if paging is not None and not isinstance(paging, dict):
                raise LabforgeError(Problem("--hub", f"{self.url}'s user listing has pagination of the wrong shape",
                                            "see the hub's log"))
            following = (paging or {}).get("next")
            if not following or not items:
                return users
            step = following.get("offset") if isinstance(following, dict) else None
            if not isinstance(step, int) or isinstance(step, bool) or step <= offset:
                raise LabforgeError(Problem("--hub", f"{self.url}'s user listing does not advance (next offset "
                                            f"{plain(str(step), 20)} after {offset}): stopped", "see the hub's log"))
            offset = step


def _user_shaped(user) -> bool:
    return (isinstance(user, dict) and isinstance(user.get("name"), str)
            and isinstance(user.get("servers", {}), dict)
            and all(isinstance(s, dict) for s in user.get("servers", {}).values()))


def read_bounded(response, ends: float, limit: int) -> bytes:
    """The body, read until the deadline `ends` at most (a body trickled a byte at a time ends
    then) and `limit` bytes at most."""
    data = bytearray()
    while True:
        _deadline_on_socket(response, ends)
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > limit:
            raise ValueError(f"an answer over {limit} bytes")
        if time.monotonic() > ends:
            raise socket.timeout("the answer took longer than the request may")


def _deadline_on_socket(response, ends: float) -> None:
    """Each read waits at most until the request's deadline."""
    fp = getattr(response, "fp", None)
    fp = getattr(fp, "fp", fp)  # an HTTPError wraps the response
    sock = getattr(getattr(fp, "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(0.01, ends - time.monotonic()))
