"""labforge-releases: the hub's spawner, KubeSpawner knowing the lab's releases.

Run by the hub as part of jupyterhub_config.py (hub.extraConfig, infra/hub/values.py), after
`RETIRED_RELEASES` (profile slug -> message, infra/hub/profiles.py) is set. It adds two things:

- A request for a retired release is answered with the release to use: a saved spawn URL
  (`/hub/spawn?profile=release-2026-05`) or a form naming one gets the spawn page again with the
  message on top; a server whose last options named one fails to start with it, instead of
  KubeSpawner's "No such profile".
- Each server's state records the release and image it runs (`labforge_release`,
  `labforge_image`), kept after it stops: `labforge hub usage` reads them through the REST API.
- The hub's /hub/metrics gains `labforge_servers{release, image, state}`: the servers the hub
  holds (running or starting) per release and image, counted at each scrape.
"""

from collections import Counter

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


class ReleaseServers:
    """A Prometheus collector over the hub's own spawners (the users it holds in memory: every
    user with a running or starting server)."""

    def describe(self):
        yield self.family()

    @staticmethod
    def family():
        from prometheus_client.core import GaugeMetricFamily

        return GaugeMetricFamily("labforge_servers", "Servers the hub holds, per release and image",
                                 labels=["release", "image", "state"])

    def collect(self):
        from jupyterhub.app import JupyterHub

        family = self.family()
        app = JupyterHub.instance() if JupyterHub.initialized() else None
        ready = app is not None and bool(app.tornado_settings)  # the hub has loaded its users
        counts = Counter()
        for user in list(app.users.values()) if ready else []:
            for spawner in list(user.spawners.values()):
                state = "running" if spawner.ready else "starting" if spawner.pending == "spawn" else None
                image = getattr(spawner, "labforge_image", None)
                if state and image:
                    counts[(getattr(spawner, "labforge_release", None) or "unknown", image, state)] += 1
        for labels, count in sorted(counts.items()):
            family.add_metric(list(labels), count)
        yield family


def register_release_servers():
    from prometheus_client import REGISTRY

    try:
        REGISTRY.register(ReleaseServers())
    except ValueError:  # the configuration ran twice in one process (the tests)
        pass
