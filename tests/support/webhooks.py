"""Real GitHub webhook payloads (tests/data/github/webhooks), signed and posted as GitHub would."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from service.signature import sign

REPO_ROOT = Path(__file__).resolve().parents[2]
WEBHOOKS_DIR = REPO_ROOT / "tests" / "data" / "github" / "webhooks"
TEST_SECRET = "test-webhook-secret"
# /repair's and /setup's own tokens: the webhook secret authorises neither.
TEST_REPAIR_TOKEN = "test-repair-token"
TEST_SETUP_TOKEN = "test-setup-token"


def payload_files() -> list[Path]:
    return sorted(p for p in WEBHOOKS_DIR.glob("*/*.json"))


def load_payload(relative: str) -> dict[str, Any]:
    return json.loads((WEBHOOKS_DIR / relative).read_text())


def event_of(path: Path) -> str:
    return path.parent.name


def variant(relative: str, **changes: Any) -> dict[str, Any]:
    """A real payload with a few fields changed; keys are dotted paths."""
    payload = copy.deepcopy(load_payload(relative))
    for dotted, value in changes.items():
        target = payload
        *parents, last = dotted.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value
    return payload


def post_webhook(
    base_url: str,
    event: str,
    body: bytes | dict[str, Any],
    delivery_id: str | None = None,
    secret: str = TEST_SECRET,
    signature: str | None = None,
    extra_headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature if signature is not None else sign(secret.encode(), raw),
    }
    headers.update(extra_headers or {})
    return httpx.post(f"{base_url}/api/github/webhooks", content=raw, headers=headers, timeout=timeout)


def repo_variant(relative: str, repo_full_name: str, installation_id: int, **changes: Any) -> dict[str, Any]:
    """A real payload moved to `repo_full_name` under an App installation, plus `changes`."""
    owner, name = repo_full_name.split("/")
    return variant(
        relative,
        **{
            "installation": {"id": installation_id},
            "repository.full_name": repo_full_name,
            "repository.name": name,
            "repository.owner.login": owner,
            **changes,
        },
    )
