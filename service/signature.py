"""GitHub's webhook signature: HMAC-SHA256 of the raw body, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "x-hub-signature-256"
_PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def is_valid_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith(_PREFIX):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(_PREFIX) :])
