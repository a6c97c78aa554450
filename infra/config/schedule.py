"""Cron schedules, read as cron reads them (croniter): five fields, each in its range; an hour of
25 or a day of 32 is refused where the stack config is read, not by the cluster at apply time."""

from __future__ import annotations

import re
from typing import Annotated

from croniter import croniter
from pydantic import AfterValidator

FIELDS = re.compile(r"[0-9*/,-]+( [0-9*/,-]+){4}", re.ASCII)


def cron(value: str) -> str:
    if not FIELDS.fullmatch(value) or not croniter.is_valid(value):
        raise ValueError(f"{value[:60]!r} is not a cron schedule of five fields (minute hour day month weekday), "
                         "e.g. '30 5 * * *'")
    return value


Schedule = Annotated[str, AfterValidator(cron)]
