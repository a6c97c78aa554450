"""lab-share: a user shares a folder of their own Drive with named users ("Shared with me").

The service half, run by the hub; its client is the `lab-share` command in every image
(lab-image/files/lab_share.py).

A JupyterHub service run by the hub (hub.services.lab-share), like lab-token. A notebook server
calls it with its own hub API token; the caller is always the owner of what they grant, so no
one can name someone else's folder. The hub's Drive hook reads the grants at each spawn and
mounts each granted folder under the grantee's `drive/Shared with me/<owner>/<folder>` (mounts
are fixed at spawn, as in Kooplex: a grant or revoke shows from the next server start).

    GET    <prefix>grants                          {"given": [...], "received": [...]}
    POST   <prefix>grants  {"folder", "user", "read_only"}
    DELETE <prefix>grants?folder=F&user=U

Grants are kept in one JSON file on the hub's own volume (LAB_SHARE_STORE, next to the hub's
database on /srv/jupyterhub): it survives hub restarts and upgrades, is backed up with the hub,
and the Drive hook, in the same pod, reads it without a network call. Writes are atomic.

Shipped verbatim into the hub pod (hub.extraFiles) with hub_service.py: standard library, tornado
and jupyterhub.
"""

import json
import logging
import os
import re
import tempfile

from jupyterhub.services.auth import HubAuth

if __package__:  # infra.hub.pod.share_service, in the repository
    from .hub_service import ClientError, JsonHandler, ServiceHandler, application, serve, text_field
else:  # the hub pod: hub_service.py is shipped next to this file
    from hub_service import ClientError, JsonHandler, ServiceHandler, application, serve, text_field

log = logging.getLogger("lab-share")
MAX_GIVEN = 50  # grants one user may give
MAX_DEPTH, MAX_PART = 8, 120
# One folder name: printable, no path separators, no braces (KubeSpawner runs str.format over
# mount paths), not hidden, not "." or "..".
PART = re.compile(r"^[^./\\{}\x00-\x1f\x7f][^/\\{}\x00-\x1f\x7f]*$")


class BadGrant(ClientError):
    """A grant that is refused, with the reason to show the user."""

    def __init__(self, message):
        super().__init__(400, "bad_grant", message)


def clean_folder(folder):
    """The folder as stored: relative to the owner's "My Libraries", parts joined by "/"."""
    if not isinstance(folder, str) or not folder.strip():
        raise BadGrant("name a folder of your Drive (a path under 'My Libraries')")
    text_field(folder, "folder", MAX_DEPTH * (MAX_PART + 1))
    if folder.startswith("/") or folder.startswith("~"):
        raise BadGrant(f"{folder!r}: give the folder relative to 'My Libraries', not an absolute path")
    parts = [part for part in folder.strip().split("/") if part]
    if len(parts) > MAX_DEPTH:
        raise BadGrant(f"{folder!r}: at most {MAX_DEPTH} folder levels")
    for part in parts:
        if part in (".", "..") or not PART.match(part) or len(part.encode()) > MAX_PART or part != part.strip():
            raise BadGrant(f"{folder!r}: {part!r} is not a folder name that can be shared "
                           "(no '.', '..', hidden folders, braces or control characters)")
    return "/".join(parts)


class Grants:
    """Every grant, as {"owner", "folder", "user", "read_only"}, kept in a JSON file."""

    def __init__(self, path):
        self.path = path
        self.items = self._load()

    def _load(self):
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return []
        return [g for g in data.get("grants", []) if isinstance(g, dict)]

    def _save(self):
        folder = os.path.dirname(self.path)
        os.makedirs(folder, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=".grants-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"grants": sorted(self.items, key=lambda g: (g["owner"], g["folder"], g["user"]))}, out,
                      indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)

    def given(self, owner):
        return [g for g in self.items if g["owner"] == owner]

    def received(self, user):
        return [g for g in self.items if g["user"] == user]

    def grant(self, owner, folder, user, read_only):
        existing = next((g for g in self.given(owner) if g["folder"] == folder and g["user"] == user), None)
        if existing is None and len(self.given(owner)) >= MAX_GIVEN:
            raise BadGrant(f"you share {MAX_GIVEN} folders already: remove one first (lab-share remove)")
        if existing is not None:
            existing["read_only"] = read_only
        else:
            self.items.append({"owner": owner, "folder": folder, "user": user, "read_only": read_only})
        self._save()
        return existing is None

    def revoke(self, owner, folder, user):
        before = len(self.items)
        self.items = [g for g in self.items if not (g["owner"] == owner and g["folder"] == folder
                                                    and g["user"] == user)]
        if len(self.items) != before:
            self._save()
            return True
        return False


class GrantsHandler(ServiceHandler):
    service = "lab-share"
    body_help = '{"folder": ..., "user": ..., "read_only": true|false}'

    def initialize(self, hub_auth, grants):
        self.hub_auth, self.grants = hub_auth, grants

    async def get(self):
        caller = await self._caller_name()
        if caller:
            self.finish({"given": [self._public(g, "user") for g in self.grants.given(caller)],
                         "received": [self._public(g, "owner") for g in self.grants.received(caller)]})

    async def post(self):
        caller = await self._caller_name()
        if not caller:
            return
        body = self.json_body()
        user, read_only = body.get("user"), body.get("read_only", False)
        folder = clean_folder(body.get("folder"))
        if not isinstance(read_only, bool):
            raise BadGrant("read_only is true or false")
        if not isinstance(user, str) or not user or user == caller:
            raise BadGrant("name another user of the Lab to share with")
        text_field(user, "user")
        if await self.hub_user(user) is None:
            return self.fail(404, "unknown_user", f"{user!r} is not a user of the Lab")
        new = self.grants.grant(caller, folder, user, read_only)
        log.info("%s %s %s with %s (%s)", caller, "shared" if new else "changed", folder, user,
                 "read-only" if read_only else "read-write")
        self.set_status(201 if new else 200)
        self.finish({"owner": caller, "folder": folder, "user": user, "read_only": read_only})

    async def delete(self):
        caller = await self._caller_name()
        if not caller:
            return
        folder = clean_folder(self.argument("folder"))
        user = self.argument("user")
        if not self.grants.revoke(caller, folder, user):
            return self.fail(404, "no_grant", f"you do not share {folder!r} with {user!r}")
        log.info("%s revoked %s from %s", caller, folder, user)
        self.set_status(204)
        self.finish()

    @staticmethod
    def _public(grant, other):
        return {other: grant[other], "folder": grant["folder"], "read_only": grant["read_only"]}

    async def _caller_name(self):
        model = await self.caller()
        return model["name"] if model else None


class AboutHandler(JsonHandler):
    def get(self):
        self.finish({"service": "lab-share", "grants": self.request.path.rstrip("/") + "/grants",
                     "header": "Authorization: token $JUPYTERHUB_API_TOKEN"})


def make_app(grants, hub_auth):
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/lab-share/").rstrip("/")
    return application(prefix, [("/grants", GrantsHandler, {"hub_auth": hub_auth, "grants": grants})], AboutHandler)


def main():
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(asctime)s lab-share] %(message)s")
    env = os.environ
    app = make_app(Grants(env.get("LAB_SHARE_STORE", "/srv/jupyterhub/lab-share/grants.json")), HubAuth())
    serve(app, "LAB_SHARE_BIND")


if __name__ == "__main__":
    main()
