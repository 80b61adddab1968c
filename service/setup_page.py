"""GET /setup: register the GitHub App from `app.yml` with GitHub's manifest flow."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

MANIFEST_FILE = Path(__file__).resolve().parent.parent / "app.yml"

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Set up iquest-autofix</title></head>
<body style="font-family: sans-serif; max-width: 48rem; margin: 2rem auto">
<h1>Register iquest-autofix as a GitHub App</h1>
<p>This creates the App on GitHub from <code>app.yml</code>, with its webhook pointed at
<code>{hook_url}</code>. Afterwards put the App id, private key and webhook secret GitHub
shows you into <code>.env</code> (<code>IQUEST_APP_ID</code>, <code>IQUEST_PRIVATE_KEY_FILE</code>,
<code>IQUEST_WEBHOOK_SECRET</code>) and restart.</p>
<form action="{github_url}/settings/apps/new" method="post">
<input type="hidden" name="manifest" value="{manifest}">
<button type="submit">Create the GitHub App</button>
</form></body></html>"""


def load_manifest(path: Path = MANIFEST_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def build_setup_router(manifest: dict[str, Any], github_web_url: str) -> APIRouter:
    router = APIRouter()

    @router.get("/setup", response_class=HTMLResponse)
    async def setup(request: Request) -> HTMLResponse:
        base = str(request.base_url).rstrip("/")
        filled = dict(manifest)
        filled["url"] = filled.get("url") or base
        filled["hook_attributes"] = {"url": f"{base}/api/github/webhooks"}
        filled["redirect_url"] = f"{base}/setup"
        return HTMLResponse(
            _PAGE.format(
                hook_url=html.escape(filled["hook_attributes"]["url"]),
                github_url=html.escape(github_web_url),
                manifest=html.escape(json.dumps(filled), quote=True),
            )
        )

    return router
