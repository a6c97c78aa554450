"""The lab-token service (infra/hub/pod/token_service.py): run by the hub, reached by user
servers at http://hub:8181, with only the scopes it needs.

Roles, narrowest that work (checked against a real JupyterHub in tests/infra/hub/services/test_token.py):
- the service: `admin:auth_state` (the auth state in the user model) and `read:users:name`
  (GET /users/<name> needs one read scope on the user);
- users, and their servers' tokens: `access:services!service=lab-token` and nothing more.
"""

from __future__ import annotations

from ..pod import token_service
from .service import FOLDER, HubService

NAME = "lab-token"
PORT = 8181
SERVICE_FILE = f"{FOLDER}/lab_token_service.py"
ACCESS = f"access:services!service={NAME}"
# JupyterHub's default roles, plus access to the service (load_roles replaces a role's scopes).
USER_SCOPES = ["self", ACCESS]
SERVER_SCOPES = ["users:activity!user", "access:servers!server", ACCESS]
SERVICE_SCOPES = ["admin:auth_state", "read:users:name"]


def lab_token(token_url: str, client_id: str, login_url: str, other_services: tuple[str, ...] = ()) -> HubService:
    """A managed service (the hub starts and restarts it). The IAM client secret is added from the
    hub's own config (`config`), never written in the values."""
    service = {
        "command": ["python3", SERVICE_FILE],
        "url": f"http://hub:{PORT}",
        "display": False,
        "environment": {"LAB_TOKEN_IAM_TOKEN_URL": token_url, "LAB_TOKEN_CLIENT_ID": client_id,
                        "LAB_LOGIN_URL": login_url, "LAB_TOKEN_BIND": "0.0.0.0"},
    }
    return HubService(NAME, service, roles(other_services), PORT, token_service, SERVICE_FILE,
                      {"labforge-token": secret_config()}, url_variable="LAB_TOKEN_URL")


def roles(other_services: tuple[str, ...] = ()) -> dict:
    """This service's role, and users' and servers' roles with access to it and to the other
    lab services (`access:services!service=NAME` each)."""
    others = [f"access:services!service={name}" for name in other_services]
    return {
        NAME: {"description": "Read users' auth state to hand each user their own IAM token",
               "scopes": SERVICE_SCOPES, "services": [NAME]},
        "user": {"description": "Standard user privileges, and the lab services", "scopes": USER_SCOPES + others},
        "server": {"description": "Post activity, and use the lab services for the owner",
                   "scopes": SERVER_SCOPES + others},
    }


def secret_config() -> str:
    """hub.extraConfig: hand the OIDC client secret, already in the hub's config, to the service."""
    return ("for _service in c.JupyterHub.services:\n"
            f"    if _service.get('name') == {NAME!r}:\n"
            "        _service.setdefault('environment', {})['LAB_TOKEN_CLIENT_SECRET'] = "
            "c.GenericOAuthenticator.client_secret\n")
