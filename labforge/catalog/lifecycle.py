"""A release's life in the catalog: which one is the default, deprecating one, retiring one.

Each verb takes the catalog and returns the new one, or raises LabforgeError with the reason;
the command line writes it to releases/catalog.json, a change reviewed in a merge request (and
shown by `make plan AGAINST=...`) before `pulumi up` brings it to the hub.
"""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from ..core.errors import LabforgeError, Problem
from .model import Catalog, CatalogEntry, Deprecation, Retirement


class Verb:
    """The catalog under change, and where it came from (for the error lines)."""

    def __init__(self, catalog: Catalog, shown: str):
        self.catalog, self.shown = catalog, shown

    def fail(self, field: str, message: str, hint: str = "") -> LabforgeError:
        return LabforgeError(Problem(self.shown, message, hint, field=field))

    def published(self, release_id: str) -> CatalogEntry:
        entry = self.catalog.entry(release_id)
        if entry is None:
            known = ", ".join(r.id for r in self.catalog.releases) or "none"
            raise self.fail("releases", f"release {release_id} is not published",
                            f"publish it first (labforge release publish {release_id}); published: {known}")
        return entry

    def replacement(self, release_id: str, use: str | None) -> str:
        """The release to suggest instead of `release_id`: `use`, else the default."""
        default = self.catalog.default_entry()
        chosen = use or (default.id if default and default.id != release_id else None)
        if chosen is None:
            others = [r for r in self.catalog.stable() if r.id != release_id]
            chosen = others[0].id if others else None
        if chosen is None:
            raise self.fail("releases", f"release {release_id} is the only supported release",
                            "publish its successor first: users need a release to move to")
        entry = self.published(chosen)
        if chosen == release_id or entry.status != "supported":
            raise self.fail("--use", f"{chosen} cannot replace {release_id}: it is "
                            f"{'the same release' if chosen == release_id else entry.status}",
                            "name another supported release")
        return chosen

    def others_supported(self, release_id: str) -> None:
        if not [r for r in self.catalog.supported() if r.id != release_id]:
            raise self.fail("releases", f"release {release_id} is the only supported release",
                            "publish its successor first: users need a release to move to")

    def changed(self, release_id: str, **update) -> list[CatalogEntry]:
        return [r.model_copy(update=update) if r.id == release_id else r for r in self.catalog.releases]


def make_default(catalog: Catalog, shown: str, release_id: str) -> Catalog:
    """New servers start `release_id` (a rollback, or holding back a fresh release) until
    `newest_default`."""
    verb = Verb(catalog, shown)
    entry = verb.published(release_id)
    if entry.channel != "stable":
        raise verb.fail("releases", "the experimental channel cannot be the default", "name a stable release")
    if entry.status != "supported":
        raise verb.fail("releases", f"release {release_id} is {entry.status}: it cannot be the default",
                        f"publish it again (labforge release publish {release_id}) to support it anew")
    return catalog.with_releases(list(catalog.releases), pinned=release_id)


def newest_default(catalog: Catalog, shown: str) -> Catalog:
    """Back to the rule: the newest supported stable release is the default."""
    return catalog.with_releases(list(catalog.releases), pinned=None)


def deprecate(catalog: Catalog, shown: str, release_id: str, until: dt.date, use: str | None,
              message: str | None, today: dt.date) -> Catalog:
    """Still offered until `until`, marked, with the release to use instead and a notice."""
    verb = Verb(catalog, shown)
    entry = verb.published(release_id)
    if entry.status == "retired":
        raise verb.fail("releases", f"release {release_id} is retired already", "nothing to deprecate")
    if until <= today:
        raise verb.fail("--until", f"{until} is not after today ({today})",
                        "give the last day users may still start it, e.g. three months ahead")
    if catalog.pinned_default == release_id:
        raise verb.fail("pinned_default", f"release {release_id} is the pinned default",
                        "make another release the default first (labforge catalog default ID or --newest)")
    verb.others_supported(release_id)
    instead = verb.replacement(release_id, use)
    try:
        deprecation = Deprecation(until=until.isoformat(), use=instead, message=message or None)
    except ValidationError:  # the date and ids are checked above: it is the message
        raise verb.fail("--message", "must be one line of at most 300 characters without < or >",
                        "it is shown on the spawn page and in the Lab") from None
    return catalog.with_releases(verb.changed(release_id, status="deprecated", deprecation=deprecation))


def retire(catalog: Catalog, shown: str, release_id: str, today: dt.date) -> Catalog:
    """Off the spawn page; a saved spawn URL or a named server on it gets the replacement's name."""
    verb = Verb(catalog, shown)
    entry = verb.published(release_id)
    if entry.status == "retired":
        raise verb.fail("releases", f"release {release_id} is retired already", "nothing to do")
    if entry.default or catalog.pinned_default == release_id:
        raise verb.fail("releases", f"release {release_id} is the default",
                        "make another release the default first (labforge catalog default ID)")
    verb.others_supported(release_id)
    suggested = entry.deprecation.use if entry.deprecation else None
    if suggested and (other := catalog.entry(suggested)) is not None and other.status != "supported":
        suggested = None  # the release once suggested is gone too: suggest the default
    instead = verb.replacement(release_id, suggested)
    retirement = Retirement(since=today.isoformat(), use=instead)
    return catalog.with_releases(verb.changed(release_id, status="retired", retirement=retirement))
