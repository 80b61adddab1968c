"""What a model server says about itself in `GET /v1/models`: the models it serves and,
when it says so, their context length.

Shapes, from each project's documentation:
- vLLM and SGLang: an OpenAI list whose entries carry `max_model_len`.
- llama.cpp's server: an OpenAI list; `meta.n_ctx_train` is the length the model was trained
  with, not the `--ctx-size` the server runs with, so it is not taken as the context.
- Ollama: an OpenAI list (`owned_by: library`) without any length.
- TGI: one ModelInfo object (`id`, `object`, `created`, `owned_by`; docs/openapi.json), no list.
- Hosted APIs and proxies: an OpenAI list without any length.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("iquest.model.server_info")

# Entry fields that name a served context length, in the order they are trusted.
_CONTEXT_FIELDS = ("max_model_len", "context_length", "max_context_length")


class ServerInfoError(RuntimeError):
    """The server could not be asked, or its answer was not a model list."""


@dataclass(frozen=True)
class ServedModels:
    ids: list[str]
    entries: list[dict[str, Any]]

    def context_tokens(self, model: str) -> int | None:
        """The context length the server reports for `model`, when it reports one."""
        for entry in self.entries:
            if entry.get("id") == model:
                for name in _CONTEXT_FIELDS:
                    value = entry.get(name)
                    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                        return value
        return None


def list_models(
    base_url: str, api_key: str | None = None, timeout_seconds: float = 10.0,
    client: httpx.Client | None = None,
) -> ServedModels:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    http = client or httpx.Client(timeout=timeout_seconds, headers=headers)
    try:
        response = http.get(base_url.rstrip("/") + "/models")
    except httpx.HTTPError as error:
        raise ServerInfoError(f"cannot reach {base_url}: {type(error).__name__}") from error
    finally:
        if client is None:
            http.close()
    if response.status_code != 200:
        raise ServerInfoError(f"GET /v1/models answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as error:
        raise ServerInfoError("GET /v1/models did not answer JSON") from error
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        entries = [e for e in body["data"] if isinstance(e, dict)]
    elif isinstance(body, dict) and isinstance(body.get("id"), str):
        entries = [body]  # TGI's single ModelInfo
    else:
        raise ServerInfoError("GET /v1/models answered something that is not a model list")
    return ServedModels([str(e.get("id")) for e in entries if e.get("id")], entries)
