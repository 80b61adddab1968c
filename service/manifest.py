"""The GitHub App manifest shipped in the package (service/app.yml; the top-level app.yml links
to it, the Probot convention), and the copy /setup fills in for one registration."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

REQUIRED = ("name", "default_events", "default_permissions")


class ManifestError(RuntimeError):
    """The manifest is missing from the installation or unusable: the receiver must not start."""


def load_manifest(package: str = "service", name: str = "app.yml") -> dict[str, Any]:
    try:
        text = resources.files(package).joinpath(name).read_text()
    except (FileNotFoundError, ModuleNotFoundError) as error:
        raise ManifestError(
            f"the GitHub App manifest {package}/{name} is missing from this installation "
            f"({error}); reinstall iquest-autofix (it ships as package data)"
        ) from None
    manifest = yaml.safe_load(text)
    if not isinstance(manifest, dict) or any(key not in manifest for key in REQUIRED):
        raise ManifestError(f"{package}/{name} is not a GitHub App manifest: needs {REQUIRED}")
    if "workflows" in manifest["default_permissions"]:
        raise ManifestError(f"{package}/{name} asks for the workflows permission; it must not")
    return manifest


def fill_manifest(manifest: dict[str, Any], base_url: str, hook_url: str) -> dict[str, Any]:
    """The manifest with this receiver's URLs: where GitHub sends events and the user back."""
    filled = dict(manifest)
    filled["url"] = filled.get("url") or base_url
    filled["hook_attributes"] = {"url": hook_url, "active": True}
    filled["redirect_url"] = f"{base_url}/setup/callback"
    return filled


def github_web_url(api_url: str) -> str:
    # api.github.com → github.com; GitHub Enterprise Server serves the API under /api/v3.
    if api_url.rstrip("/") == "https://api.github.com":
        return "https://github.com"
    return api_url.rstrip("/").removesuffix("/api/v3")
