"""What the lab's hub services (lab-token, lab-share) share: who is calling, JSON errors, the
hub's user record, a log without query strings, and serving on the hub's service port.

Shipped next to them into the hub pod (hub.extraFiles, /usr/local/share/labforge), where they
import it as `hub_service`; uses only the standard library, tornado and jupyterhub.
"""

import json
import logging
import os
from urllib.parse import quote, urlparse

from tornado import httpclient, ioloop, web

log = logging.getLogger("lab-service")


class ServiceHandler(web.RequestHandler):
    """A JSON endpoint of the service `service` that a user's notebook server calls with its own
    hub API token."""

    service = "lab-service"

    def set_default_headers(self):
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json")

    def write_error(self, status_code, **kwargs):
        # Errors raised inside tornado are JSON too, never a page; a server error here can only
        # be the hub not answering (HubAuth raises 500 for that).
        reason = getattr(kwargs.get("exc_info", (None, None))[1], "log_message", None) or self._reason
        if status_code >= 500:
            self.set_status(502)
            self.finish({"error": "hub_unavailable", "message": f"the hub could not be asked; try again in a "
                                                                 f"minute ({reason})"})
        else:
            self.finish({"error": "error", "message": reason})

    def fail(self, status, error, message):
        self.set_status(status)
        self.finish({"error": error, "message": message})

    async def caller(self):
        """The hub's model of the calling user, or None (the answer is sent)."""
        # The header only: a token in the query string would end up in access logs.
        match = self.hub_auth.auth_header_pat.match(self.request.headers.get("Authorization", ""))
        token = match.group(1) if match else None
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


def serve(app, bind_variable):
    """Listen on the port of JUPYTERHUB_SERVICE_URL until the hub stops the service (SIGINT)."""
    port = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"]).port
    # The service URL names the hub's Service (http://hub:PORT), not this pod: listen on all of it.
    app.listen(port, address=os.environ.get(bind_variable, "0.0.0.0"), xheaders=False)
    log.info("listening on port %s", port)
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:
        log.info("stopped")
