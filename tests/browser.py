"""Debian's chromium, driven by chromium-driver through selenium, for the report's browser tests and benchmark.

Chromium runs as root here, on a machine whose network is closed: it needs no sandbox, no GPU, and none of its
background connections (component updates, sync, first-run tasks), and a profile of its own each time. When
chromium, its driver or selenium is missing, ``unavailable()`` says which, so the tests skip with that reason
(``make sysdeps`` installs the Debian packages; selenium is a dev dependency).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage")


def unavailable() -> str | None:
    """Why the browser cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if missing:
        return (f"{' and '.join(missing)} not found: install the Debian packages chromium and chromium-driver "
                "(make sysdeps does)")
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless chromium with its console and network logs recorded; quit on the way out."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="auditpack-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(shutil.which("chromium"))
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=str(shutil.which("chromedriver"))),
                                  options=options)
        try:
            yield driver
        finally:
            driver.quit()


def requests_made(driver: Any) -> list[tuple[str, str]]:
    """Every request chromium logged since the last call, as (URL, URL of the document that made it), from
    the DevTools network events. Chromium's own pages (``chrome://``) load alongside any page; the caller
    tells them apart by the document."""
    import json

    made = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            params = message["params"]
            made.append((params["request"]["url"], params.get("documentURL", "")))
    return made
