"""The lab's JupyterHub, through its REST API (a service token from the environment): the client
that `labforge hub usage` and `labforge hub check` share."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

from ..core.errors import LabforgeError, Problem

TOKEN_ENV = "LABFORGE_HUB_TOKEN"
PAGINATION = "application/jupyterhub-pagination+json"
USAGE_SCOPES = "list:users, read:users, read:servers, admin:server_state"


def hub_token() -> str:
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise LabforgeError(Problem(TOKEN_ENV, "is not set",
                                    f"export {TOKEN_ENV}=... (a hub service token with {USAGE_SCOPES})"))
    return token


class Hub:
    def __init__(self, url: str, token: str, timeout: float = 30, scopes: str = USAGE_SCOPES):
        self.url, self.token, self.timeout, self.scopes = url.rstrip("/"), token, timeout, scopes

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
            raise LabforgeError(Problem("--hub", f"{self.url} answered HTTP {exc.code} to {method} {path}: "
                                        f"{_message(exc)}", "see the hub's log")) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LabforgeError(Problem("--hub", f"cannot reach {self.url}: {reason}",
                                        "check the URL (https://lab.example.org) and that the hub is up")) from None

    def fetch(self, method: str, url: str, body=None, accept: str = "application/json"):
        """JSON from any URL behind the hub (its API, or a user's server through its proxy) with
        this token; urllib's errors are the caller's to word."""
        request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"token {self.token}", "Accept": accept,
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read() or b"null")

    def users(self) -> list[dict]:
        """Every user with every server, stopped ones included, page by page."""
        users, offset = [], 0
        while True:
            page = self.call("GET", "/users", params={"include_stopped_servers": "1", "offset": offset,
                                                      "limit": 200}, accept=PAGINATION)
            items = page.get("items", []) if isinstance(page, dict) else page
            users += items
            following = (page.get("_pagination") or {}).get("next") if isinstance(page, dict) else None
            if not following or not items:
                return users
            offset = following["offset"]


def _message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read() or b"{}").get("message", ""))[:200]
    except (ValueError, OSError, AttributeError):
        return ""
