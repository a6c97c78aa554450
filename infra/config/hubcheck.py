"""Stack configuration of the release check in the deployed hub (`labforge:hub.check`, off by
default): a CronJob that runs `labforge hub check` (README "Know that each release works")."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import _Model
from .schedule import Schedule


class HubCheck(_Model):
    enabled: bool = False
    # When: five cron fields, in the cluster's time zone; the default is early morning.
    schedule: Schedule = "30 5 * * *"
    # An image with labforge installed (e.g. the lab's CI image), pinned by tag or digest.
    image: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9._/:@-]*[a-z0-9]$")
    user: str = Field("labforge-check", pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    timeout: int = Field(300, ge=60, le=3600)

    @model_validator(mode="after")
    def _image_when_enabled(self) -> "HubCheck":
        if self.enabled and not self.image:
            raise ValueError("hub.check.enabled needs hub.check.image: an image with labforge installed")
        if self.image and (self.image.endswith(":latest") or ":" not in self.image.rsplit("/", 1)[-1]
                           and "@" not in self.image):
            raise ValueError(f"hub.check.image {self.image!r} must be pinned by a tag other than latest, or a digest")
        return self
