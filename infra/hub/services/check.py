"""The hub service of `labforge hub check` (infra/hub/check.py runs it as a CronJob): its token
and the role that lets it act as the check user only."""

from __future__ import annotations

SERVICE = "labforge-check"


def service_values(user: str, token) -> tuple[dict, dict]:
    """(hub.services, hub.loadRoles) entries of the check's hub service: it may create the check
    user, start and stop that user's servers, read their state, and use them (and nothing more)."""
    return ({SERVICE: {"apiToken": token}},
            {SERVICE: {"services": [SERVICE],
                       "scopes": [f"admin:users!user={user}", f"admin:servers!user={user}",
                                  f"admin:server_state!user={user}", f"access:servers!user={user}",
                                  f"read:users!user={user}"]}})
