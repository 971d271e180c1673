"""Debian's Chromium, headless and offline, for the tests that open the pages we write.

Flags as the machine's notes give them: without the background-networking ones Chromium keeps
trying Google's hosts, which this machine's closed network refuses. A fresh profile per use.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def offline_chromium():
    """A Playwright browser context on /usr/bin/chromium with the network off (``offline=True``)."""
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run scripts/install_browser.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, offline=True,
            viewport={"width": 1360, "height": 900}, args=ARGS)
        try:
            yield context
        finally:
            context.close()
