"""`labforge hub usage`: running and stopped servers per release and image, from the users the
hub lists (with the release and image its LabSpawner records in each server's state)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Server:
    user: str
    name: str
    running: bool
    release: str
    image: str
    profile: str


def servers(users: list[dict]) -> list[Server]:
    found = []
    for user in users:
        for name, server in sorted((user.get("servers") or {}).items()):
            state = server.get("state") or {}
            options = server.get("user_options") or {}
            found.append(Server(user["name"], name or "", bool(server.get("ready") or server.get("pending")),
                                state.get("labforge_release") or "unknown", state.get("labforge_image") or "",
                                str(options.get("profile") or "")))
    return found


def usage(found: list[Server]) -> list[dict]:
    """Per release and image: running and stopped servers, and whose."""
    groups: dict[tuple[str, str], dict] = {}
    for server in found:
        group = groups.setdefault((server.release, server.image), {
            "release": server.release, "image": server.image, "digest": server.image.partition("@")[2],
            "running": 0, "stopped": 0, "users": []})
        group["running" if server.running else "stopped"] += 1
        group["users"].append({"user": server.user, "server": server.name, "running": server.running,
                               "profile": server.profile})
    return sorted(groups.values(), key=lambda g: (g["release"], g["image"]))
