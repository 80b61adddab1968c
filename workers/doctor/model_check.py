"""The model server: the configured model among those listed, a two-token completion and its
round trip, the sampling fields it takes, the context length, /tokenize and `n`.

The probes go through the production adapters, so what they learn (a refused field, the
tokenize dialect, `n`) lands in the shared capability store exactly as a first job's would.
"""

from __future__ import annotations

import time

import redis

from workers.config import Settings
from workers.doctor.report import Check
from workers.model.capabilities import ServerCapabilities
from workers.model.from_settings import (
    capabilities_from_settings,
    model_from_settings,
    tokenizer_from_settings,
)
from workers.model.openai_compat import OpenAICompatModel
from workers.model.reply import ChatMessage, ModelError
from workers.model.server_info import ServerInfoError, list_models

SAMPLING = ("temperature", "top_p", "top_k")
_PROBE = [ChatMessage("user", "Reply with the word ok.")]


def check_model(
    settings: Settings, client: redis.Redis | None = None, completions: bool = True
) -> list[Check]:
    url, name = settings.model_base_url, settings.model
    try:
        served = list_models(url, _key(settings))
    except ServerInfoError as error:
        fix = f"start the model server at {url} or correct IQUEST_MODEL_BASE_URL"
        if "HTTP 401" in str(error) or "HTTP 403" in str(error):
            fix = "set IQUEST_MODEL_API_KEY to a key the model server accepts"
        return [Check("model server", False, True, f"{error}", fix)]
    if name not in served.ids:
        listed = ", ".join(served.ids) or "none"
        return [Check("model server", False, True,
                      f"{url} does not serve {name} (it lists: {listed})",
                      f"set IQUEST_MODEL to one of: {listed} -- or start the server with {name}")]
    checks = [Check("model server", True, True, f"{url} serves {name}")]
    capabilities = capabilities_from_settings(settings, client)
    model = model_from_settings(settings.model_copy(update={"model_max_retries": 0}), capabilities)
    if completions:
        checks.append(_completion(model, capabilities))
        if not checks[-1].ok:
            return checks
    checks.append(_context(settings, served.context_tokens(name), capabilities))
    checks.append(_tokenize(settings, capabilities))
    if completions:
        checks.append(_n(model, capabilities))
    return checks


def _completion(model: OpenAICompatModel, capabilities: ServerCapabilities) -> Check:
    started = time.perf_counter()
    try:
        model.complete(_PROBE, max_tokens=2)
    except ModelError as error:
        return Check("model completion", False, True, f"a two-token completion failed: {error}",
                     "read the model server's log; check IQUEST_MODEL and IQUEST_MODEL_API_KEY")
    elapsed_ms = (time.perf_counter() - started) * 1000
    refused = capabilities.refused()
    accepted = [f for f in SAMPLING if f not in refused]
    detail = (f"two tokens in {elapsed_ms:.0f} ms; sampling fields accepted: "
              f"{', '.join(accepted) or 'none'}")
    if refused:
        detail += f"; refused (never sent again): {', '.join(sorted(refused))}"
    return Check("model completion", True, True, detail)


def _context(settings: Settings, reported: int | None, capabilities: ServerCapabilities) -> Check:
    capabilities.set("context_tokens", reported or "unknown")
    configured = settings.model_context_tokens
    if reported is None:
        return Check("model context", False, False,
                     f"/v1/models names no context length; IQUEST_MODEL_CONTEXT_TOKENS="
                     f"{configured} is used", "set IQUEST_MODEL_CONTEXT_TOKENS to the server's "
                     "context size (llama.cpp --ctx-size, Ollama num_ctx, TGI --max-input-tokens)")
    used = min(reported, configured)
    return Check("model context", True, False,
                 f"{reported} tokens reported; prompts budgeted for {used}")


def _tokenize(settings: Settings, capabilities: ServerCapabilities) -> Check:
    tokenizer = tokenizer_from_settings(settings, capabilities)
    try:
        tokenizer.count_tokens("def add(a, b):\n    return a + b\n")
    finally:
        tokenizer.close()
    if tokenizer.available:
        return Check("model /tokenize", True, False, f"counts exactly ({tokenizer.dialect} form)")
    return Check("model /tokenize", False, False,
                 "no /tokenize: token counts are estimated (3 bytes per token, conservative)",
                 "nothing to do; a server with /tokenize (vLLM, SGLang, llama.cpp, TGI) packs "
                 "more context into each prompt")


def _n(model: OpenAICompatModel, capabilities: ServerCapabilities) -> Check:
    replies = model.complete_many(_PROBE, 1, 2)
    if len(replies) >= 2:
        return Check("model n", True, False, "several candidates per request (n)")
    return Check("model n", True, False,
                 "one candidate per request (n refused or ignored): candidates cost one request each")


def _key(settings: Settings) -> str | None:
    return settings.model_api_key.get_secret_value() if settings.model_api_key else None
