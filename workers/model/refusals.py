"""Which request field a model server's 400 refuses, read from the error text it sends.

Servers word the same refusal differently; each pattern below is the wording of one server
family, as its own code or its users' reports show it:

- OpenAI and proxies passing its answer through (LiteLLM forwards non-OpenAI fields as they are,
  BerriAI/litellm#10791): ``Unrecognized request argument supplied: top_k`` (400,
  ``invalid_request_error``; e.g. xlinx/sd-webui-decadetw-auto-prompt-llm#29).
- OpenAI, newer wording for fields a model does not take:
  ``Unsupported parameter: 'temperature' is not supported with this model.``
- LiteLLM's own check (docs.litellm.ai "drop_params"): ``litellm.UnsupportedParamsError: ... does
  not support parameters: ['top_k'], for model=... To drop these, set `litellm.drop_params=True```.
- Rust servers deserialising with serde (TGI's router; axum answers 422):
  ``Failed to deserialize the JSON body into the target type: unknown field `top_k` ...``.
- FastAPI/pydantic servers with ``extra="forbid"`` (a strict vLLM-style front end):
  ``{"detail": [{"type": "extra_forbidden", "loc": ["body", "top_k"], "msg": "Extra inputs are not
  permitted"}]}`` (422); the same body names a value it will not take (``"loc": ["body", "n"],
  "msg": "Input should be less than or equal to 1"``).
- llama.cpp's server (tools/server/utils.hpp): ``Unsupported param: best_of`` and, for `n`,
  ``Only one completion choice is allowed`` -- sent as 400 by current builds and as 500
  (``server_error``) by older ones, so it is read from either status.

vLLM, SGLang and Ollama ignore fields they do not know (vLLM logs "The following fields were
present in the request but ignored"), so they never send such a refusal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PATTERNS = (
    re.compile(rf"Unsupported parameter:\s*'?({_NAME})'?", re.I),
    re.compile(rf"unknown field\s*`({_NAME})`", re.I),
    # serde naming the field whose value it could not read (TGI: `response_format: unknown variant`).
    re.compile(rf"into the target type:\s*({_NAME})\s*:", re.I),
    re.compile(rf"Unsupported param(?:eter)?(?:\s*\([^)]*\))?:\s*({_NAME})", re.I),
    re.compile(rf"['\"]?({_NAME})['\"]? is not (?:supported|permitted|allowed)", re.I),
)
# jsonschema's wording, used by proxies that validate requests against OpenAI's schema.
_UNEXPECTED = re.compile(rf"\(((?:'{_NAME}'(?:, )?)+) (?:was|were) unexpected\)")
# Any other refusal that quotes the field's name: the name in quotes or backticks, beside a
# word saying it is not wanted.
_REFUSAL_WORDS = re.compile(
    r"unrecogni[sz]ed|unknown|unsupported|not supported|not allowed|not permitted|unexpected"
    r"|extra (?:inputs|fields)|invalid (?:param|argument|field)", re.I)
# OpenAI names several at once in the plural: "Unrecognized request arguments supplied: a, b".
_SUPPLIED = re.compile(rf"Unrecognized request arguments? supplied:\s*({_NAME}(?:\s*,\s*{_NAME})*)",
                       re.I)
_LIST = re.compile(r"does not support param(?:eter)?s?:?\s*\[([^\]]*)\]", re.I)
_ONE_CHOICE = re.compile(
    r"only one (?:completion )?choice|\bn\b\s*(?:must|should) be 1|\bn\s*>\s*1|\bn\s*=\s*1\b"
    r"|more than one (?:choice|completion)|multiple (?:choices|completions)", re.I)


def refused_fields(error_text: str, sent: Iterable[str]) -> set[str]:
    """The fields among `sent` that the error names as refused; empty when it names none.

    Only fields the request carried count, so a message quoting other words (a model name,
    a field the server wants) is never read as a refusal of something we can drop.
    """
    sent = set(sent)
    found: set[str] = set()
    for pattern in _PATTERNS:
        found.update(match.group(1) for match in pattern.finditer(error_text))
    for listed in _LIST.finditer(error_text):
        found.update(re.findall(_NAME, listed.group(1)))
    for listed in _SUPPLIED.finditer(error_text):
        found.update(re.findall(_NAME, listed.group(1)))
    for listed in _UNEXPECTED.finditer(error_text):
        found.update(re.findall(_NAME, listed.group(1)))
    found.update(_pydantic_extras(error_text))
    if not found & sent and _REFUSAL_WORDS.search(error_text):
        found.update(name for name in sent
                     if re.search(rf"[`'\"]{re.escape(name)}[`'\"]", error_text))
    if "n" in sent and _ONE_CHOICE.search(error_text):
        found.add("n")
    return found & sent


def _pydantic_extras(error_text: str) -> set[str]:
    """Field names a FastAPI 422 body objects to: an extra field, or a value out of range
    (`n` above 1: "Input should be less than or equal to 1")."""
    start = error_text.find("{")
    if start < 0 or '"detail"' not in error_text:
        return set()
    try:
        body = json.loads(error_text[start:])
    except ValueError:
        return set()
    details = body.get("detail") if isinstance(body, dict) else None
    names: set[str] = set()
    for item in details if isinstance(details, list) else ():
        if isinstance(item, dict):
            location = item.get("loc") or []
            if location and isinstance(location[-1], str):
                names.add(location[-1])
    return names
