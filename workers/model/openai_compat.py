"""ChatModel over the official openai SDK: vLLM, SGLang, llama.cpp, Ollama or a hosted API."""

from __future__ import annotations

import logging
import re

import openai

from workers.model.reply import ChatMessage, ModelError, ModelReply, strip_reasoning

log = logging.getLogger("iquest.model")

# The model card's sampling for IQuest-Coder-V1-40B-Instruct.
TEMPERATURE = 0.6
TOP_P = 0.85
TOP_K = 20


class OpenAICompatModel:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 600.0,
        max_retries: int = 2,
    ) -> None:
        self.model = model
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout_seconds,
            max_retries=max_retries,
        )
        # top_k is not part of OpenAI's API: servers that reject it still get a request.
        self._send_top_k = True
        # Several samples in one request, until the server shows it cannot (complete_many).
        self._send_n = True

    def complete(self, messages: list[ChatMessage], max_tokens: int) -> ModelReply:
        payload = [{"role": m.role, "content": m.content} for m in messages]
        try:
            response = self._create_with_fallback(payload, max_tokens)
        except openai.BadRequestError as error:
            raise ModelError(f"the model server refused the request: {error.message}") from error
        except openai.APIConnectionError as error:
            raise ModelError(f"cannot reach the model server: {error}", transient=True) from error
        except openai.APIStatusError as error:
            raise ModelError(
                f"the model server answered {error.status_code}", transient=error.status_code >= 500
            ) from error
        except (openai.APIError, ValueError) as error:
            # A body that is not a completion: usually a proxy's error page mid-restart.
            raise ModelError(
                f"the model server sent an unreadable answer ({type(error).__name__})",
                transient=True,
            ) from error
        if not isinstance(getattr(response, "choices", None), list):
            # The SDK hands back the raw text of a 200 that is not JSON (a proxy's HTML page).
            raise ModelError("the model server sent an unreadable answer (not a completion)",
                             transient=True)
        if not response.choices:
            raise ModelError("the model server returned no choices", transient=True)
        choice = response.choices[0]
        message = choice.message
        content = message.content or ""
        reasoning = getattr(message, "reasoning_content", None) or ""
        text, inline_reasoning = strip_reasoning(content)
        text = text.strip()
        usage = response.usage
        return ModelReply(
            text=text,
            reasoning=(reasoning + inline_reasoning).strip(),
            finish_reason=choice.finish_reason or "",
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        )

    def _create_with_fallback(self, payload: list[dict[str, str]], max_tokens: int):  # type: ignore[no-untyped-def]
        try:
            return self._create(payload, max_tokens)
        except openai.BadRequestError as error:
            if not (self._send_top_k and re.search(r"top_k", str(error), re.IGNORECASE)):
                raise
            log.info("model server rejects top_k; sending requests without it")
            self._send_top_k = False
            return self._create(payload, max_tokens)

    def _create(self, payload: list[dict[str, str]], max_tokens: int):  # type: ignore[no-untyped-def]
        extra_body = {"top_k": TOP_K} if self._send_top_k else None
        return self._client.chat.completions.create(
            model=self.model,
            messages=payload,  # type: ignore[arg-type]
            temperature=TEMPERATURE,
            top_p=TOP_P,
            max_tokens=max_tokens,
            extra_body=extra_body,
        )

    def complete_many(self, messages: list[ChatMessage], max_tokens: int, n: int) -> list[ModelReply]:
        """Up to n samples in one request (`n`); fewer, or none, when the server does not do `n`
        (llama.cpp answers one choice, some servers refuse the field): callers top up."""
        if not self._send_n:
            return []
        payload = [{"role": m.role, "content": m.content} for m in messages]
        extra_body = {"top_k": TOP_K} if self._send_top_k else None
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=payload,  # type: ignore[arg-type]
                temperature=TEMPERATURE,
                top_p=TOP_P,
                max_tokens=max_tokens,
                n=n,
                extra_body=extra_body,
            )
        except openai.BadRequestError:
            log.info("model server refuses n=%d; sampling candidates one request at a time", n)
            self._send_n = False
            return []
        except (openai.APIError, ValueError) as error:
            log.info("a request with n=%d failed (%s); sampling one at a time", n, type(error).__name__)
            return []
        # The request's usage (prompt once, completions of every choice) goes on the first reply
        # only, so counting replies' tokens counts the request once.
        return [
            _to_reply(choice, response.usage if index == 0 else None)
            for index, choice in enumerate(response.choices or ())
        ]


def _to_reply(choice, usage) -> ModelReply:  # type: ignore[no-untyped-def]
    message = choice.message
    text, inline_reasoning = strip_reasoning(message.content or "")
    reasoning = getattr(message, "reasoning_content", None) or ""
    return ModelReply(
        text=text.strip(),
        reasoning=(reasoning + inline_reasoning).strip(),
        finish_reason=choice.finish_reason or "",
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
    )
