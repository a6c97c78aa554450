"""JupyterLab 4 as a user drives it: menus, launcher cards, notebook cells, the terminal.

CSS classes are JupyterLab's own (`jp-*`, Lumino's `lm-*`) and jupyterlmod's panel ids.
"""

from __future__ import annotations

import time

from selenium.common.exceptions import (
    ElementNotInteractableException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

NEWS = "official Jupyter news"


def headless_chromium(chromium: str, chromedriver: str, size: str = "1280,800"):
    """Debian's chromium driven through its own chromedriver (no browser download), headless."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={size}",
                "--disable-gpu", "--no-first-run"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def wait_for(driver, css: str, seconds: float = 60):
    return WebDriverWait(driver, seconds).until(ready.visibility_of_element_located((By.CSS_SELECTOR, css)))


def open_lab(driver, session, path: str = "") -> None:
    """The Lab, its file browser in `path` (e.g. "drive"), once the launcher or a document shows."""
    tree = f"/tree/{path}" if path else ""
    driver.get(f"{session.base}/lab{tree}?token={session.token}&reset")
    wait_for(driver, "#jp-main-dock-panel", 120)
    wait_for(driver, ".jp-DirListing-content", 60)
    time.sleep(3)  # JupyterLab raises its notifications (the news prompt among them) after start


def dialogs(driver) -> list[str]:
    return [d.text for d in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog") if d.is_displayed()]


def notifications(driver) -> list[str]:
    return [t.text for t in driver.find_elements(By.CSS_SELECTOR, ".Toastify__toast, .jp-Notification-Toast")
            if t.is_displayed()]


def menu(driver, *path: str) -> None:
    """Click through the menu bar: menu(driver, "File", "New", "Notebook")."""
    top = next(item for item in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel")
               if item.text == path[0])
    top.click()
    for index, label in enumerate(path[1:], start=1):
        wait_for(driver, ".lm-Menu", 10)
        found = None
        for _ in range(20):
            found = next((item for item in driver.find_elements(By.CSS_SELECTOR, ".lm-Menu .lm-Menu-item")
                          if item.is_displayed() and item.find_element(By.CSS_SELECTOR, ".lm-Menu-itemLabel")
                          .text.rstrip("…").strip() == label), None)
            if found:
                break
            time.sleep(0.25)
        assert found is not None, f"no menu item {' > '.join(path[:index + 1])}"
        if index < len(path) - 1:
            ActionChains(driver).move_to_element(found).perform()
            time.sleep(0.5)
        else:
            found.click()


def launcher_kernels(driver) -> list[str]:
    wait_for(driver, ".jp-Launcher", 60)
    return [card.get_attribute("title") or card.text
            for card in driver.find_elements(By.CSS_SELECTOR, '.jp-LauncherCard[data-category="Notebook"]')]


def kernel_label(driver) -> str:
    """The kernel name in the active notebook's toolbar, once a kernel is connected."""
    def named(d):
        labels = [e.text for e in d.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) "
                                                                     ".jp-Toolbar-kernelName") if e.is_displayed()]
        return labels[0] if labels and labels[0] not in ("", "No Kernel", "Kernel") else False
    return WebDriverWait(driver, 90).until(named)


def wait_idle(driver, seconds: float = 180) -> None:
    WebDriverWait(driver, seconds).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, '.jp-NotebookPanel:not(.lm-mod-hidden) [data-status="idle"]'))


def run_cell(driver, code: str, seconds: float = 180) -> str:
    """Type `code` into a new cell at the end of the active notebook, run it, return its output."""
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"

    def last_editor(_):
        # Right after File > New the notebook being left may still be the visible panel for a
        # moment: wait for an editor that can take a click
        cells = driver.find_elements(By.CSS_SELECTOR, f"{panel} .jp-CodeCell")
        try:
            editor = cells[-1].find_element(By.CSS_SELECTOR, ".cm-content") if cells else None
            return (cells[-1], editor) if editor and editor.is_displayed() and editor.is_enabled() else False
        except (StaleElementReferenceException, NoSuchElementException):
            return False
    cell, editor = WebDriverWait(driver, 30).until(last_editor)
    if editor.text.strip():  # the last cell is used: add one below
        editor.click()
        ActionChains(driver).send_keys(Keys.ESCAPE).send_keys("b").perform()
        time.sleep(0.5)
        cell = driver.find_elements(By.CSS_SELECTOR, f"{panel} .jp-CodeCell")[-1]
        editor = cell.find_element(By.CSS_SELECTOR, ".cm-content")
    WebDriverWait(driver, 30, ignored_exceptions=(ElementNotInteractableException,)).until(
        lambda _: editor.click() or True)
    editor.send_keys(code)
    ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()

    def finished(_):
        prompt = cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").text
        return prompt if prompt.strip() not in ("[ ]:", "[*]:", "") else False
    WebDriverWait(driver, seconds).until(finished)
    return "\n".join(o.text for o in cell.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output"))


def current_document(driver) -> str:
    """The name on the active main-area tab (e.g. "Untitled1.ipynb" in a Drive that had one)."""
    tab = driver.find_element(By.CSS_SELECTOR, "#jp-main-dock-panel .lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel")
    return tab.text


def save(driver) -> None:
    """Ctrl+S; the first save of an untitled notebook asks for a name: keep it, as users mostly do."""
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
    time.sleep(1)
    for button in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog .jp-mod-accept"):
        if button.is_displayed() and "Save" in button.text:
            button.click()
    WebDriverWait(driver, 30).until(lambda d: not d.find_elements(
        By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-mod-dirty, .lm-TabBar-tab.jp-mod-current.jp-mod-dirty"))
    time.sleep(1)


def terminal_run(driver, command: str) -> None:
    """Open a terminal from the launcher and type a command into it."""
    card = wait_for(driver, '.jp-LauncherCard[data-category="Other"][title*="terminal"]', 60)
    card.click()
    area = WebDriverWait(driver, 60).until(ready.presence_of_element_located(
        (By.CSS_SELECTOR, ".jp-Terminal:not(.lm-mod-hidden) .xterm-helper-textarea")))
    time.sleep(3)  # the shell's prompt
    area.send_keys(command + "\n")
