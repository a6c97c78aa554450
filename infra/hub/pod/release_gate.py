"""labforge-releases: a request for a retired release is answered with the release to use.

Run by the hub as part of jupyterhub_config.py (hub.extraConfig, infra/hub/values.py), after
`RETIRED_RELEASES` (profile slug -> message, infra/hub/profiles.py) is set. A saved spawn URL
(`/hub/spawn?profile=release-2026-05`) or a form naming a retired release gets the spawn page
again with the message on top; a server whose last options named one fails to start with it,
instead of KubeSpawner's "No such profile".
"""

from kubespawner import KubeSpawner

RETIRED_RELEASES: dict = {}  # replaced by the hub's configuration


def refuse_retired(slug):
    if slug in RETIRED_RELEASES:
        raise ValueError(RETIRED_RELEASES[slug])


class LabSpawner(KubeSpawner):
    """KubeSpawner (all its configuration applies) that knows the lab's retired releases."""

    def _options_from_form(self, formdata):
        refuse_retired((formdata.get("profile") or [None])[0])
        return super()._options_from_form(formdata)

    async def load_user_options(self):
        refuse_retired((self.user_options or {}).get("profile"))
        return await super().load_user_options()
