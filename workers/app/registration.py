"""GitHub's manifest flow, server side: exchange the one-time code for the new App.

Plain httpx rather than githubkit: the HTTP edge runs this, and the edge stays free of the
GitHub client (see the import-linter contracts). The call needs no authentication; the code
is the credential, and GitHub honours it once, within an hour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from workers.app.credentials import AppCredentials

API_VERSION = "2022-11-28"
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class RegistrationError(Exception):
    """The exchange failed; the message is safe to show (it never holds a credential)."""


@dataclass(frozen=True)
class RegisteredApp:
    id: int
    slug: str
    name: str
    html_url: str
    owner: str
    credentials: AppCredentials

    @property
    def install_url(self) -> str:
        return f"{self.html_url}/installations/new"


def valid_code(code: str | None) -> bool:
    return bool(code) and _CODE.match(code) is not None


def _parse(data: Any) -> RegisteredApp:
    try:
        creds = AppCredentials(int(data["id"]), str(data["webhook_secret"]), str(data["pem"]))
        owner = data.get("owner") or {}
        return RegisteredApp(
            creds.app_id, str(data["slug"]), str(data["name"]), str(data["html_url"]).rstrip("/"),
            str(owner.get("login", "")), creds,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RegistrationError(f"GitHub's answer lacks a field the app needs ({error})") from None


async def exchange_manifest_code(api_url: str, code: str, *, timeout: float = 15.0) -> RegisteredApp:
    """POST /app-manifests/{code}/conversions and return the App with its credentials."""
    if not valid_code(code):
        raise RegistrationError("the code GitHub sent back is malformed")
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "iquest-autofix",
    }
    async with httpx.AsyncClient(timeout=timeout) as client:
        try:
            response = await client.post(f"{api_url}/app-manifests/{code}/conversions",
                                         headers=headers)
        except httpx.HTTPError as error:
            raise RegistrationError(f"GitHub could not be reached at {api_url}: {error}") from None
    if response.status_code != 201:
        try:
            message = response.json().get("message", "")
        except ValueError:
            message = ""
        hint = " (codes work once, for an hour)" if response.status_code == 404 else ""
        raise RegistrationError(
            f"GitHub answered {response.status_code} {message!r} to the code exchange{hint}")
    if (data := response.json()) and data.get("webhook_secret") is None:
        raise RegistrationError("GitHub created the App without a webhook secret")
    return _parse(data)
