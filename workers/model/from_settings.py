"""The model and tokenizer adapters as the settings describe them, for workers and the CLI alike."""

from __future__ import annotations

import logging

import redis

from workers.config import Settings
from workers.model.capabilities import ServerCapabilities
from workers.model.openai_compat import OpenAICompatModel
from workers.model.server_info import ServerInfoError, list_models
from workers.model.tokenizer import VllmTokenizer

log = logging.getLogger("iquest.model")


def _api_key(settings: Settings) -> str | None:
    key = settings.model_api_key
    return key.get_secret_value() if key else None


def capabilities_from_settings(
    settings: Settings, client: redis.Redis | None = None
) -> ServerCapabilities:
    """The configured server's capabilities; shared with other workers when `client` is given."""
    return ServerCapabilities(settings.model_base_url, settings.model, client)


def model_from_settings(
    settings: Settings, capabilities: ServerCapabilities | None = None
) -> OpenAICompatModel:
    return OpenAICompatModel(
        settings.model_base_url, settings.model, _api_key(settings),
        timeout_seconds=settings.model_timeout_seconds, max_retries=settings.model_max_retries,
        capabilities=capabilities,
    )


def tokenizer_from_settings(
    settings: Settings, capabilities: ServerCapabilities | None = None
) -> VllmTokenizer:
    return VllmTokenizer(
        settings.model_base_url, settings.model, api_key=_api_key(settings),
        capabilities=capabilities,
    )


def adapters_for_cli(
    settings: Settings, structured: bool | None = None,
    schema: dict | None = None, instruction: str = "",
) -> tuple[OpenAICompatModel, VllmTokenizer, int]:
    """Model, tokenizer and context length for a one-off command (no Redis): what they learn
    about the server is shared between them for the command's run."""
    capabilities = capabilities_from_settings(settings)
    model = model_from_settings(settings, capabilities)
    if structured is None:
        structured = settings.model_structured_output
    if structured and schema is not None:
        model = model.structured(schema, instruction)
    return (model, tokenizer_from_settings(settings, capabilities),
            context_tokens_from_settings(settings, capabilities))


def context_tokens_from_settings(
    settings: Settings, capabilities: ServerCapabilities | None = None
) -> int:
    """The prompt budget's context length: the server's own figure when `/v1/models` gives one
    (never more than IQUEST_MODEL_CONTEXT_TOKENS, which an operator may set lower on purpose),
    else IQUEST_MODEL_CONTEXT_TOKENS, with a warning naming it."""
    configured = settings.model_context_tokens
    known = capabilities.context_tokens() if capabilities is not None else None
    if known is None and (capabilities is None or capabilities.get("context_tokens") is None):
        try:
            known = list_models(settings.model_base_url, _api_key(settings)).context_tokens(
                settings.model
            )
        except ServerInfoError as error:
            log.warning("could not read the context length from the model server (%s); "
                        "using IQUEST_MODEL_CONTEXT_TOKENS=%d", error, configured)
            return configured  # not remembered: the next job asks again
        if capabilities is not None:
            capabilities.set("context_tokens", known or "unknown")
    if known is None:
        log.warning("the model server does not report a context length in /v1/models; using "
                    "IQUEST_MODEL_CONTEXT_TOKENS=%d (set it to the server's context size)", configured)
        return configured
    return min(known, configured)
