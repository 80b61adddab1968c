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
