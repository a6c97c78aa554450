"""What the lab's hub services (lab-token, lab-share) share: who is calling, JSON errors, the
hub's user record, a log without query strings, and serving on the hub's service port.

Shipped next to them into the hub pod (hub.extraFiles, /usr/local/share/labforge), where they
import it as `hub_service`; uses only the standard library, tornado and jupyterhub.
"""

import json
import logging
import os
import re
from urllib.parse import quote, urlparse

from tornado import httpclient, ioloop, web

log = logging.getLogger("lab-service")
# What a client may send: a client's mistake is a 4xx with a JSON reason, never a 5xx.
MAX_BODY = 16 * 1024  # bytes of a request body (a grant is under 1 KiB)
MAX_DEPTH = 8  # nesting of a JSON body
MAX_NAME = 255  # bytes of a user name (JupyterHub's own limit) or of one text field
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,255}")  # what JupyterHub's API tokens look like


class ClientError(Exception):
    """A request the service refuses: status, error code and the reason shown to the caller."""

    def __init__(self, status, error, message):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def text_field(value, what, max_bytes=MAX_NAME):
    """`value` as a non-empty string of valid Unicode of at most `max_bytes` UTF-8 bytes."""
    if not isinstance(value, str) or not value:
        raise ClientError(400, "bad_request", f"{what} must be a non-empty string")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate (JSON "\ud800"): no file system can hold it
        raise ClientError(400, "bad_request", f"{what} is not valid Unicode") from None
    if size > max_bytes:
        raise ClientError(400, "bad_request", f"{what} is longer than {max_bytes} bytes")
    return value


def json_depth(body):
    """The deepest nesting of brackets in a JSON text, strings skipped, without parsing it (a
    parser recurses once per level and would fail on 100,000 of them)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in body:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class JsonHandler(web.RequestHandler):
    """Every answer of a service is JSON, errors included; no traceback ever reaches a client."""

    def set_default_headers(self):
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")

    def fail(self, status, error, message):
        self.set_status(status)
        self.finish({"error": error, "message": message})

    def write_error(self, status_code, **kwargs):
        reason = getattr(kwargs.get("exc_info", (None, None))[1], "log_message", None) or self._reason
        self.finish({"error": "not_found" if status_code == 404 else "error", "message": reason})

    def _handle_request_exception(self, exc):
        if isinstance(exc, ClientError):  # a client's mistake: answered, logged by the access log only
            if not self._finished:
                self.fail(exc.status, exc.error, exc.message)
            return
        super()._handle_request_exception(exc)


class NotFound(JsonHandler):
    """Every path no handler serves, with any method: a JSON 404."""

    def prepare(self):
        raise web.HTTPError(404, "no such endpoint: see the service's own URL for what it offers")


@web.stream_request_body
class ServiceHandler(JsonHandler):
    """A JSON endpoint of the service `service` that a user's notebook server calls with its own
    hub API token. The body is taken as it streams in: a Content-Length over MAX_BODY is answered
    with a JSON 413 before a byte of it is read (never a dropped connection), a body that runs
    over without one is cut at MAX_BODY."""

    service = "lab-service"

    def prepare(self):
        length = self.request.headers.get("Content-Length", "")
        if length and not (length.isascii() and length.isdigit() and len(length) <= 12):
            raise ClientError(400, "bad_request", "the Content-Length is not a number")
        if length and int(length) > MAX_BODY:
            self.too_large()
        self.request.body = b""

    def data_received(self, chunk):
        if self._finished:
            return
        if len(self.request.body) + len(chunk) > MAX_BODY:
            self.too_large()
        self.request.body += chunk

    def too_large(self):
        self.set_header("Connection", "close")  # the rest of the body is not read
        raise ClientError(413, "too_large", f"the request body is larger than {MAX_BODY} bytes")

    def json_body(self):
        """The request body as a JSON object, or ClientError."""
        try:
            text = (self.request.body or b"{}").decode("utf-8")
            if json_depth(text) > MAX_DEPTH:
                raise ValueError
            body = json.loads(text)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ClientError(400, "bad_request", "send a JSON object (UTF-8, at most "
                                                  f"{MAX_DEPTH} levels deep): " + self.body_help)
        return body

    body_help = ""

    def argument(self, name, default=""):
        """A query argument as valid, bounded text ('' when absent)."""
        value = self.get_argument(name, default)
        return text_field(value, name) if value else value

    def write_error(self, status_code, **kwargs):
        # A server error here can only be the hub not answering (HubAuth raises 500 for that).
        if status_code < 500:
            return super().write_error(status_code, **kwargs)
        reason = getattr(kwargs.get("exc_info", (None, None))[1], "log_message", None) or self._reason
        self.set_status(502)
        self.finish({"error": "hub_unavailable", "message": f"the hub could not be asked; try again in a "
                                                             f"minute ({reason})"})

    async def caller(self):
        """The hub's model of the calling user, or None (the answer is sent)."""
        # The header only: a token in the query string would end up in access logs.
        match = self.hub_auth.auth_header_pat.match(self.request.headers.get("Authorization", ""))
        token = match.group(1) if match else None
        if token and not TOKEN.fullmatch(token):
            self.fail(401, "bad_hub_token", "the hub does not know this token")  # not one the hub makes
            return None
        if not token:
            self.fail(401, "no_hub_token", "send your server's hub API token: Authorization: token $JUPYTERHUB_API_TOKEN")
            return None
        model = await self.hub_auth.user_for_token(token, use_cache=False, sync=False)
        if model is None:
            self.fail(401, "bad_hub_token", "the hub does not know this token")
            return None
        # Only a user, or a server of that user, with access to this service; never a service.
        if model.get("kind") != "user" or not self.hub_auth.check_scopes(self.hub_auth.access_scopes, model):
            log.info("refused %s %s: no access to %s", model.get("kind"), model.get("name"), self.service)
            self.fail(403, "forbidden", f"this token may not use the {self.service} service")
            return None
        return model

    async def hub_user(self, name):
        """The hub's record of user `name` (with its auth state, as the service's role allows), or
        None when the hub has no such user."""
        if len(name.encode("utf-8", "replace")) > MAX_NAME:
            return None  # longer than any user name the hub accepts
        url = f"{self.hub_auth.api_url}/users/{quote(name, safe='')}"
        response = await httpclient.AsyncHTTPClient().fetch(
            url, headers={"Authorization": f"token {self.hub_auth.api_token}"}, raise_error=False)
        if response.code == 404:
            return None
        if response.code != 200:
            raise web.HTTPError(502, f"the hub answered HTTP {response.code} for the user")
        return json_or_empty(response.body)


def json_or_empty(body):
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def log_request(handler):
    """Tornado's access log, without the query string: a caller may put a token there."""
    request = handler.request
    status = handler.get_status()
    level = log.info if status < 400 else log.warning
    level("%d %s %s (%s) %.1f ms", status, request.method, request.path, request.remote_ip,
          1000 * request.request_time())


def application(prefix, handlers, about):
    """The service's tornado app: `handlers` under `prefix`, `about` at the prefix itself, a JSON
    404 everywhere else."""
    routes = [(prefix + path, handler, args) for path, handler, args in handlers]
    return web.Application(routes + [(prefix + "/?", about)], default_handler_class=NotFound,
                           log_function=log_request)


def serve(app, bind_variable):
    """Listen on the port of JUPYTERHUB_SERVICE_URL until the hub stops the service (SIGINT)."""
    port = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"]).port
    # The service URL names the hub's Service (http://hub:PORT), not this pod: listen on all of it.
    # Requests up to 1 MiB get a JSON answer (413 past MAX_BODY); past that tornado closes the connection.
    app.listen(port, address=os.environ.get(bind_variable, "0.0.0.0"), xheaders=False, max_body_size=64 * MAX_BODY,
               max_header_size=256 * 1024)
    log.info("listening on port %s", port)
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:
        log.info("stopped")
