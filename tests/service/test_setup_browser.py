"""The setup round trip in a real headless Chromium: /setup → the fake GitHub's form → back → saved.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them in CI); elsewhere the
test is skipped and says so. The success page's screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.fakes.github import FakeGitHub
from tests.service.setup_support import setup_receiver
from tests.support.webhooks import TEST_SETUP_TOKEN

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

    from tests.support.redis_server import TestRedis

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
           "chromium-driver; .ci/run installs them)",
)


@pytest.fixture
def browser() -> Iterator[Chrome]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    profile = tempfile.mkdtemp(prefix="iquest-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                 "--window-size=1000,700"):
        options.add_argument(flag)
    # An explicit driver path: Selenium Manager would otherwise try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_setup_round_trip_in_a_browser(browser: Chrome, fake_github: FakeGitHub,
                                       redis_server: TestRedis, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    with setup_receiver(fake_github, redis_server.url, tmp_path) as (receiver, store):
        browser.get(f"{receiver.url}/setup?token={TEST_SETUP_TOKEN}")
        browser.find_element(By.ID, "create-app").click()
        # The fake GitHub checks the manifest and redirects back; the receiver exchanges the code.
        WebDriverWait(browser, 20).until(
            expected_conditions.presence_of_element_located((By.ID, "registered")))
        ARTIFACTS.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "setup-success.png"))
        install = browser.find_element(By.ID, "install").get_attribute("href")
        assert install == "https://github.com/apps/iquest-autofix/installations/new"

        [manifest] = fake_github.registered_manifests
        assert manifest["hook_attributes"]["url"] == f"{receiver.url}/api/github/webhooks"
        assert set(manifest["default_events"]) >= {"issues", "issue_comment", "pull_request"}
        assert "workflows" not in manifest["default_permissions"]
        env = store.env_file.read_text()
        assert f"IQUEST_APP_ID={fake_github.app_id}\n" in env
        assert f"IQUEST_WEBHOOK_SECRET={fake_github.webhook_secret}\n" in env
        assert f"IQUEST_PRIVATE_KEY_FILE={store.key_file}\n" in env
        assert store.key_file.read_text() == fake_github.private_key
        for path in (store.env_file, store.key_file):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        conversions = [c for c in fake_github.log if c.operation_id == "apps/create-from-manifest"]
        assert [c.status for c in conversions] == [201]  # validated against the OpenAPI operation

        browser.get(f"{receiver.url}/setup")
        assert "already configured" in browser.page_source
        assert httpx.get(f"{receiver.url}/setup").status_code == 409
