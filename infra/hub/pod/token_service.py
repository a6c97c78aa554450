"""lab-token: the calling user's current IAM access token, for their notebooks.

The service half, run by the hub; its client is `lab-token` / `from lab_token import
access_token` in every image (lab-image/files/lab_token.py).

A JupyterHub service run by the hub (hub.services.lab-token). A notebook server asks
GET <prefix>token with its own hub API token; the service asks the hub who that token belongs
to, reads that user's auth state (the tokens the IAM gave at login), and returns the access
token, first refreshing it with the refresh token when it has less than `min_valid` seconds
left. There is no way to name another user: the answer is always the caller's own token.

The hub's REST API cannot store a refreshed auth state without admin:users, so refreshed
tokens are kept here, in memory, for as long as the hub still holds the login they came from.

Shipped verbatim into the hub pod (hub.extraFiles) with hub_service.py, so it uses only the
standard library, tornado and jupyterhub. It never logs a token.
"""

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import time
from urllib.parse import urlencode

from jupyterhub.services.auth import HubAuth
from tornado import httpclient, web

if __package__:  # infra.hub.pod.token_service, in the repository
    from .hub_service import ClientError, JsonHandler, ServiceHandler, application, json_or_empty, serve
else:  # the hub pod: hub_service.py is shipped next to this file
    from hub_service import ClientError, JsonHandler, ServiceHandler, application, json_or_empty, serve

log = logging.getLogger("lab-token")
DEFAULT_MIN_VALID = 60
MAX_MIN_VALID = 3600


class LoginRequired(Exception):
    """The user must log in again: no stored login, or the IAM refused to refresh it."""


class IamUnavailable(Exception):
    """The IAM could not be asked (down, or an answer that is not a token)."""


def token_expiry(token, fallback=None):
    """Expiry (epoch seconds) of a JWT access token, read from its `exp` claim without checking
    the signature (the IAM checks it; we only decide when to refresh); else `fallback`."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return fallback


def origin_of(auth_state):
    """Which login a token set came from: a digest of the refresh token the hub stored."""
    refresh = (auth_state or {}).get("refresh_token") or ""
    return hashlib.sha256(refresh.encode()).hexdigest()


class TokenKeeper:
    """The newest token set per user, refreshed at the IAM's token endpoint when needed."""

    def __init__(self, token_url, client_id, client_secret, http=None, now=time.time):
        self.token_url, self.client_id, self.client_secret = token_url, client_id, client_secret
        self.http = http or httpclient.AsyncHTTPClient()
        self.now = now
        self.refreshed = {}  # user -> {"origin", "access_token", "refresh_token", "expires_at"}
        self.locks = {}

    async def current(self, user, auth_state, min_valid):
        if not auth_state or not auth_state.get("access_token"):
            raise LoginRequired("no IAM login is stored for you (the hub keeps none, or it was cleared)")
        # One refresh at a time per user: two notebooks asking together get the same new token.
        async with self.locks.setdefault(user, asyncio.Lock()):
            tokens = self._newest(user, auth_state)
            if tokens["expires_at"] - self.now() >= min_valid:
                return tokens
            if not tokens.get("refresh_token"):
                raise LoginRequired("your access token expired and the IAM gave no refresh token")
            fresh = await self._refresh(tokens["refresh_token"])
            fresh["origin"] = origin_of(auth_state)
            self.refreshed[user] = fresh
            log.info("refreshed the access token of %s (valid %d s)", user, fresh["expires_at"] - self.now())
            return fresh

    def _newest(self, user, auth_state):
        stored = {"access_token": auth_state["access_token"], "refresh_token": auth_state.get("refresh_token"),
                  "expires_at": self._expiry(auth_state)}
        kept = self.refreshed.get(user)
        if kept and kept["origin"] == origin_of(auth_state) and kept["expires_at"] > stored["expires_at"]:
            return kept
        if kept and kept["origin"] != origin_of(auth_state):
            del self.refreshed[user]  # the user logged in again: the hub's tokens are newer
        return stored

    def _expiry(self, auth_state):
        response = auth_state.get("token_response") or {}
        fallback = response.get("expires_at")
        expiry = token_expiry(auth_state["access_token"], fallback)
        return float(expiry) if expiry is not None else 0.0  # unknown: treat as expired

    async def _refresh(self, refresh_token):
        body = urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token,
                          "client_id": self.client_id, "client_secret": self.client_secret})
        try:
            response = await self.http.fetch(self.token_url, method="POST", body=body, raise_error=False,
                                             headers={"Content-Type": "application/x-www-form-urlencoded",
                                                      "Accept": "application/json"})
        except OSError as exc:
            raise IamUnavailable(f"the IAM token endpoint is unreachable ({exc.__class__.__name__})") from None
        answer = json_or_empty(response.body)
        if response.code in (400, 401) and answer.get("error") in ("invalid_grant", "invalid_token"):
            reason = answer.get("error_description") or answer["error"]
            raise LoginRequired(f"the IAM refused to refresh your login ({reason})")
        if response.code != 200 or not answer.get("access_token"):
            raise IamUnavailable(f"the IAM token endpoint answered HTTP {response.code} "
                                 f"({answer.get('error', 'no token in the answer')})")
        issued = self.now()
        expires_in = answer.get("expires_in")
        fallback = issued + float(expires_in) if isinstance(expires_in, (int, float)) else issued
        return {"access_token": answer["access_token"],
                "refresh_token": answer.get("refresh_token") or refresh_token,
                "expires_at": token_expiry(answer["access_token"], fallback)}


class TokenHandler(ServiceHandler):
    """GET <prefix>token[?min_valid=SECONDS] -> {"access_token", "expires_at", "token_type"}."""

    service = "lab-token"

    def initialize(self, hub_auth, keeper, login_url):
        self.hub_auth, self.keeper, self.login_url = hub_auth, keeper, login_url

    async def get(self):
        caller = await self.caller()
        if caller is None:
            return
        min_valid = self._min_valid()
        state = await self._auth_state(caller["name"])
        try:
            tokens = await self.keeper.current(caller["name"], state, min_valid)
        except LoginRequired as exc:
            log.info("no token for %s: %s", caller["name"], exc)
            return self.fail(401, "login_required", f"{exc}. Log out of the Lab and log in again: {self.login_url}")
        except IamUnavailable as exc:
            log.warning("no token for %s: %s", caller["name"], exc)
            return self.fail(502, "iam_unavailable", f"{exc}; try again in a minute")
        self.finish({"access_token": tokens["access_token"], "expires_at": int(tokens["expires_at"]),
                     "token_type": "Bearer"})

    def _min_valid(self):
        raw = self.get_argument("min_valid", str(DEFAULT_MIN_VALID))
        # ASCII digits only, few of them: str.isdigit() takes "²", and int() refuses 5,000 digits.
        if not re.fullmatch(r"[0-9]{1,5}", raw) or int(raw) > MAX_MIN_VALID:
            raise ClientError(400, "bad_min_valid", f"min_valid is a number of seconds from 0 to {MAX_MIN_VALID}")
        return int(raw)

    async def _auth_state(self, name):
        user = await self.hub_user(name)
        if user is None:
            raise web.HTTPError(502, "the hub no longer knows this user")
        return user.get("auth_state")


class AboutHandler(JsonHandler):
    """The service's own URL: what it offers (also what the hub's health check gets)."""

    def get(self):
        self.finish({"service": "lab-token", "get": self.request.path.rstrip("/") + "/token",
                     "header": "Authorization: token $JUPYTERHUB_API_TOKEN"})


def make_app(keeper, hub_auth, login_url):
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/lab-token/").rstrip("/")
    return application(prefix, [("/token", TokenHandler,
                                 {"hub_auth": hub_auth, "keeper": keeper, "login_url": login_url})], AboutHandler)


def main():
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(asctime)s lab-token] %(message)s")
    env = os.environ
    keeper = TokenKeeper(env["LAB_TOKEN_IAM_TOKEN_URL"], env["LAB_TOKEN_CLIENT_ID"], env["LAB_TOKEN_CLIENT_SECRET"])
    app = make_app(keeper, HubAuth(), env.get("LAB_LOGIN_URL", "/hub/login"))
    serve(app, "LAB_TOKEN_BIND")


if __name__ == "__main__":
    main()
