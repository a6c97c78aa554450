"""Mount the shared Drive into each user's server, as folders of one ReadWriteMany claim.

~/drive/My Libraries            the user's own folder (read-write)   subPath users/<user>
~/drive/Shared with groups/<g>  one per matching group of the user   subPath groups/<g>
~/drive/Shared with all         the lab's public area (read-only)    subPath public
~/drive/Shared with me/<o>/<f>  a folder user <o> shares with this user (lab-share; read-only
                                where the grant says so)              subPath users/<o>/<f>

Kubernetes would create a missing subPath as root, which the user (uid 1000) cannot write on
NFS/CephFS; so an init container, running as the user with no capabilities, creates the
user's and the groups' folders first. It can: the deploy-time `drive-layout` job made `users/`
and `groups/` belong to uid 1000 (see infra/drive/storage.py).

Shares: the grants the lab-share service keeps (settings["shares"]["store"], on the hub's
volume), read at each spawn, at most settings["shares"]["max_received"] of them. A shared
folder could be a link an owner made to someone else's folder: the init container checks every
level of each shared path and refuses the start rather than mount through a link.

Groups: the user's hub groups (from the IAM's groups claim) that are listed in
settings["groups"] or match one of settings["patterns"] (`collab-*`), so a new collab needs no
redeploy; at most settings["max_groups"] of them, in name order.

This file is shipped verbatim into the hub's configuration (hub.extraConfig), so it uses only
the standard library. `drive_mounts` and `init_container` are plain functions; the hook only
applies their result.
"""

import fnmatch
import json
import re
from urllib.parse import quote

UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")
MAX_NAME = 63
HOME = "/home/jovyan"
ROOT = HOME + "/drive"
OWN, GROUPS, PUBLIC, SHARED = "My Libraries", "Shared with groups", "Shared with all", "Shared with me"
INIT_MOUNT = "/drive"
# The folders are made by the user's own uid; a message says what to do when that fails.
# No braces: KubeSpawner runs str.format over every string of the pod it is given.
INIT_SCRIPT = ('check=0; for folder in "$@"; do '
               'if [ "$folder" = "--shared" ]; then check=1; continue; fi; '
               'if [ "$check" = 0 ]; then if ! mkdir -p -- "$folder"; then echo "drive: cannot create $folder:'
               ' ask the lab operators to run the drive-layout job (README: The Drive)" >&2; exit 1; fi; continue; fi; '
               # a shared folder: every level a real folder (made if missing), never a link
               'path=""; IFS=/; set -f; for part in $folder; do path="$path/$part"; '
               'if [ -L "$path" ]; then echo "drive: $path is a link: a shared folder must be a real folder;'
               ' ask its owner to share another (lab-share)" >&2; exit 1; fi; '
               'if [ ! -e "$path" ] && ! mkdir -- "$path"; then echo "drive: cannot create $path" >&2; exit 1; fi; '
               'if [ ! -d "$path" ]; then echo "drive: $path is not a folder" >&2; exit 1; fi; '
               'done; unset IFS; set +f; done')


def safe_name(name):
    """A single safe path component from a user or group name, or None if nothing safe is left."""
    if not isinstance(name, str):
        return None
    cleaned = UNSAFE.sub("-", name.strip()).strip(".-")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)[:MAX_NAME].strip(".-")
    return cleaned or None


def drive_groups(groups, settings):
    """(mounted, left out) group folder names for a user's groups, in name order."""
    known = set(settings.get("groups", []))
    patterns = settings.get("patterns", [])
    folders = []
    for group in sorted(set(g for g in groups or [] if isinstance(g, str))):
        wanted = group in known or any(fnmatch.fnmatchcase(group, p) for p in patterns)
        folder = safe_name(group) if wanted else None
        if folder is not None and folder not in folders:
            folders.append(folder)
    cap = settings.get("max_groups", 20)
    return folders[:cap], folders[cap:]


def shared_folder(folder):
    """A stored grant's folder as path parts, or None: the service checked it; this only makes
    sure nothing in the store can leave the owner's tree or upset KubeSpawner's format()."""
    if not isinstance(folder, str) or folder.startswith("/"):
        return None
    parts = folder.split("/")
    if not parts or any(not p or p in (".", "..") or p.startswith(".") or set(p) & set("{}\\\0") for p in parts):
        return None
    return parts


def shares_for(username, grants, settings):
    """(owner folder, folder parts, read_only) of each grant to this user, in owner/folder order."""
    found = []
    for grant in grants:
        if not isinstance(grant, dict) or grant.get("user") != username or grant.get("owner") == username:
            continue
        owner, parts = safe_name(grant.get("owner")), shared_folder(grant.get("folder"))
        if owner and parts:
            found.append((owner, parts, grant.get("read_only") is not False))
    found.sort(key=lambda share: (share[0], share[1]))
    return found[:settings.get("shares", {}).get("max_received", 30)]


def read_grants(settings):
    """The lab-share store's grants; none when there is no store yet (or it cannot be read)."""
    path = settings.get("shares", {}).get("store")
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle).get("grants", [])
    except (OSError, TypeError, ValueError, AttributeError):
        return []


def drive_mounts(username, groups, settings, grants=()):
    """(volumes, volume_mounts) for one user; groups that match no rule mount nothing."""
    user = safe_name(username)
    if user is None:
        return [], []
    volume, root = settings["volume"], settings["root"]
    mounts = [{"name": volume, "mountPath": f"{root}/{OWN}", "subPath": "users/" + user}]
    for folder in drive_groups(groups, settings)[0]:
        mounts.append({"name": volume, "mountPath": f"{root}/{GROUPS}/{folder}", "subPath": "groups/" + folder})
    mounts.append({"name": volume, "mountPath": f"{root}/{PUBLIC}", "subPath": "public", "readOnly": True})
    for owner, parts, read_only in shares_for(username, grants, settings):
        path = "/".join(parts)
        mounts.append({"name": volume, "mountPath": f"{root}/{SHARED}/{owner}/{path}",
                       "subPath": f"users/{owner}/{path}", "readOnly": read_only, "shared": True})
    return [{"name": volume, "persistentVolumeClaim": {"claimName": settings["claim"]}}], mounts


def init_container(mounts, image, settings):
    """The init container that creates every writable folder `mounts` uses, as the user, and
    checks every shared one (after `--shared`)."""
    folders = [f"{INIT_MOUNT}/{m['subPath']}" for m in mounts if not m.get("readOnly") and not m.get("shared")]
    shared = [f"{INIT_MOUNT}/{m['subPath']}" for m in mounts if m.get("shared")]
    return {
        "name": "drive-folders",
        "image": image,
        "command": ["/bin/sh", "-c", INIT_SCRIPT, "drive-folders", *folders, *(["--shared", *shared] if shared else [])],
        "volumeMounts": [{"name": settings["volume"], "mountPath": INIT_MOUNT}],
        "securityContext": {"runAsUser": settings.get("uid", 1000), "runAsGroup": settings.get("gid", 1000),
                            "runAsNonRoot": True, "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "32Mi"}},
    }


def collab_lab_url(hub_url, group, root=ROOT, home=HOME):
    """The link a collab's "Lab" button opens: JupyterLab at the collab's Drive folder
    (the user's server is started first if it is not running)."""
    folder = safe_name(group)
    if folder is None:
        return None
    path = f"{root}/{GROUPS}/{folder}"[len(home) + 1:]
    return f"{hub_url.rstrip('/')}/hub/user-redirect/lab/tree/{quote(path)}"


def as_list(value):
    """KubeSpawner takes volumes, mounts and init containers as a list or as {key: item},
    applied in key order."""
    if isinstance(value, dict):
        return [value[key] for key in sorted(value)]
    return list(value or [])


def drive_pre_spawn_hook(spawner):
    settings = DRIVE_SETTINGS  # noqa: F821 -- defined by the hub config that ships this file
    groups = [group.name for group in getattr(spawner.user, "groups", [])]
    volumes, mounts = drive_mounts(spawner.user.name, groups, settings, read_grants(settings))
    left_out = drive_groups(groups, settings)[1]
    if left_out and getattr(spawner, "log", None):
        spawner.log.warning("drive: %s has more than %d group folders; not mounted: %s",
                            spawner.user.name, settings.get("max_groups", 20), ", ".join(left_out))
    volume = settings["volume"]
    spawner.volumes = [v for v in as_list(spawner.volumes) if v.get("name") != volume] + volumes
    spawner.volume_mounts = [m for m in as_list(spawner.volume_mounts) if m.get("name") != volume] + [
        {k: v for k, v in m.items() if k != "shared"} for m in mounts]
    others = [c for c in as_list(getattr(spawner, "init_containers", None)) if c.get("name") != "drive-folders"]
    # settings["image"]: the default profile's image, which the pre-puller keeps on every node
    # (the hook runs before KubeSpawner applies the chosen profile).
    spawner.init_containers = others + ([init_container(mounts, settings["image"], settings)] if mounts else [])
