"""Metrics pushed to the lab's Prometheus Pushgateway by commands that end (hub check, builds):
Prometheus' text format, one group per job (`PUT /metrics/job/JOB`, which replaces the group's
previous values), sent only where one is configured (--pushgateway or LABFORGE_PUSHGATEWAY). A
Pushgateway that does not answer costs one line on stderr, never the command's result."""

from __future__ import annotations

import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

ENV = "LABFORGE_PUSHGATEWAY"
NAME = re.compile(r"[a-z_][a-z0-9_]*", re.ASCII)


@dataclass
class Metrics:
    """Gauges to push: name -> help, and samples (name, labels, value)."""
    help: dict[str, str] = field(default_factory=dict)
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def gauge(self, name: str, text: str, value: float, **labels: str) -> None:
        assert NAME.fullmatch(name) and all(NAME.fullmatch(k) for k in labels), name
        self.help.setdefault(name, text)
        self.samples.append((name, labels, float(value)))

    def text(self) -> str:
        lines = []
        for name, text in self.help.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge"]
            for sample, labels, value in self.samples:
                if sample == name:
                    shown = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
                    lines.append(f"{name}{{{shown}}} {value!r}" if shown else f"{name} {value!r}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def pushgateway(given: str | None) -> str | None:
    return given or os.environ.get(ENV) or None


def push(url: str | None, job: str, metrics: Metrics, timeout: float = 10, **group: str) -> bool:
    """Replace the group (job, and `group`'s labels) on the Pushgateway at `url` (nothing when
    None); False when it failed."""
    if not url:
        return False
    path = "".join(f"/{key}/{urllib.parse.quote(value, safe='')}" for key, value in sorted(group.items()))
    request = urllib.request.Request(f"{url.rstrip('/')}/metrics/job/{job}{path}", data=metrics.text().encode(),
                                     method="PUT", headers={"Content-Type": "text/plain; version=0.0.4"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "code", None) or exc.__class__.__name__
        print(f"warning: the Pushgateway at {url} did not take the {job} metrics ({reason})", file=sys.stderr)
        return False
