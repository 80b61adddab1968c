"""How each model server family answers, for the scripted model server to imitate.

Every behaviour below is taken from the project's own code, documentation or API description
(read with the `search`/`fetch` tools; cited per profile). Where a project's behaviour was not
documented, the profile says so and takes the lenient choice.

A profile decides: the errors' status and body, which request fields are refused (and how
the refusal is worded), what `n > 1` gets, the `/v1/models` shape and whether it names a
context length, the `/tokenize` dialect, the reasoning field, whether an unknown model name
is refused. Scripted replies are sent as they are, so a test of structured output
scripts the JSON a constrained server would produce.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Body = dict[str, Any] | list[Any] | str

# The request fields of OpenAI's Create chat completion (platform.openai.com API reference).
# The strict proxy refuses every other field, as api.openai.com does.
OPENAI_CHAT_FIELDS = frozenset({
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n",
    "stream", "stream_options", "stop", "presence_penalty", "frequency_penalty", "logit_bias",
    "logprobs", "top_logprobs", "user", "seed", "tools", "tool_choice", "parallel_tool_calls",
    "response_format", "reasoning_effort", "metadata", "store", "service_tier", "modalities",
    "audio", "prediction", "web_search_options",
})


def _vllm_error(status: int, message: str, kind: str = "BadRequestError") -> Body:
    # vLLM's ErrorResponse (vllm/entrypoints/openai/protocol.py): object "error", message, type,
    # param, code. SGLang's OpenAI layer answers the same shape.
    return {"object": "error", "message": message, "type": kind, "param": None, "code": status}


def _openai_error(message: str, code: str | int | None = None,
                  kind: str = "invalid_request_error") -> Body:
    # OpenAI's error envelope, e.g. for top_k (xlinx/sd-webui-decadetw-auto-prompt-llm#29):
    # {"error": {"message": "Unrecognized request argument supplied: top_k",
    #            "type": "invalid_request_error", "param": null, "code": null}}
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _llamacpp_error(status: int, message: str) -> Body:
    # llama.cpp's server (tools/server/utils.hpp format_error_response): {"error": {"code",
    # "message", "type"}}; invalid arguments are "invalid_request_error".
    return {"error": {"code": status, "message": message, "type": "invalid_request_error"}}


def _tgi_error(message: str, kind: str = "validation") -> Body:
    # TGI's ErrorResponse (docs/openapi.json): {"error": "...", "error_type": "..."}.
    return {"error": message, "error_type": kind}


@dataclass(frozen=True)
class ServerProfile:
    name: str
    # Fields refused with `refusal(field)`; None for "every field OpenAI does not define".
    refuses: frozenset[str] | None = frozenset()
    refusal: Callable[[str], tuple[int, Body]] = lambda name: (400, _openai_error(name))
    # What a request with n > 1 gets: every choice, one choice (n ignored), or a refusal.
    n_mode: Literal["choices", "one", "refuse"] = "choices"
    n_refusal: tuple[int, Body] = (400, _openai_error("n must be 1"))
    # /v1/models: an OpenAI list, or TGI's single object; extra fields on the model's entry.
    models_shape: Literal["list", "single"] = "list"
    model_entry: Callable[[str], dict[str, Any]] = lambda model: {}
    owned_by: str = "scripted"
    # /tokenize: the body it reads ("prompt", "content", "inputs") or None for no endpoint.
    tokenize: Literal["prompt", "content", "inputs"] | None = "prompt"
    tokenize_absent: tuple[int, Body] = (404, {"detail": "Not Found"})
    reasoning_field: str = "reasoning_content"
    # An unknown model name: refused with this answer, or None when the server ignores the name.
    unknown_model: Callable[[str], tuple[int, Body]] | None = None
    # Streaming: a final usage chunk when stream_options.include_usage asks for one.
    stream_usage: bool = True


# The scripted default: vLLM's request handling, without a context length or a model check,
# as the tests written before the profiles expect.
SCRIPTED = ServerProfile(name="scripted")

# vLLM: docs/serving/openai_compatible_server.md. Unknown fields are ignored and logged ("The
# following fields were present in the request but ignored", OpenAIBaseModel in
# vllm/entrypoints/openai/protocol.py); top_k and n are sampling params it supports;
# `max_model_len` on each /v1/models entry; POST /tokenize {"model", "prompt"} -> {"count",
# "tokens", "max_model_len"}; an unknown model is 404 "The model `x` does not exist."
# (serving_engine.py _check_model); reasoning parsers fill `reasoning_content`; structured
# outputs via response_format json_schema (and `guided_json` before v0.12).
VLLM = ServerProfile(
    name="vllm",
    model_entry=lambda model: {"max_model_len": 32768, "root": model, "parent": None},
    owned_by="vllm",
    unknown_model=lambda model: (404, _vllm_error(404, f"The model `{model}` does not exist.",
                                                  "NotFoundError")),
)

# SGLang: docs basic_usage/openai_api_completions and native_api (/tokenize with {"model",
# "prompt"}, as the router's TokenizeRequest "compatible with the Python SGLang
# implementation"); /v1/models entries carry `max_model_len` (a served model card shows
# {"id", "object": "model", "owned_by": "sglang", "max_model_len": 262144}); top_k and n are
# SamplingParams; `reasoning_content` with --reasoning-parser. The served model name is not
# checked against the request (the lenient choice: not documented either way).
SGLANG = ServerProfile(
    name="sglang",
    model_entry=lambda model: {"max_model_len": 32768, "root": model},
    owned_by="sglang",
)

# llama.cpp's server: tools/server/README.md and utils.hpp oaicompat_chat_params_parse. Extra
# fields (top_k included) are llama.cpp sampling params and copied through; `n` other than 1
# is refused with "Only one completion choice is allowed" (400 invalid_request_error in current
# builds; older ones sent 500 server_error); /v1/models is an OpenAI list with
# owned_by "llamacpp" and `meta` (n_ctx_train = the training length, not --ctx-size);
# POST /tokenize reads `content` and answers {"tokens": [...]} (an empty list without
# `content`); the request's model name is ignored; `reasoning_content` with
# --reasoning-format; JSON schema via `json_schema` or response_format.
LLAMACPP = ServerProfile(
    name="llama.cpp",
    n_mode="refuse",
    n_refusal=(400, _llamacpp_error(400, "Only one completion choice is allowed")),
    model_entry=lambda model: {"meta": {"vocab_type": 2, "n_vocab": 151936,
                                        "n_ctx_train": 131072, "n_params": 7_000_000_000}},
    owned_by="llamacpp",
    tokenize="content",
)

# Ollama's OpenAI API: docs.ollama.com/api/openai-compatibility ("Supported request fields":
# model, messages, frequency_penalty, presence_penalty, response_format, seed, stop, stream,
# stream_options, temperature, top_p, max_tokens, tools, reasoning_effort ... -- no top_k,
# no n). Go's JSON decoding ignores the fields it does not read, so top_k and n are
# accepted and ignored: one choice. /v1/models: OpenAI list, owned_by "library", no length.
# No /tokenize (Go's mux answers "404 page not found"). Thinking models put their thoughts
# in `reasoning`. An unknown model: 404 `model "x" not found, try pulling it first`.
OLLAMA = ServerProfile(
    name="ollama",
    n_mode="one",
    owned_by="library",
    tokenize=None,
    tokenize_absent=(404, "404 page not found"),
    reasoning_field="reasoning",
    unknown_model=lambda model: (404, _openai_error(
        f'model "{model}" not found, try pulling it first', kind="api_error")),
)

# TGI's Messages API: docs/openapi.json. ChatRequest has no top_k (serde ignores it), `n` is
# documented "UNUSED" (one choice), `model` is "[UNUSED]" (any name is served);
# /v1/models answers one ModelInfo object {"id", "object", "created", "owned_by"}, no
# length (that is in /info); POST /tokenize takes GenerateRequest {"inputs"} and answers a list
# of {"id", "text", "start", "stop"}; errors are {"error", "error_type"} with 422 for
# validation; response_format is a GrammarType ({"type": "json"|"regex", "value"}), so an
# OpenAI json_schema is a 422 deserialisation error naming `response_format`.
TGI = ServerProfile(
    name="tgi",
    refuses=frozenset({"response_format"}),
    refusal=lambda name: (422, _tgi_error(
        f"Failed to deserialize the JSON body into the target type: {name}: unknown variant "
        "`json_schema`, expected `json` or `regex` at line 1 column 120")),
    n_mode="one",
    models_shape="single",
    owned_by="huggingface",
    tokenize="inputs",
    tokenize_absent=(404, ""),
)

# A strict OpenAI-compatible proxy in front of a hosted model: any field OpenAI does not define
# is refused in OpenAI's words ("Unrecognized request argument supplied: top_k", 400
# invalid_request_error), `n > 1` is refused the way LiteLLM refuses a parameter the provider
# lacks ("litellm.UnsupportedParamsError: ... does not support parameters: ['n'] ... To drop
# these, set `litellm.drop_params=True`", docs.litellm.ai drop_params, BerriAI/litellm#33738),
# no /tokenize (OpenAI: 404 "Invalid URL (POST /tokenize)"), /v1/models without a length,
# and an unknown model is 404 model_not_found.
STRICT_PROXY = ServerProfile(
    name="strict-proxy",
    refuses=None,
    refusal=lambda name: (400, _openai_error(f"Unrecognized request argument supplied: {name}")),
    n_mode="refuse",
    n_refusal=(400, _openai_error(
        "litellm.UnsupportedParamsError: hosted_vllm does not support parameters: ['n'], for "
        "model=coder. To drop these, set `litellm.drop_params=True` or for proxy:\n\n"
        "`litellm_settings:\n drop_params: true`\n", code="400")),
    owned_by="openai",
    tokenize=None,
    tokenize_absent=(404, _openai_error("Invalid URL (POST /tokenize)")),
    reasoning_field="reasoning_content",
    unknown_model=lambda model: (404, _openai_error(
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found")),
)

PROFILES = {p.name: p for p in (VLLM, SGLANG, LLAMACPP, OLLAMA, TGI, STRICT_PROXY)}


def refused_field(profile: ServerProfile, payload: dict[str, Any]) -> str | None:
    """The first request field this profile refuses, in the order the request sent them."""
    for name in payload:
        if profile.refuses is None and name not in OPENAI_CHAT_FIELDS:
            return name
        if profile.refuses and name in profile.refuses:
            return name
    return None
