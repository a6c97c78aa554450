"""What every lab image must be, notebook or batch tool image: its user, no way to root, labels."""

from __future__ import annotations

from labforge.suites.image.helpers import SETUID_ALLOWED, sh


def test_default_user_is_uid_1000_not_root(image_config, host, settings):
    uid = str(settings.get("uid", 1000))
    assert image_config["User"].split(":")[0] == uid
    user = host.user(settings.get("user", "jovyan"))
    assert user.exists and user.uid == int(uid) and user.uid != 0
    assert user.home == f"/home/{user.name}"


def test_no_sudo(host, settings):
    assert not host.exists("sudo") and not host.file("/usr/bin/sudo").exists
    assert "sudo" not in host.user(settings.get("user", "jovyan")).groups


def test_no_unexpected_setuid_or_setgid_files(host):
    found = set(sh(host, "find / -xdev -type f -perm /6000 2>/dev/null").stdout.split())
    assert found - SETUID_ALLOWED == set()


def test_datasets_are_read_only(host, settings):
    path = settings.get("mounts", {}).get("datasets", "/home/jovyan/datasets")
    datasets = host.file(path)
    assert datasets.is_directory and datasets.uid == 0 and datasets.mode == 0o555


def test_identity_labels(image_config):
    labels = image_config["Labels"]
    for key in ("name", "version", "authorization", "org.opencontainers.image.title",
                "org.opencontainers.image.version", "org.opencontainers.image.created",
                "org.opencontainers.image.vendor"):
        assert labels.get(key), key
