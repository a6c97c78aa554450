"""The hub service of `labforge hub check` (infra/hub/check.py runs it as a CronJob): its token
and the role that lets it act as the check user only. An API client: no port, no shipped file."""

from __future__ import annotations

from .service import HubService

SERVICE = "labforge-check"


def labforge_check(user: str, token) -> HubService:
    """It may create the check user, start and stop that user's servers, read their state, and use
    them (and nothing more)."""
    return HubService(SERVICE, {"apiToken": token},
                      {SERVICE: {"services": [SERVICE],
                                 "scopes": [f"admin:users!user={user}", f"admin:servers!user={user}",
                                            f"admin:server_state!user={user}", f"access:servers!user={user}",
                                            f"read:users!user={user}"]}})
