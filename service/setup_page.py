"""/setup and /setup/callback: GitHub's App manifest flow, from the button to saved credentials.

While no App is configured, whoever completes this flow decides which App the receiver trusts,
so it takes the setup token (`IQUEST_SETUP_TOKEN`, or the random one `iquest serve` prints in
the setup URL), compared in constant time: GET /setup?token=… shows the button, whose POST
checks the token again and only then mints the one-time state (GET writes nothing to Redis).
The manifest's URLs come from the configured public URL, never from a request's Host header.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import parse_qs

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
# The POST form carries a token and an org name: anything longer is not from our page.
_MAX_FORM_BYTES = 4096


def redact_from_now_on(secrets: Iterable[str]) -> None:
    """Hand secrets saved after start to the log redactors (workers/operations/logcontext.py's
    RedactingFilter, found by its `add_secrets`: the service may not import operations)."""
    values = [value for value in secrets if value]
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            add = getattr(found, "add_secrets", None)
            if callable(add):
                add(values)


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
    # Where browsers and GitHub reach this receiver (IQUEST_PUBLIC_URL or what `iquest serve`
    # printed); None: /setup cannot build a manifest and says so.
    public_url: str | None = None
    token: bytes = b""
    exchange: Exchange = exchange_manifest_code

    def token_ok(self, given: str | None) -> bool:
        return bool(self.token) and hmac.compare_digest((given or "").encode(), self.token)

    def configured_page(self, configured: list[str]) -> HTMLResponse:
        return render("setup_configured", 409, configured=", ".join(configured),
                      env_file=str(self.store.env_file), key_file=str(self.store.key_file))


def build_setup_router(flow: SetupFlow) -> APIRouter:
    router = APIRouter()

    def refusal(token: str | None, org: str | None) -> HTMLResponse | None:
        configured = flow.store.configured()
        if configured:
            return flow.configured_page(configured)
        if not flow.token_ok(token):
            return render("setup_error", 403, reason=(
                "This page needs the setup token: open the setup URL that `iquest serve` (or "
                "`iquest dev`) printed at start, /setup?token=…, or use IQUEST_SETUP_TOKEN."))
        if flow.public_url is None:
            return render("setup_error", 503, reason="IQUEST_PUBLIC_URL is not set, so the "
                          "App's webhook and redirect URLs are unknown.")
        if org and not _LOGIN.match(org):
            return render("setup_error", 400, reason=f"{org!r} is not a GitHub organization name.")
        return None

    def owner_of(org: str | None) -> str:
        return f"organization {org}" if org else "your personal account"

    def hook_url() -> str:
        return flow.proxy_url or f"{flow.public_url}/api/github/webhooks"

    @router.get("/setup", response_class=HTMLResponse)
    async def setup(token: str | None = None, org: str | None = None) -> HTMLResponse:
        refused = refusal(token, org)
        if refused is not None:
            return refused
        return render(
            "setup_start", owner=owner_of(org), hook_url=hook_url(),
            proxy_note=" (the webhook proxy channel, which iquest dev forwards here)"
            if flow.proxy_url else "",
            public_url=flow.public_url or "", token=token or "", org=org or "",
        )

    @router.post("/setup", response_class=HTMLResponse)
    async def start(request: Request) -> HTMLResponse:
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > _MAX_FORM_BYTES:
                return render("setup_error", 413, reason="The form is too large.")
        form = {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
        org = form.get("org") or None
        refused = refusal(form.get("token"), org)
        if refused is not None:
            return refused
        base = flow.public_url or ""
        manifest = fill_manifest(flow.manifest, base, hook_url())
        # Minted only here, behind the token: a GET or a stranger writes nothing to Redis.
        state = await flow.states.issue()
        web = github_web_url(flow.github_api_url)
        target = f"{web}/organizations/{org}" if org else web
        return render(
            "setup_form", owner=owner_of(org),
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
        redact_from_now_on([app.credentials.webhook_secret, app.credentials.private_key_pem])
        log.info("registered GitHub App %s (id %s, owner %s); credentials saved in %s and %s",
                 app.slug, app.id, app.owner, flow.store.env_file, flow.store.key_file)
        return render("setup_done", name=app.name, app_id=str(app.id),
                      env_file=str(flow.store.env_file), key_file=str(flow.store.key_file),
                      install_url=app.install_url, label=flow.trigger_label)

    return router
