#!/usr/bin/env python3
"""Share a folder of your Drive with other users of the Lab ("Shared with me").

The client half of lab-share, shipped in every image; the service it calls is
infra/hub/pod/share_service.py, run by the hub.

    $ lab-share add "results/run-7" bob --read-only
    $ lab-share list
    $ lab-share remove "results/run-7" bob

FOLDER is a folder under ~/drive/My Libraries (relative to it, or its path there). Bob finds it
under ~/drive/Shared with me/<you>/results/run-7 from his next server start (mounts are made
when a server starts). The hub's lab-share service keeps the grants; this server's own hub API
token (JUPYTERHUB_API_TOKEN) is the only credential sent. Standard library only.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

OWN = os.path.join(os.path.expanduser("~"), "drive", "My Libraries")


class ShareError(RuntimeError):
    """The message says why and what to do."""


def relative_folder(folder, own=OWN):
    """FOLDER as the service takes it: relative to My Libraries, a real folder there, no link."""
    path = folder if os.path.isabs(folder) else os.path.join(own, folder)
    absolute = os.path.abspath(path)
    if not absolute.startswith(os.path.abspath(own) + os.sep):
        raise ShareError(f"{folder}: only folders under {own} can be shared")
    relative = os.path.relpath(absolute, os.path.abspath(own))
    walked = os.path.abspath(own)
    for part in relative.split(os.sep):
        walked = os.path.join(walked, part)
        if os.path.islink(walked):
            raise ShareError(f"{folder}: {walked} is a link; share the folder it points to instead")
    if not os.path.isdir(absolute):
        raise ShareError(f"{folder}: no such folder in {own}")
    if relative in (".", ""):
        raise ShareError("share a folder inside My Libraries, not all of it")
    return relative.replace(os.sep, "/")


def call(method, query="", body=None, timeout=30):
    base = os.environ.get("LAB_SHARE_URL")
    hub_token = os.environ.get("JUPYTERHUB_API_TOKEN")
    if not base or not hub_token:
        raise ShareError("LAB_SHARE_URL or JUPYTERHUB_API_TOKEN is not set: lab-share works in a "
                         "notebook server started by the Lab's hub")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base.rstrip('/')}/grants{query}", data=data, method=method,
                                     headers={"Authorization": f"token {hub_token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
            return json.loads(text) if text else {}
    except urllib.error.HTTPError as exc:
        try:
            message = json.load(exc).get("message")
        except ValueError:
            message = None
        raise ShareError(f"HTTP {exc.code}: {message or exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ShareError(f"the lab-share service at {base} is unreachable ({exc})") from None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lab-share", description="Share Drive folders with other Lab users.")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="share FOLDER with USER (read-write unless --read-only)")
    add.add_argument("folder")
    add.add_argument("user")
    add.add_argument("--read-only", action="store_true", help="USER may read, not change")
    commands.add_parser("list", help="what you share, and what is shared with you")
    remove = commands.add_parser("remove", help="stop sharing FOLDER with USER")
    remove.add_argument("folder")
    remove.add_argument("user")
    parser.add_argument("--json", action="store_true", help="print the service's answer as JSON")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            answer = call("GET")
        elif args.command == "add":
            answer = call("POST", body={"folder": relative_folder(args.folder), "user": args.user,
                                        "read_only": args.read_only})
        else:
            folder = args.folder if not os.path.isabs(args.folder) else os.path.relpath(args.folder, OWN)
            query = "?" + urllib.parse.urlencode({"folder": folder, "user": args.user})
            answer = call("DELETE", query)
    except ShareError as exc:
        print(f"lab-share: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(answer))
    elif args.command == "add":
        mode = "read-only" if answer["read_only"] else "read-write"
        print(f"shared {answer['folder']} with {answer['user']} ({mode}); they see it under "
              f"'drive/Shared with me/{answer['owner']}' from their next server start")
    elif args.command == "remove":
        print(f"no longer shared with {args.user}: {args.folder} (their running server keeps it until it stops)")
    else:
        for grant in answer["given"]:
            print(f"you share    {grant['folder']} with {grant['user']}"
                  f"{' (read-only)' if grant['read_only'] else ''}")
        for grant in answer["received"]:
            print(f"shared with you  {grant['owner']}/{grant['folder']}{' (read-only)' if grant['read_only'] else ''}")
        if not answer["given"] and not answer["received"]:
            print("nothing shared yet: lab-share add FOLDER USER")
    return 0


if __name__ == "__main__":
    sys.exit(main())
