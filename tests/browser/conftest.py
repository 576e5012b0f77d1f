"""Headless Chromium (Debian's `chromium`) driven by Playwright, never a downloaded browser.

`scripts/test` installs both; elsewhere these tests skip with that reason (and fail under
CI, which must run them). Each test gets a fresh profile; screenshots go to the test's
tmp_path, which is printed.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("ROLLBACK_RATE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def browser_context(tmp_path: Path) -> Iterator[Any]:
    """A fresh Chromium profile at 1280 x 900; dialogs (alert()) are recorded, then fail."""
    if importlib.util.find_spec("playwright") is None or not os.path.exists(CHROMIUM):
        reason = f"browser tests need playwright and {CHROMIUM} (scripts/test installs both)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        context.dialogs = []  # type: ignore[attr-defined]
        context.errors = []  # type: ignore[attr-defined]
        context.shots = shots  # type: ignore[attr-defined]

        def watch(page: Any) -> None:
            page.on(
                "dialog", lambda dialog: (context.dialogs.append(dialog.message), dialog.dismiss())
            )
            page.on("pageerror", lambda error: context.errors.append(str(error)))

        context.on("page", watch)
        for page in context.pages:
            watch(page)
        try:
            yield context
        finally:
            context.close()
    assert context.dialogs == [], context.dialogs  # a hostile string ran as code
    assert context.errors == [], context.errors
