"""labforge-releases: the hub's spawner, KubeSpawner knowing the lab's releases.

Run by the hub as part of jupyterhub_config.py (hub.extraConfig, infra/hub/values.py), after
`RETIRED_RELEASES` (profile slug -> message, infra/hub/profiles.py) is set. It adds two things:

- A request for a retired release is answered with the release to use: a saved spawn URL
  (`/hub/spawn?profile=release-2026-05`) or a form naming one gets the spawn page again with the
  message on top; a server whose last options named one fails to start with it, instead of
  KubeSpawner's "No such profile".
- Each server's state records the release and image it runs (`labforge_release`,
  `labforge_image`), kept after it stops: `labforge hub usage` reads them through the REST API.
"""

from kubespawner import KubeSpawner

RETIRED_RELEASES: dict = {}  # replaced by the hub's configuration


def refuse_retired(slug):
    if slug in RETIRED_RELEASES:
        raise ValueError(RETIRED_RELEASES[slug])


class ReleaseRecord:
    """Mixin for a spawner whose profiles set `image` and LAB_RELEASE: both go into its state."""

    labforge_release = None
    labforge_image = None

    def note_release(self):
        self.labforge_release = (self.environment or {}).get("LAB_RELEASE")
        self.labforge_image = self.image

    def get_state(self):
        state = super().get_state()
        if self.labforge_image:
            state.update(labforge_release=self.labforge_release, labforge_image=self.labforge_image)
        return state

    def load_state(self, state):
        # clear_state (at stop) leaves these: what ran last stays known until the next start.
        super().load_state(state)
        self.labforge_release = state.get("labforge_release", self.labforge_release)
        self.labforge_image = state.get("labforge_image", self.labforge_image)


class LabSpawner(ReleaseRecord, KubeSpawner):
    """KubeSpawner (all its configuration applies) that knows the lab's releases."""

    def _options_from_form(self, formdata):
        refuse_retired((formdata.get("profile") or [None])[0])
        return super()._options_from_form(formdata)

    async def load_user_options(self):
        refuse_retired((self.user_options or {}).get("profile"))
        result = await super().load_user_options()
        self.note_release()
        return result
