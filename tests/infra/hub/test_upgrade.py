"""Upgrading the lab, rehearsed in the runbook's order ("Upgrade the lab"): a hub database made by
the previous JupyterHub major (4.1.6, in a venv of its own) is backed up first, refused by the
current hub until it is upgraded, upgraded by `jupyterhub upgrade-db` (what z2jh's hub.db.upgrade
runs), and then served: its users and their API tokens work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.backups import backup, repository
from tests.helpers.lab_hub import lab_hub
from tests.helpers.project import REPO

JH4 = REPO / "build" / "tools" / "jupyterhub4" / "bin" / "python"
pytestmark = [pytest.mark.drills,
              pytest.mark.skipif(not JH4.exists(), reason="JupyterHub 4 is installed by 'make tools'"),
              pytest.mark.skipif(not shutil.which("restic"), reason="restic is installed by 'make system'")]

MAKE_OLD_DATABASE = """
import sys
from jupyterhub import orm, __version__
assert __version__.startswith("4."), __version__
db = orm.new_session_factory(sys.argv[1])()
db.add(orm.OAuthClient(identifier="jupyterhub"))  # what the hub makes of itself at its first start
for name in ("alice", "bob"):
    db.add(orm.User(name=name))
db.commit()
alice = db.query(orm.User).filter_by(name="alice").one()
print(alice.new_api_token(note="analysis script", expires_in=30 * 86400))
"""


def test_a_jupyterhub_4_database_is_backed_up_upgraded_and_served(tmp_path):
    folder = tmp_path / "hub"
    folder.mkdir()
    database = folder / "hub.sqlite"
    made = subprocess.run([str(JH4), "-c", MAKE_OLD_DATABASE, f"sqlite:///{database}"], capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    # 1. backup first
    (folder / "lab-share").mkdir()
    saved = backup(repository(tmp_path / "repo"), "hub", "--db", str(database),
                   "--grants", str(folder / "lab-share" / "grants.json"))
    assert saved.returncode == 0 and "database version" in saved.stdout, saved.stderr
    # 2. the current hub refuses the old schema rather than run on it
    refused = subprocess.run([sys.executable, "-m", "jupyterhub", f"--JupyterHub.db_url=sqlite:///{database}",
                              "--JupyterHub.authenticator_class=dummy", "--JupyterHub.hub_port=0"],
                             cwd=folder, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "upgrade-db" in refused.stdout + refused.stderr
    # 3. upgrade-db: the schema moves to the current one, a copy of the old file is kept beside it
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"  # it runs alembic, as in the hub's image
    upgraded = subprocess.run([sys.executable, "-m", "jupyterhub", "upgrade-db", f"--db=sqlite:///{database}"],
                              cwd=folder, capture_output=True, text=True, timeout=120, env={**os.environ, "PATH": path})
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert [p for p in folder.iterdir() if p.name.startswith("hub.sqlite.") and p.is_file()]
    # 4. served by the current hub: the users are there and the old token works
    with lab_hub(folder, []) as hub:
        request = urllib.request.Request(f"{hub.url}/hub/api/user", headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200 and b'"name":"alice"' in answer.read().replace(b" ", b"")
