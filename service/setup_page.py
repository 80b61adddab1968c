"""GET /setup and /setup/callback: GitHub's App manifest flow, from the button to saved credentials."""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.manifest import fill_manifest, github_web_url
from service.setup_states import SetupStates
from workers.app.credentials import AlreadyConfigured, CredentialsStore, LiveWebhookSecret
from workers.app.registration import RegisteredApp, RegistrationError, exchange_manifest_code

log = logging.getLogger("iquest.setup")

# GitHub logins: letters, digits and single hyphens, at most 39 characters.
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")

Exchange = Callable[[str, str], Awaitable[RegisteredApp]]


def render(page: str, status: int = 200, **values: str) -> HTMLResponse:
    """A page from service/templates, every value HTML-escaped."""
    text = resources.files("service").joinpath("templates", f"{page}.html").read_text()
    escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
    return HTMLResponse(Template(text).substitute(escaped), status_code=status)


@dataclass
class SetupFlow:
    manifest: dict[str, Any]
    github_api_url: str
    proxy_url: str | None
    trigger_label: str
    states: SetupStates
    store: CredentialsStore
    secret: LiveWebhookSecret
    exchange: Exchange = exchange_manifest_code

    def configured_page(self, configured: list[str]) -> HTMLResponse:
        return render("setup_configured", 409, configured=", ".join(configured),
                      env_file=str(self.store.env_file), key_file=str(self.store.key_file))


def build_setup_router(flow: SetupFlow) -> APIRouter:
    router = APIRouter()

    @router.get("/setup", response_class=HTMLResponse)
    async def setup(request: Request, org: str | None = None) -> HTMLResponse:
        configured = flow.store.configured()
        if configured:
            return flow.configured_page(configured)
        if org is not None and not _LOGIN.match(org):
            return render("setup_error", 400, reason=f"{org!r} is not a GitHub organization name.")
        base = str(request.base_url).rstrip("/")
        hook_url = flow.proxy_url or f"{base}/api/github/webhooks"
        manifest = fill_manifest(flow.manifest, base, hook_url)
        state = await flow.states.issue()
        web = github_web_url(flow.github_api_url)
        target = f"{web}/organizations/{org}" if org else web
        return render(
            "setup_form",
            owner=f"organization {org}" if org else "your personal account",
            hook_url=hook_url,
            proxy_note=" (the webhook proxy channel, which iquest dev forwards here)"
            if flow.proxy_url else "",
            form_action=f"{target}/settings/apps/new?state={state}",
            manifest=json.dumps(manifest),
        )

    @router.get("/setup/callback", response_class=HTMLResponse)
    async def callback(code: str | None = None, state: str | None = None) -> HTMLResponse:
        # The state is spent before anything else: a replayed or forged redirect gets nowhere.
        if not await flow.states.consume(state):
            return render("setup_error", 400, reason="This link is not from a setup started "
                          "here, or it was used already (the state is missing, unknown or spent).")
        configured = flow.store.configured()
        if configured:
            return flow.configured_page(configured)
        if code is None:
            return render("setup_error", 400, reason="GitHub sent no code back.")
        try:
            app = await flow.exchange(flow.github_api_url, code)
        except RegistrationError as error:
            return render("setup_error", 502, reason=f"The App could not be fetched: {error}.")
        try:
            flow.store.save(app.credentials)
        except AlreadyConfigured as error:
            return flow.configured_page([str(error)])
        flow.secret.set(app.credentials.webhook_secret.encode())
        log.info("registered GitHub App %s (id %s, owner %s); credentials saved in %s and %s",
                 app.slug, app.id, app.owner, flow.store.env_file, flow.store.key_file)
        return render("setup_done", name=app.name, app_id=str(app.id),
                      env_file=str(flow.store.env_file), key_file=str(flow.store.key_file),
                      install_url=app.install_url, label=flow.trigger_label)

    return router
