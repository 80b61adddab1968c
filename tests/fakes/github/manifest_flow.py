"""GitHub's App manifest flow, web half: the form at /settings/apps/new checks the manifest and
redirects back with a one-time code (the API half is `routes/manifests.py`)."""

from __future__ import annotations

import html
import json
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

if TYPE_CHECKING:
    from .dispatch import Call
    from .fake import FakeGitHub

WEB_PATH = re.compile(r"^(?:/organizations/(?P<org>[^/]+))?/settings/apps/new$")
# Webhook events an App may subscribe to by default (the subset GitHub documents that this
# app could plausibly ask for; anything else is a typo the real form would reject).
KNOWN_EVENTS = {
    "check_run", "check_suite", "code_scanning_alert", "commit_comment", "create", "delete", "issue_comment", "issues",
    "label", "pull_request", "pull_request_review", "pull_request_review_comment",
    "pull_request_review_thread", "push", "repository", "status",
}
KNOWN_PERMISSIONS = {
    "actions", "checks", "contents", "deployments", "issues", "metadata", "pull_requests",
    "security_events", "statuses", "workflows",
}


@dataclass
class PendingApp:
    """A manifest GitHub accepted, waiting for its code to be exchanged."""

    manifest: dict[str, Any]
    org: str | None


def _http_url(value: Any) -> bool:
    return isinstance(value, str) and urlsplit(value).scheme in ("http", "https") and bool(
        urlsplit(value).netloc)


def manifest_problems(manifest: Any) -> list[str]:
    """What GitHub's form would refuse, plus the app's own rule: never the workflows permission."""
    if not isinstance(manifest, dict):
        return ["the manifest is not a JSON object"]
    problems = []
    if not isinstance(manifest.get("name"), str) or not manifest["name"].strip():
        problems.append("name is missing")
    if not _http_url(manifest.get("url")):
        problems.append(f"url {manifest.get('url')!r} is not an http(s) URL")
    hook = manifest.get("hook_attributes")
    if not isinstance(hook, dict) or not _http_url(hook.get("url")):
        problems.append(f"hook_attributes.url is not an http(s) URL: {hook!r}")
    if not _http_url(manifest.get("redirect_url")):
        problems.append(f"redirect_url {manifest.get('redirect_url')!r} is not an http(s) URL")
    events = manifest.get("default_events")
    if not isinstance(events, list) or not events or not set(events) <= KNOWN_EVENTS:
        problems.append(f"default_events {events!r} are not known webhook events")
    perms = manifest.get("default_permissions")
    if not isinstance(perms, dict) or not set(perms) <= KNOWN_PERMISSIONS or any(
            level not in ("read", "write") for level in perms.values()):
        problems.append(f"default_permissions {perms!r} are not valid")
    elif "workflows" in perms:
        problems.append("default_permissions asks for workflows: the app must never edit CI")
    return problems


def _page(status: int, title: str, text: str) -> tuple[int, dict[str, str], bytes]:
    body = (f"<!doctype html><title>{html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>").encode()
    return status, {"Content-Type": "text/html; charset=utf-8"}, body


def serve_new_app_form(fake: FakeGitHub, call: Call, raw: bytes,
                       org: str | None) -> tuple[int, dict[str, str], bytes]:
    """POST /settings/apps/new?state=S with `manifest=<json>`: 302 to redirect_url?code&state."""
    if call.method != "POST":
        fake.fail(call, "the manifest form is only ever POSTed to")
        return _page(405, "Method not allowed", "POST the manifest form.")
    form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    call.body = form
    try:
        manifest = json.loads(form.get("manifest", ""))
    except ValueError:
        fake.fail(call, "the form's `manifest` field is not JSON")
        return _page(422, "Invalid manifest", "The manifest is not JSON.")
    problems = manifest_problems(manifest)
    if problems:
        fake.fail(call, "manifest rejected: " + "; ".join(problems))
        return _page(422, "Invalid manifest", "; ".join(problems))
    code = secrets.token_hex(10)
    fake.manifest_codes[code] = PendingApp(manifest, org)
    query = {"code": code}
    if "state" in call.query:
        query["state"] = call.query["state"]
    location = manifest["redirect_url"] + ("&" if "?" in manifest["redirect_url"] else "?")
    return 302, {"Location": location + urlencode(query)}, b""
