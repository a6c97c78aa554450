"""The lab-share service (infra/hub/pod/share_service.py): run by the hub, reached by user servers
at http://hub:8182, with only the scope it needs (`read:users:name`: is a grantee a user of the
Lab). Grants live on the hub's own volume, which the Drive hook reads at spawn."""

from __future__ import annotations

from ..pod import share_service
from .service import FOLDER, HubService

NAME = "lab-share"
PORT = 8182
SERVICE_FILE = f"{FOLDER}/lab_share_service.py"
STORE = "/srv/jupyterhub/lab-share/grants.json"  # the hub's PVC, next to its database
SERVICE_SCOPES = ["read:users:name"]


def lab_share() -> HubService:
    service = {"command": ["python3", SERVICE_FILE], "url": f"http://hub:{PORT}", "display": False,
               "environment": {"LAB_SHARE_STORE": STORE, "LAB_SHARE_BIND": "0.0.0.0"}}
    role = {NAME: {"description": "Check that the users a folder is shared with exist",
                   "scopes": SERVICE_SCOPES, "services": [NAME]}}
    return HubService(NAME, service, role, PORT, share_service, SERVICE_FILE, url_variable="LAB_SHARE_URL")
