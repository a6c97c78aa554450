"""Mount the shared Drive into each user's server, as folders of one ReadWriteMany claim.

~/drive/My Libraries            the user's own folder (read-write)   subPath users/<user>
~/drive/Shared with groups/<g>  one per known group of the user      subPath groups/<g>
~/drive/Shared with all         the lab's public area (read-only)    subPath public

This file is shipped verbatim into the hub's configuration (hub.extraConfig), so it uses only
the standard library. `drive_mounts` is a plain function; the hook only applies its result.
"""

import re

UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")
MAX_NAME = 63


def safe_name(name):
    """A single safe path component from a user or group name, or None if nothing safe is left."""
    if not isinstance(name, str):
        return None
    cleaned = UNSAFE.sub("-", name.strip()).strip(".-")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)[:MAX_NAME].strip(".-")
    return cleaned or None


def drive_mounts(username, groups, settings):
    """(volumes, volume_mounts) for one user; groups not in settings["groups"] mount nothing."""
    user = safe_name(username)
    if user is None:
        return [], []
    volume, root = settings["volume"], settings["root"]
    mounts = [{"name": volume, "mountPath": root + "/My Libraries", "subPath": "users/" + user}]
    known = set(settings["groups"])
    seen = set()
    for group in sorted(set(groups or [])):
        folder = safe_name(group) if group in known else None
        if folder is None or folder in seen:
            continue
        seen.add(folder)
        mounts.append({"name": volume, "mountPath": root + "/Shared with groups/" + folder,
                       "subPath": "groups/" + folder})
    mounts.append({"name": volume, "mountPath": root + "/Shared with all", "subPath": "public", "readOnly": True})
    return [{"name": volume, "persistentVolumeClaim": {"claimName": settings["claim"]}}], mounts


def drive_pre_spawn_hook(spawner):
    settings = DRIVE_SETTINGS  # noqa: F821 -- defined by the hub config that ships this file
    groups = [group.name for group in getattr(spawner.user, "groups", [])]
    volumes, mounts = drive_mounts(spawner.user.name, groups, settings)
    volume = settings["volume"]
    spawner.volumes = [v for v in list(spawner.volumes or []) if v.get("name") != volume] + volumes
    spawner.volume_mounts = [m for m in list(spawner.volume_mounts or []) if m.get("name") != volume] + mounts
