"""Token counting adapters: the model server's `/tokenize` when it has one, an estimate otherwise."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from typing import Protocol

import httpx

from workers.model.capabilities import ServerCapabilities

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


# How each server family takes text to count, and where the count is in its answer:
# - vLLM and SGLang: POST /tokenize {"model", "prompt"} -> {"count", "tokens", "max_model_len"}
#   (vLLM's serving docs; SGLang's native API docs list /tokenize with the same request).
# - llama.cpp's server: POST /tokenize {"content"} -> {"tokens": [...]} (tools/server/README.md).
#   It answers {"tokens": []} to a body without `content`, so an empty count for non-empty text
#   means "wrong dialect", not "zero tokens".
# - TGI: POST /tokenize {"inputs"} -> [{"id", "text", "start", "stop"}, ...] (docs/openapi.json,
#   TokenizeResponse); other bodies get 422 "missing field `inputs`".
DIALECTS: dict[str, Callable[[str, str], dict[str, str]]] = {
    "vllm": lambda model, text: {"model": model, "prompt": text},
    "llamacpp": lambda model, text: {"content": text},
    "tgi": lambda model, text: {"inputs": text},
}
# Statuses that mean "not this request shape": try the next dialect.
_WRONG_SHAPE_STATUSES = frozenset({400, 422})


class VllmTokenizer:
    """Counts with the model server's `POST /tokenize` in whichever dialect it speaks (vLLM,
    SGLang, llama.cpp, TGI); falls back to an estimate when the server has none.

    The dialect that worked, or absence (404/405/501, or no dialect giving a count), is
    remembered -- per adapter, and in the shared capability store when one is given -- so a
    server without the endpoint costs one probe, not one request per count. Transient
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
        capabilities: ServerCapabilities | None = None,
    ):
        self.url = server_root(base_url) + "/tokenize"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(timeout=timeout_seconds, headers=headers)
        self._owns_client = client is None
        self.fallback = fallback or EstimatingTokenizer()
        self.capabilities = capabilities
        self.dialect: str | None = None
        self.available: bool | None = None
        known = capabilities.get("tokenize") if capabilities is not None else None
        if known == "none":
            self.available = False
        elif known in DIALECTS:
            self.dialect = known

    def count_tokens(self, text: str) -> int:
        """The server's count, or the fallback's when the server cannot give one."""
        if self.available is False:
            return self.fallback.count_tokens(text)
        dialects = [self.dialect] if self.dialect else list(DIALECTS)
        for dialect in dialects:
            try:
                response = self._client.post(self.url, json=DIALECTS[dialect](self.model, text))
            except httpx.HTTPError as error:
                log.warning("tokenize request failed, estimating instead: %s", type(error).__name__)
                return self.fallback.count_tokens(text)
            if response.status_code in _ABSENT_STATUSES:
                self._mark_absent(f"HTTP {response.status_code}")
                return self.fallback.count_tokens(text)
            if response.status_code in _WRONG_SHAPE_STATUSES and self.dialect is None:
                continue
            if response.status_code != 200:
                log.warning("tokenize answered HTTP %s, estimating instead", response.status_code)
                return self.fallback.count_tokens(text)
            count = _read_count(response)
            if count is None or (count == 0 and text.strip() and self.dialect is None):
                continue
            self._learn(dialect)
            return count
        self._mark_absent("no request shape gave a token count")
        return self.fallback.count_tokens(text)

    def close(self) -> None:
        """Release the HTTP connection pool when this adapter created it."""
        if self._owns_client:
            self._client.close()

    def _learn(self, dialect: str) -> None:
        self.available = True
        if self.dialect != dialect:
            self.dialect = dialect
            if self.capabilities is not None:
                self.capabilities.set("tokenize", dialect)

    def _mark_absent(self, reason: str) -> None:
        if self.available is not False:
            log.info("model server has no usable /tokenize (%s); estimating token counts", reason)
            if self.capabilities is not None:
                self.capabilities.set("tokenize", "none")
        self.available = False


def _read_count(response: httpx.Response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, list):
        return len(body)  # TGI: one entry per token
    if not isinstance(body, dict):
        return None
    count = body.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    tokens = body.get("tokens")
    return len(tokens) if isinstance(tokens, list) else None
