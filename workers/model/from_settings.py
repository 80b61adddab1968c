"""The model and tokenizer adapters as the settings describe them, for workers and the CLI alike."""

from __future__ import annotations

from workers.config import Settings
from workers.model.openai_compat import OpenAICompatModel
from workers.model.tokenizer import VllmTokenizer


def _api_key(settings: Settings) -> str | None:
    key = settings.model_api_key
    return key.get_secret_value() if key else None


def model_from_settings(settings: Settings) -> OpenAICompatModel:
    return OpenAICompatModel(
        settings.model_base_url, settings.model, _api_key(settings),
        timeout_seconds=settings.model_timeout_seconds, max_retries=settings.model_max_retries,
    )


def tokenizer_from_settings(settings: Settings) -> VllmTokenizer:
    return VllmTokenizer(settings.model_base_url, settings.model, api_key=_api_key(settings))
