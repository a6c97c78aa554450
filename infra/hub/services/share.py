"""Chart values for the lab-share service (infra/hub/pod/share_service.py): run by the hub, reached by
user servers at http://hub:8182, with only the scope it needs (`read:users:name`: is a grantee
a user of the Lab). Grants live on the hub's own volume, which the Drive hook reads at spawn."""

from __future__ import annotations

from ..pod import share_service
from . import common as service_values

NAME = "lab-share"
PORT = 8182
SERVICE_FILE = f"{service_values.FOLDER}/lab_share_service.py"
STORE = "/srv/jupyterhub/lab-share/grants.json"  # the hub's PVC, next to its database
URL_IN_PODS = f"http://hub:{PORT}/services/{NAME}/"
SERVICE_SCOPES = ["read:users:name"]


def service() -> dict:
    return {"command": ["python3", SERVICE_FILE], "url": f"http://hub:{PORT}", "display": False,
            "environment": {"LAB_SHARE_STORE": STORE, "LAB_SHARE_BIND": "0.0.0.0"}}


def role() -> dict:
    return {NAME: {"description": "Check that the users a folder is shared with exist",
                   "scopes": SERVICE_SCOPES, "services": [NAME]}}


def extra_files() -> dict:
    return service_values.shipped(NAME, SERVICE_FILE, share_service)


def hub_ingress() -> list[dict]:
    return service_values.hub_ingress(PORT)


def singleuser_egress() -> list[dict]:
    return service_values.singleuser_egress(PORT)
