"""Token counting adapters: the model server's `/tokenize` when it has one, an estimate otherwise."""

from __future__ import annotations

import hashlib
import logging
import math
from typing import Protocol

import httpx

log = logging.getLogger("iquest.model.tokenizer")

# Code and English average 3.5-4.5 bytes per token in BPE vocabularies; three bytes per token
# over-counts them, so a budget computed with it is never exceeded by the real count.
BYTES_PER_TOKEN = 3.0
# Statuses that mean "this server has no /tokenize", as opposed to "it failed this time".
_ABSENT_STATUSES = frozenset({404, 405, 501})


class EstimatingTokenizer:
    """A conservative count from the UTF-8 size: never fewer tokens than a real tokenizer."""

    def __init__(self, bytes_per_token: float = BYTES_PER_TOKEN):
        if bytes_per_token <= 0:
            raise ValueError("bytes_per_token must be positive")
        self.bytes_per_token = bytes_per_token

    def count_tokens(self, text: str) -> int:
        """Tokens estimated from the encoded size, rounded up."""
        return math.ceil(len(text.encode("utf-8", errors="replace")) / self.bytes_per_token)


class JobTokenCounts:
    """One job's counts, by content hash: a text counted once in a job is never sent again."""

    def __init__(self, tokenizer: TokenCounter):
        self._tokenizer = tokenizer
        self._counts: dict[bytes, int] = {}

    def count_tokens(self, text: str) -> int:
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if key not in self._counts:
            self._counts[key] = self._tokenizer.count_tokens(text)
        return self._counts[key]


class TokenCounter(Protocol):
    def count_tokens(self, text: str) -> int: ...


def server_root(base_url: str) -> str:
    """The server root for an OpenAI-style base URL: vLLM serves /tokenize beside /v1, not in it."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


class VllmTokenizer:
    """Counts with vLLM's `POST /tokenize`; falls back to an estimate when the server lacks it.

    Absence (404/405/501, or a reply that is not vLLM's shape) is remembered, so a server
    without the endpoint costs one request per adapter, not one per count. Transient
    failures (timeouts, 5xx) fall back for that call only.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        client: httpx.Client | None = None,
        fallback: EstimatingTokenizer | None = None,
        timeout_seconds: float = 10.0,
        api_key: str | None = None,
    ):
        self.url = server_root(base_url) + "/tokenize"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(timeout=timeout_seconds, headers=headers)
        self._owns_client = client is None
        self.fallback = fallback or EstimatingTokenizer()
        self.available: bool | None = None

    def count_tokens(self, text: str) -> int:
        """The server's count, or the fallback's when the server cannot give one."""
        if self.available is False:
            return self.fallback.count_tokens(text)
        try:
            response = self._client.post(self.url, json={"model": self.model, "prompt": text})
        except httpx.HTTPError as error:
            log.warning("tokenize request failed, estimating instead: %s", type(error).__name__)
            return self.fallback.count_tokens(text)
        if response.status_code in _ABSENT_STATUSES:
            self._mark_absent(f"HTTP {response.status_code}")
            return self.fallback.count_tokens(text)
        if response.status_code != 200:
            log.warning("tokenize answered HTTP %s, estimating instead", response.status_code)
            return self.fallback.count_tokens(text)
        count = _read_count(response)
        if count is None:
            self._mark_absent("reply without a token count")
            return self.fallback.count_tokens(text)
        self.available = True
        return count

    def close(self) -> None:
        """Release the HTTP connection pool when this adapter created it."""
        if self._owns_client:
            self._client.close()

    def _mark_absent(self, reason: str) -> None:
        if self.available is not False:
            log.info("model server has no usable /tokenize (%s); estimating token counts", reason)
        self.available = False


def _read_count(response: httpx.Response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    count = body.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    tokens = body.get("tokens")
    return len(tokens) if isinstance(tokens, list) else None
