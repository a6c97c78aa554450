"""The catalog file: read whole but bounded (by bytes read, a regular file only), written
atomically, and changed under a lock, so that two verbs run at the same moment both land: the
second reads what the first wrote. The catalog's own rules are checked on every read (model)."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pydantic import ValidationError

from ..core.atomic import write_text
from ..core.errors import LabforgeError, Problem
from .model import Catalog

MAX_BYTES = 16 * 2**20
LOCK_WAIT = 120  # seconds a change waits for another one (a publish's final write takes a moment)


def read_bounded(path: Path, name: str) -> bytes:
    """The file's bytes, at most MAX_BYTES read: a FIFO, a device or a file that grows are refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except FileNotFoundError:
        raise LabforgeError(Problem(name, "release catalog not found", "publish a release first (labforge release "
                                    "publish) or point to the catalog")) from None
    except OSError as exc:
        raise LabforgeError(Problem(name, f"cannot read it: {exc.strerror}", "check the path")) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LabforgeError(Problem(name, "is not a regular file", "point to the catalog's JSON file"))
        data = bytearray()
        while chunk := os.read(fd, 1 << 20):
            data += chunk
            if len(data) > MAX_BYTES:
                raise LabforgeError(Problem(name, f"is larger than {MAX_BYTES // 2**20} MiB",
                                            "a catalog of every release ever published is far smaller: check the file"))
        return bytes(data)
    finally:
        os.close(fd)


def load_catalog(path: Path, display: str | None = None, require_releases: bool = False) -> Catalog:
    name = display or str(path)
    data = read_bounded(path, name)
    try:
        raw = json.loads(data.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise LabforgeError(Problem(name, f"not valid JSON: {exc.msg}", line=exc.lineno)) from None
    except UnicodeDecodeError:
        raise LabforgeError(Problem(name, "not UTF-8 text", "the catalog is JSON in UTF-8")) from None
    except RecursionError:
        raise LabforgeError(Problem(name, "nested too deeply to be a catalog")) from None
    try:
        catalog = Catalog.model_validate(raw)
    except ValidationError as exc:
        raise LabforgeError([
            Problem(name, e["msg"].removeprefix("Value error, "), field=".".join(str(p) for p in e["loc"]))
            for e in exc.errors()
        ]) from None
    if require_releases and not catalog.offered():
        raise LabforgeError(Problem(name, "the catalog lists no supported release",
                                    "publish a release before deploying the hub", field="releases"))
    return catalog


def save_catalog(path: Path, catalog: Catalog) -> None:
    write_text(path, catalog.to_json())


@contextmanager
def locked(path: Path, name: str) -> Iterator[None]:
    """One change at a time: an exclusive lock on the catalog's folder (no lock file left behind;
    the catalog itself is replaced by rename, so it cannot carry the lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise LabforgeError(Problem(name, f"another labforge has been changing it for {LOCK_WAIT} s",
                                                "try again when it is done")) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def change(path: Path, name: str, verb, missing_ok: bool = False) -> tuple[Catalog, Catalog]:
    """Apply `verb(catalog) -> catalog` to the catalog as it is now, under the lock, and write the
    result when it differs; (before, after)."""
    with locked(path, name):
        before = load_catalog(path, name) if (path.exists() or not missing_ok) else Catalog()
        after = verb(before)
        if after.to_json() != before.to_json():
            save_catalog(path, after)
        return before, after
