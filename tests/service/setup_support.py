"""A receiver wired to the fake GitHub for the setup flow, and the manifest form read off its page."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.fakes.github import FakeGitHub
from tests.support.receiver import ReceiverThread, receiver_settings
from tests.support.webhooks import TEST_SETUP_TOKEN
from workers.app.credentials import CredentialsStore


@dataclass
class SetupForm:
    action: str
    manifest: dict[str, Any]

    @property
    def state(self) -> str:
        return parse_qs(urlsplit(self.action).query)["state"][0]


def read_form(page: str) -> SetupForm:
    action = re.search(r'<form action="([^"]+)"', page)
    manifest = re.search(r'name="manifest" value="([^"]+)"', page)
    assert action and manifest, page
    return SetupForm(html.unescape(action.group(1)), json.loads(html.unescape(manifest.group(1))))


def open_form(receiver: ReceiverThread, org: str | None = None,
              token: str = TEST_SETUP_TOKEN) -> SetupForm:
    """What a browser does: GET /setup?token=… (the button), then POST it (the GitHub form)."""
    query = {"token": token, **({"org": org} if org else {})}
    return form_from_url(f"{receiver.url}/setup", params=query)


def form_from_url(setup_url: str, params: dict[str, str] | None = None) -> SetupForm:
    """The setup link as printed (`…/setup?token=…`): its page's button, pressed."""
    start = httpx.get(setup_url, params=params)
    assert start.status_code == 200, start.text
    assert "settings/apps/new" not in start.text  # no state is minted by a GET
    action = re.search(r'<form action="([^"]+)" method="post"', start.text)
    assert action, start.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', start.text))
    return read_form(httpx.post(html.unescape(action.group(1)),
                                data={k: html.unescape(v) for k, v in fields.items()}).text)


def submit(form: SetupForm, action: str | None = None) -> httpx.Response:
    """POST the form to the fake GitHub as the browser would; its answer is a redirect."""
    return httpx.post(action or form.action, data={"manifest": json.dumps(form.manifest)})


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@contextmanager
def setup_receiver(fake: FakeGitHub, redis_url: str, folder: Path,
                   **settings: Any) -> Iterator[tuple[ReceiverThread, CredentialsStore]]:
    store = CredentialsStore(folder / ".env", folder / "github-app.pem")
    thread = ReceiverThread(
        receiver_settings(github_api_url=fake.url, **settings), redis_url, store)
    thread.start()
    try:
        yield thread, store
    finally:
        thread.stop()
