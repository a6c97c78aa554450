"""The hub's spawn page as users see it: the profile list labforge makes from the catalog,
rendered by KubeSpawner 7.0's own form in a real JupyterHub 5.5 process, opened in Debian's
chromium. No cluster: KubeSpawner reads a kubeconfig pointing nowhere and the page needs
nothing more; the proxy is an in-memory stand-in (tests/helpers/hub_standins.py)."""

from __future__ import annotations

import json
import shutil

import pytest

from infra.config.stack import GpuNodes, Resources
from infra.hub.profiles import profile_list
from infra.hub.values import releases_extra_config
from labforge.catalog.lifecycle import make_default
from tests.helpers.lab_hub import REPO, catalog, lab_hub

pytest.importorskip("kubespawner", reason="jupyterhub-kubespawner is in the venv (make venv)")
pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                                reason="chromium and chromium-driver are installed by 'make system'")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hub")
    profiles = profile_list(catalog(), Resources(), gpu=GpuNodes())
    # The list is read at each page view, so a test can change the catalog's state under the hub.
    (folder / "profiles.json").write_text(json.dumps(profiles))
    lines = ["c.JupyterHub.spawner_class = 'kubespawner.KubeSpawner'", "import json",
             f"c.KubeSpawner.profile_list = lambda spawner: json.load(open({str(folder / 'profiles.json')!r}))",
             "c.DummyAuthenticator.password = 'labforge'"]
    with lab_hub(folder, lines, releases_extra_config(catalog())) as running:
        yield running.url, profiles, folder


@pytest.fixture(scope="module")
def page(hub):
    from selenium.webdriver.common.by import By

    from labforge.suites.browser.pages import headless_chromium

    driver = headless_chromium(shutil.which("chromium"), shutil.which("chromedriver"), size="1100,900")
    url = hub[0]
    driver.get(f"{url}/hub/login")
    driver.find_element(By.ID, "username_input").send_keys("ada")
    driver.find_element(By.ID, "password_input").send_keys("labforge")
    driver.find_element(By.ID, "login_submit").click()
    driver.get(f"{url}/hub/spawn")
    yield driver
    driver.quit()


def test_spawn_page_offers_the_default_release_first_then_past_experimental_and_gpu(page, hub):
    from selenium.webdriver.common.by import By

    profiles = hub[1]
    shots = REPO / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.save_screenshot(str(shots / "spawn-page.png"))
    radios = page.find_elements(By.CSS_SELECTOR, "form input[type=radio][name=profile]")
    assert [r.get_attribute("value") for r in radios] == [p["slug"] for p in profiles]
    assert [p["slug"] for p in profiles] == ["latest", "latest-gpu", "release-2026-05", "release-2025-11",
                                             "experimental"]
    checked = [r.get_attribute("value") for r in radios if r.is_selected()]
    assert checked == ["latest"]  # the default release, preselected
    text = page.find_element(By.TAG_NAME, "form").text
    for profile in profiles:
        assert profile["display_name"] in text and profile["description"] in text


def test_a_deprecated_release_is_offered_marked_with_its_end_and_successor(page, hub):
    from selenium.webdriver.common.by import By

    page.get(f"{hub[0]}/hub/spawn")
    label = page.find_element(By.CSS_SELECTOR, "label[for=profile-item-release-2025-11]").text
    assert "Release 2025.11 (deprecated)" in label
    assert "can be started until 2099-03-31; move to release 2026.11. NumPy 1 notebooks: see the wiki." in label


def test_a_saved_spawn_url_of_a_retired_release_names_the_replacement(page, hub):
    from selenium.webdriver.common.by import By

    for suffix in ("", "-gpu"):
        page.get(f"{hub[0]}/hub/spawn?profile=release-2025-05{suffix}")
        text = page.find_element(By.TAG_NAME, "body").text
        assert "Release 2025.05 was retired on 2026-11-29 and can no longer be started: choose release 2026.11" \
            in text, text[:500]
        assert "Latest (2026.11)" in text  # the form is there, to choose again
        assert "No such profile" not in text and "500" not in page.title


def test_a_pinned_default_is_preselected_as_recommended(page, hub):
    """`labforge catalog default 2026.05` (a rollback): the spawn page preselects it."""
    from selenium.webdriver.common.by import By

    url, before, folder = hub
    pinned = profile_list(make_default(catalog(), "catalog", "2026.05"), Resources(), gpu=GpuNodes())
    (folder / "profiles.json").write_text(json.dumps(pinned))
    try:
        page.get(f"{url}/hub/spawn")
        radios = page.find_elements(By.CSS_SELECTOR, "form input[type=radio][name=profile]")
        assert [r.get_attribute("value") for r in radios if r.is_selected()] == ["latest"]
        text = page.find_element(By.TAG_NAME, "form").text
        assert "Recommended (2026.05)" in text and "Release 2026.11" in text and "Latest (" not in text
    finally:
        (folder / "profiles.json").write_text(json.dumps(before))
