"""Signed, real-size GitHub deliveries for the load benchmark: trigger variants and real non-triggers."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workers.intake.jobs import Job
from workers.intake.triggers import Delivery as TriggerDelivery
from workers.intake.triggers import TriggerRules, decide

REPO = Path(__file__).resolve().parent.parent
WEBHOOKS_DIR = REPO.parent / "shared" / "github" / "webhooks"
MIN_BYTES, MAX_BYTES = 8 * 1024, 30 * 1024
INSTALLATION = {"id": 4242, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg=="}

# Real payloads with the few fields changed that make `iquest serve` queue a job
# (see workers/intake/triggers.py); together they reach every job kind but help.
TRIGGER_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("issues/labeled.json", {"label.name": "autofix", "installation": INSTALLATION}),
    ("issue_comment/created.with-installation.json", {"comment.body": "/iquest fix"}),
    (
        "issue_comment/created.pull_request.json",
        {"comment.body": "/iquest fix", "installation": INSTALLATION},
    ),
    ("pull_request_review_comment/created.json", {"comment.body": "/iquest fix use a constant"}),
    ("pull_request_review/submitted.json", {"pull_request.head.ref": "iquest/issue-1"}),
]


@dataclass(frozen=True)
class Signed:
    name: str
    event: str
    body: bytes
    sha256: str  # X-Hub-Signature-256
    sha1: str  # the legacy X-Hub-Signature GitHub also sends


def _compact(payload: dict[str, Any]) -> bytes:
    # GitHub sends compact JSON.
    return json.dumps(payload, separators=(",", ":")).encode()


def _with_changes(payload: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    for dotted, value in changes.items():
        target = changed
        *parents, last = dotted.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value
    return changed


def _signed(secret: bytes, name: str, event: str, body: bytes) -> Signed:
    return Signed(
        name=name,
        event=event,
        body=body,
        sha256="sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
        sha1="sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest(),
    )


def _is_trigger(event: str, payload: dict[str, Any]) -> bool:
    return isinstance(decide(TriggerDelivery(event, "self-check", payload), TriggerRules()), Job)


def trigger_deliveries(secret: bytes) -> list[Signed]:
    out = []
    for relative, changes in TRIGGER_VARIANTS:
        event = relative.split("/")[0]
        payload = _with_changes(json.loads((WEBHOOKS_DIR / relative).read_text()), changes)
        if not _is_trigger(event, payload):
            raise SystemExit(f"bench: the variant of {relative} no longer triggers a job")
        out.append(_signed(secret, relative.removesuffix(".json"), event, _compact(payload)))
    return out


def non_trigger_deliveries(secret: bytes) -> list[Signed]:
    """Every real example payload of MIN_BYTES..MAX_BYTES (compact), as it is."""
    out = []
    for path in sorted(WEBHOOKS_DIR.glob("*/*.json")):
        event = path.parent.name
        payload = json.loads(path.read_text())
        body = _compact(payload)
        if not MIN_BYTES <= len(body) <= MAX_BYTES:
            continue
        if _is_trigger(event, payload):
            raise SystemExit(f"bench: {path} triggers a job; it cannot be a non-trigger delivery")
        out.append(_signed(secret, f"{event}/{path.stem}", event, body))
    return out


def load_sets(secret: bytes) -> dict[str, list[Signed]]:
    if not WEBHOOKS_DIR.is_dir():
        raise SystemExit(f"bench: no payloads at {WEBHOOKS_DIR}")
    return {"trigger": trigger_deliveries(secret), "non-trigger": non_trigger_deliveries(secret)}
