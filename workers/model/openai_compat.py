"""ChatModel over the official openai SDK: vLLM, SGLang, llama.cpp, Ollama, TGI, a proxy or a hosted API.

Everything beyond `model`, `messages` and `max_tokens` is optional to the request: the model
card's sampling (`temperature`, `top_p`, `top_k`), `n`, and the structured-output field. A
server that refuses one of them by name (workers/model/refusals.py) gets the request again
without it, and the refusal is remembered (workers/model/capabilities.py) so no later request,
from this worker or another sharing the Redis, carries that field again.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from typing import Any

import openai

from workers.model.capabilities import ServerCapabilities
from workers.model.refusals import refused_fields
from workers.model.reply import ChatMessage, ModelError, ModelReply, strip_reasoning

log = logging.getLogger("iquest.model")

# The model card's sampling for IQuest-Coder-V1-40B-Instruct.
TEMPERATURE = 0.6
TOP_P = 0.85
TOP_K = 20
# Each refusal removes one field; more attempts than optional fields would mean a loop.
_MAX_REFUSALS = 8
# Statuses whose body may name a refused field: 400 (OpenAI, vLLM, llama.cpp, proxies),
# 422 (TGI's axum/serde, FastAPI with extra="forbid"), 500 (older llama.cpp for `n`).
_REFUSAL_STATUSES = frozenset({400, 422, 500})
# OpenAI's own optional chat fields among those we send; the rest are other servers' extensions.
_OPENAI_FIELDS = frozenset({"temperature", "top_p", "n", "response_format"})
def _unnamed(error: openai.APIStatusError) -> bool:
    """A 400/422 that may be about a field without naming it (not a length error)."""
    text = f"{error.message} {getattr(error, 'body', '')}"
    return error.status_code in (400, 422) and not _LENGTH.search(text)


# Refusals about the prompt's size: no field is to blame, so nothing is resent.
_LENGTH = re.compile(r"context|too long|longer than|length|maximum.{0,40}tokens|max_tokens"
                     r"|token limit", re.I)


def structured_fields(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    """The ways servers take a JSON schema to constrain decoding, most standard first.

    - `response_format` json_schema: OpenAI's form; vLLM (docs/features/structured_outputs.md),
      SGLang, llama.cpp's server and Ollama's OpenAI endpoint accept it.
    - `guided_json`: vLLM before v0.12 and SGLang's older extension.
    - `json_schema`: llama.cpp's server's native field.
    A server refusing one field by name is tried with the next; one refusing all gets plain text,
    which the parser reads as before.
    """
    return [
        ("response_format",
         {"type": "json_schema", "json_schema": {"name": "fix", "schema": schema, "strict": True}}),
        ("guided_json", schema),
        ("json_schema", schema),
    ]


class OpenAICompatModel:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 600.0,
        max_retries: int = 2,
        capabilities: ServerCapabilities | None = None,
    ) -> None:
        self.model = model
        self.capabilities = capabilities or ServerCapabilities(base_url, model)
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout_seconds,
            max_retries=max_retries,
        )
        self._schema: dict[str, Any] | None = None
        self._instruction = ""

    def structured(self, schema: dict[str, Any], instruction: str) -> OpenAICompatModel:
        """This adapter asking for replies matching `schema` (same client and capabilities).

        `instruction` is added to the last user message: constrained decoding forces the
        shape, the instruction tells the model what each field is for.
        """
        view = copy.copy(self)
        view._schema = schema
        view._instruction = instruction
        return view

    def complete(self, messages: list[ChatMessage], max_tokens: int) -> ModelReply:
        response = self._checked(self._payload(messages), max_tokens, n=None)
        if not response.choices:
            raise ModelError("the model server returned no choices", transient=True)
        return _to_reply(response.choices[0], response.usage)

    def complete_many(self, messages: list[ChatMessage], max_tokens: int, n: int) -> list[ModelReply]:
        """Up to n samples in one request (`n`); fewer, or none, when the server does not do `n`
        (llama.cpp refuses it, TGI and Ollama answer one choice): callers top up."""
        self.capabilities.refresh()
        if "n" in self.capabilities.refused() or self.capabilities.flag("n") is False:
            return []
        try:
            response = self._send(self._payload(messages), max_tokens, n)
        except (openai.APIError, ValueError) as error:
            log.info("a request with n=%d failed (%s); sampling one at a time", n, type(error).__name__)
            return []
        if not isinstance(getattr(response, "choices", None), list):
            return []
        choices = response.choices or []
        if "n" not in self.capabilities.refused():
            # A server that ignores `n` answers one choice: the rest come one request at a time.
            self.capabilities.set_flag("n", len(choices) >= n)
        # When `n` was refused, the resent request's one choice is still a sample: kept.
        # The request's usage (prompt once, completions of every choice) goes on the first reply
        # only, so counting replies' tokens counts the request once.
        return [
            _to_reply(choice, response.usage if index == 0 else None)
            for index, choice in enumerate(choices)
        ]

    def _payload(self, messages: list[ChatMessage]) -> list[dict[str, str]]:
        payload = [{"role": m.role, "content": m.content} for m in messages]
        if self._instruction:
            last = max((i for i, m in enumerate(payload) if m["role"] == "user"), default=None)
            if last is not None:
                payload[last] = {**payload[last],
                                 "content": payload[last]["content"] + "\n\n" + self._instruction}
        return payload

    def _optional(self, n: int | None) -> dict[str, Any]:
        """The optional fields this server has not refused."""
        refused = self.capabilities.refused()
        fields: dict[str, Any] = {"temperature": TEMPERATURE, "top_p": TOP_P, "top_k": TOP_K}
        if n is not None:
            fields["n"] = n
        if self._schema is not None:
            for name, value in structured_fields(self._schema):
                if name not in refused:
                    fields[name] = value
                    break
        return {name: value for name, value in fields.items() if name not in refused}

    def _send(self, payload: list[dict[str, str]], max_tokens: int, n: int | None):  # type: ignore[no-untyped-def]
        """One completion, resent without each field the server refuses by name.

        A 400/422 that names no field (and is not about length) is resent once without the
        fields OpenAI does not define, then also without `n`; when one of those is answered,
        what it left out is taken as refused.
        """
        self.capabilities.refresh()
        suspects: list[frozenset[str]] = []
        first_unnamed: openai.APIStatusError | None = None
        for _ in range(_MAX_REFUSALS):
            optional = self._optional(n)
            leave_out: frozenset[str] = suspects[0] if suspects else frozenset()
            try:
                response = self._client.chat.completions.create(
                    model=self.model,
                    messages=payload,  # type: ignore[arg-type]
                    max_tokens=max_tokens,
                    # extra_body: the SDK types only OpenAI's fields; every optional one goes here
                    # so they are all dropped the same way.
                    extra_body={k: v for k, v in optional.items() if k not in leave_out},
                )
            except openai.APIStatusError as error:
                refused = _refusal(error, optional)
                if not refused and first_unnamed is None and _unnamed(error):
                    first_unnamed = error
                    non_openai = {k for k in optional if k not in _OPENAI_FIELDS}
                    with_n = non_openai | ({"n"} & optional.keys())
                    suspects = [s for s in dict.fromkeys(
                        frozenset(s) for s in (non_openai, with_n) if s)]  # type: ignore[misc]
                    if suspects:
                        continue
                elif not refused and suspects:
                    suspects.pop(0)  # that was not it: try the next, or give up
                    if suspects:
                        continue
                    raise first_unnamed from error  # type: ignore[misc]
                if not refused:
                    raise
                self._learn(refused)
                continue
            if leave_out:
                log.warning("the model server refused a request without naming a field; "
                            "it answers one without %s", ", ".join(sorted(leave_out)))
                self._learn(leave_out)
            return response
        raise ModelError("the model server kept refusing request fields")

    def _learn(self, refused: set[str] | frozenset[str]) -> None:
        for name in sorted(refused):
            log.warning(
                "the model server refuses the request field %r; sending requests without it", name
            )
            self.capabilities.refuse(name)

    def _checked(self, payload: list[dict[str, str]], max_tokens: int, n: int | None):  # type: ignore[no-untyped-def]
        """`_send` with the SDK's errors turned into ModelError, permanent or transient."""
        try:
            response = self._send(payload, max_tokens, n)
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
        return response


def _refusal(error: openai.APIStatusError, optional: dict[str, Any]) -> set[str]:
    if error.status_code not in _REFUSAL_STATUSES:
        return set()
    text = str(error.message or "")
    body = getattr(error, "body", None)
    if body is not None:
        text += "\n" + (body if isinstance(body, str) else json.dumps(body))
    refused = refused_fields(text, optional)
    # OpenAI-style bodies name the offending field in `param` even when the message does not.
    inner = body.get("error", body) if isinstance(body, dict) else None
    param = inner.get("param") if isinstance(inner, dict) else None
    if error.status_code in (400, 422) and isinstance(param, str) and param in optional:
        refused.add(param)
    if error.status_code == 500:
        refused &= {"n"}  # only llama.cpp's old "one completion choice" answer is a refusal
    return refused


def _to_reply(choice, usage) -> ModelReply:  # type: ignore[no-untyped-def]
    message = choice.message
    text, inline_reasoning = strip_reasoning(message.content or "")
    # vLLM, SGLang, llama.cpp and DeepSeek name it `reasoning_content`; Ollama and newer vLLM
    # `reasoning`. The SDK keeps unknown fields as attributes.
    reasoning = (getattr(message, "reasoning_content", None)
                 or getattr(message, "reasoning", None) or "")
    if not isinstance(reasoning, str):
        reasoning = ""
    return ModelReply(
        text=text.strip(),
        reasoning=(reasoning + inline_reasoning).strip(),
        finish_reason=choice.finish_reason or "",
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
    )
