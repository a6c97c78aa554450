#!/usr/bin/env python3
"""Your current IAM access token, from inside a Lab notebook.

The client half of lab-token, shipped in every image; the service it calls is
infra/hub/pod/token_service.py, run by the hub.

    from lab_token import access_token
    headers = {"Authorization": f"Bearer {access_token()}"}

    $ lab-token                 # prints the token
    $ lab-token --min-valid 900 --json

The hub's lab-token service returns the token of the user whose server this is, refreshed
first when it has less than `min_valid` seconds left. This server's own hub API token
(JUPYTERHUB_API_TOKEN) is the only credential sent. Standard library only.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

__all__ = ["access_token", "token_info", "TokenError"]


class TokenError(RuntimeError):
    """No token: the message says why and what to do."""


def token_info(min_valid=60, timeout=30):
    """{"access_token", "expires_at", "token_type"} from the hub's lab-token service."""
    base = os.environ.get("LAB_TOKEN_URL")
    hub_token = os.environ.get("JUPYTERHUB_API_TOKEN")
    if not base or not hub_token:
        raise TokenError("LAB_TOKEN_URL or JUPYTERHUB_API_TOKEN is not set: lab-token works in a "
                         "notebook server started by the Lab's hub")
    url = f"{base.rstrip('/')}/token?min_valid={int(min_valid)}"
    request = urllib.request.Request(url, headers={"Authorization": f"token {hub_token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise TokenError(_message(exc)) from None
    except (urllib.error.URLError, OSError) as exc:
        raise TokenError(f"the lab-token service at {base} is unreachable ({exc})") from None


def access_token(min_valid=60):
    """The access token, valid for at least `min_valid` more seconds."""
    return token_info(min_valid)["access_token"]


def _message(error):
    try:
        body = json.load(error)
    except ValueError:
        body = {}
    return f"HTTP {error.code}: {body.get('message') or error.reason}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lab-token", description="Print your current IAM access token.")
    parser.add_argument("--min-valid", type=int, default=60, metavar="SECONDS",
                        help="refresh first if the token has less than this left (default 60, at most 3600)")
    parser.add_argument("--json", action="store_true", help="print the token with its expiry, as JSON")
    args = parser.parse_args(argv)
    try:
        info = token_info(args.min_valid)
    except TokenError as exc:
        print(f"lab-token: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(info) if args.json else info["access_token"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
