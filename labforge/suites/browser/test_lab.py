"""The Lab a notebook user meets, in a real browser: launcher, kernel, modules, terminal, Drive.

The tests run in file order on one served image and one browser, as one user's first visit.
"""

from __future__ import annotations

import json
import time

import pytest
from pages import (
    NEWS,
    current_document,
    dialogs,
    kernel_label,
    launcher_kernels,
    menu,
    notifications,
    open_lab,
    run_cell,
    save,
    terminal_run,
    wait_for,
    wait_idle,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

SAVED: dict[str, str] = {}  # the notebook the first tests save, for the last one


def tool_with_versions(facts: dict) -> dict:
    if not facts["with_tools"] or not facts["tools"]:
        pytest.skip("the image has no tools (built with --no-spack)")
    importable = [t for t in facts["tools"] if t["imports"]]
    if not importable:
        pytest.skip("no tool of the release declares a Python import")
    return max(importable, key=lambda t: len(t["versions"]))


def test_lab_loads_with_no_error_dialog_and_no_news_prompt(browser, lab, shots):
    open_lab(browser, lab.session)
    assert dialogs(browser) == []
    assert not [text for text in notifications(browser) if NEWS in text]
    assert NEWS not in browser.find_element(By.TAG_NAME, "body").text
    browser.save_screenshot(str(shots / "launcher.png"))


def test_launcher_shows_the_release_kernel_and_only_it(browser, facts):
    assert launcher_kernels(browser) == [facts["kernel_label"], *([facts["r_kernel_label"]] if facts["r_kernel_label"]
                                                                  else [])]


def test_new_notebook_opens_on_the_release_kernel_without_asking(browser, lab, facts):
    open_lab(browser, lab.session, "drive")
    menu(browser, "File", "New", "Notebook")
    assert kernel_label(browser) == facts["kernel_label"]
    assert dialogs(browser) == []  # no "Select Kernel"
    wait_idle(browser)
    assert run_cell(browser, "import os; print(os.environ['LAB_RELEASE'])").strip() == facts["id"]
    SAVED["name"] = current_document(browser)
    save(browser)
    saved = json.loads((lab.session.folders["drive"] / SAVED["name"]).read_text())
    assert saved["metadata"]["kernelspec"]["name"] == facts["kernel"]
    assert "LAB_RELEASE" in "".join(saved["cells"][0]["source"])


def test_a_tool_imports_at_its_release_default(browser, facts):
    tool = tool_with_versions(facts)
    name = tool["imports"][0]
    assert run_cell(browser, f"import {name}; print({name}.__version__)").strip() == tool["default"]


def panel_labels(browser, section: str) -> list[str]:
    return [s.text.removesuffix("(default)") for s in
            browser.find_elements(By.CSS_SELECTOR, f"#module-jupyterlab #{section} .jp-Module-itemLabel")]


def test_modules_panel_shows_the_defaults_loaded_and_every_version(browser, facts, shots):
    tool_with_versions(facts)
    wait_for(browser, '.lm-TabBar-tab[data-id="module-jupyterlab"]', 30).click()
    wait_for(browser, "#module-jupyterlab #module_avail_list", 30)
    defaults = {f"{t['package']}/{t['default']}" for t in facts["tools"]}
    every = {f"{t['package']}/{v}" for t in facts["tools"] for v in t["versions"]}
    WebDriverWait(browser, 60).until(lambda _: set(panel_labels(browser, "module_loaded_list")) >= defaults)
    shown = set(panel_labels(browser, "module_loaded_list")) | set(panel_labels(browser, "module_avail_list"))
    assert shown >= every, shown
    # tools only: no spack internals with hashes (python/3.11.2-4uehvdi) among the loaded ones
    assert set(panel_labels(browser, "module_loaded_list")) <= every, panel_labels(browser, "module_loaded_list")
    browser.save_screenshot(str(shots / "modules.png"))


def test_a_version_loaded_in_the_panel_reaches_restarted_and_new_kernels(browser, facts, shots):
    tool = tool_with_versions(facts)
    name, package = tool["imports"][0], tool["package"]
    other = next((v for v in tool["versions"] if v != tool["default"]), None)
    if other is None:
        pytest.skip("no tool of the release has two versions")
    item = next(li for li in browser.find_elements(By.CSS_SELECTOR, "#module-jupyterlab #module_avail_list li")
                if li.find_element(By.CSS_SELECTOR, "span").text.removesuffix("(default)") == f"{package}/{other}")
    # the Load button shows on hover, as for a user with a mouse
    ActionChains(browser).move_to_element(item).pause(0.5).click(item.find_element(By.CSS_SELECTOR, "button")).perform()
    WebDriverWait(browser, 60).until(lambda _: f"{package}/{other}" in panel_labels(browser, "module_loaded_list"))
    assert f"{package}/{tool['default']}" not in panel_labels(browser, "module_loaded_list")
    # jupyterlmod shows Lmod's note on the swap ("reloaded with a version change"): the user clicks Ok
    note = wait_for(browser, ".jp-Dialog", 20)
    assert f"{package}/{tool['default']} => {package}/{other}" in note.text
    note.find_element(By.CSS_SELECTOR, ".jp-mod-accept").click()
    # This notebook's kernel imported the default; restarted, it gets the server's environment as
    # it is now (lab_kernels.py), with the version chosen in the panel. So does a new kernel.
    menu(browser, "Kernel", "Restart Kernel")
    wait_for(browser, ".jp-Dialog .jp-mod-accept", 20).click()
    time.sleep(2)
    wait_idle(browser)
    seen = run_cell(browser, f"import {name}; print({name}.__version__)")
    assert seen.strip() == other, seen
    menu(browser, "File", "New", "Notebook")
    assert kernel_label(browser) == facts["kernel_label"]
    wait_idle(browser)
    seen = run_cell(browser, f"import {name}; print({name}.__version__)")
    assert seen.strip() == other, seen
    save(browser)
    browser.save_screenshot(str(shots / "notebook.png"))


def test_terminal_has_modules_and_lab_token_explains_itself(browser, lab, facts):
    """Typed into a Lab terminal; the output goes to a Drive file the test reads on the host."""
    open_lab(browser, lab.session)
    written = lab.session.folders["drive"] / ".terminal.txt"
    terminal_run(browser, "(module -t list; echo ---; module -t avail; echo ---; lab-token; echo exit=$?) "
                          "> drive/.terminal.txt 2>&1")
    for _ in range(60):
        if written.is_file() and "exit=" in written.read_text():
            break
        time.sleep(1)
    listed, avail, token = written.read_text().split("---\n")
    assert "works in a notebook server started by the Lab's hub" in token and "exit=1" in token, token
    assert "Traceback" not in token
    if facts["with_tools"]:  # the server's tools reach its terminals; every version is there
        for tool in facts["tools"]:
            assert f"{tool['package']}/" in listed, listed
            for version in tool["versions"]:
                assert f"{tool['package']}/{version}" in avail, avail


def test_a_notebook_saved_in_the_drive_is_there_after_a_restart(browser, lab):
    name = SAVED.get("name") or pytest.skip("no notebook was saved by the tests before")
    session = lab.restart()
    assert (session.folders["drive"] / name).is_file()
    open_lab(browser, session, "drive")
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".jp-DirListing-itemText")]
    assert name in names


def test_a_users_environment_has_a_kernel_at_once_and_after_a_restart(browser, lab, shots):
    """`lab-env create` in a terminal: after a reload (no server restart) the launcher offers the
    environment's kernel, which imports the user's package; a restarted server offers it again."""
    import shutil

    from labforge.suites.image.helpers import wheel

    drive = lab.session.folders["drive"]
    (drive / "wheels").mkdir(exist_ok=True)
    wheel(drive / "wheels", "labenvdemo", "1.0")
    open_lab(browser, lab.session)
    terminal_run(browser, "lab-env create mine --no-index --wheel ~/drive/wheels/labenvdemo-1.0-py3-none-any.whl")
    WebDriverWait(browser, 180).until(lambda _: (drive / ".lab-envs/kernels/lab-env-mine/kernel.json").is_file())
    open_lab(browser, lab.session)
    assert "mine (environment)" in launcher_kernels(browser)
    browser.find_element(By.CSS_SELECTOR, '.jp-LauncherCard[data-category="Notebook"][title="mine (environment)"]').click()
    assert kernel_label(browser) == "mine (environment)"
    wait_idle(browser)
    assert run_cell(browser, "import labenvdemo; print(labenvdemo.__version__)").strip() == "1.0"
    browser.save_screenshot(str(shots / "environment.png"))
    session = lab.restart()
    open_lab(browser, session)
    assert "mine (environment)" in launcher_kernels(browser)
    shutil.rmtree(drive / ".lab-envs")  # the later tests see the release's kernels only


def test_the_r_kernel_runs_the_releases_r_with_irkernel(browser, lab, facts, shots):
    """A release with R tools: its R kernel (IRkernel, R from the release's modules) runs a cell."""
    if not facts["r_kernel_label"]:
        pytest.skip("the release has no R tools")
    r = next(t for t in facts["tools"] if t["package"] == "r")
    open_lab(browser, lab.session, "drive")
    browser.find_element(By.CSS_SELECTOR, f'.jp-LauncherCard[data-category="Notebook"]'
                                          f'[title="{facts["r_kernel_label"]}"]').click()
    assert kernel_label(browser) == facts["r_kernel_label"]
    wait_idle(browser)
    found = run_cell(browser, 'cat(paste(R.version$major, R.version$minor, sep="."), Sys.getenv("LAB_RELEASE"))')
    assert found.split() == [r["default"], facts["id"]], found
    browser.save_screenshot(str(shots / "r-kernel.png"))


NOTICE = "Release X is deprecated: it can be started until 2099-03-31; move to release Y."


def test_a_deprecated_releases_notice_shows_in_the_kernel_name_and_first_cell(browser, lab, facts, shots):
    """As the hub's profile of a deprecated release serves it (LAB_RELEASE_NOTICE): the kernel's name
    says so in the launcher and the notebook, and the first cell prints the notice, once."""
    session = lab.restart(env={"LAB_RELEASE_NOTICE": NOTICE})
    open_lab(browser, session)
    assert f"{facts['kernel_label']} (deprecated)" in launcher_kernels(browser)
    menu(browser, "File", "New", "Notebook")
    assert kernel_label(browser) == f"{facts['kernel_label']} (deprecated)"
    wait_idle(browser)
    first = run_cell(browser, "print('first')")
    assert f"Notice: {NOTICE}" in first and "first" in first, first
    assert "Notice" not in run_cell(browser, "print('second')")
    browser.save_screenshot(str(shots / "deprecated.png"))
