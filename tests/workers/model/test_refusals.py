"""Refused request fields read from each server family's own wording (workers/model/refusals.py)."""

from __future__ import annotations

import json

import pytest

from workers.model.refusals import refused_fields

SENT = {"temperature", "top_p", "top_k", "n", "response_format", "guided_json", "json_schema"}


@pytest.mark.parametrize(("text", "refused"), [
    # OpenAI, and proxies passing its answer through.
    ('{"error": {"message": "Unrecognized request argument supplied: top_k", '
     '"type": "invalid_request_error", "param": null, "code": null}}', {"top_k"}),
    ("Unsupported parameter: 'temperature' is not supported with this model.", {"temperature"}),
    ("Unrecognized request arguments supplied: guided_json, top_k", {"guided_json", "top_k"}),
    # LiteLLM's own check, several at once.
    ("litellm.UnsupportedParamsError: openai does not support parameters: ['top_k', 'n'], "
     "for model=x. To drop these, set `litellm.drop_params=True`", {"top_k", "n"}),
    # TGI (serde via axum, 422): an unknown field, or a value it cannot read.
    ("Failed to deserialize the JSON body into the target type: unknown field `top_k`, "
     "expected one of `messages`", {"top_k"}),
    ("Failed to deserialize the JSON body into the target type: response_format: unknown "
     "variant `json_schema`, expected `json` or `regex` at line 1 column 9", {"response_format"}),
    # FastAPI with extra="forbid".
    (json.dumps({"detail": [{"type": "extra_forbidden", "loc": ["body", "guided_json"],
                             "msg": "Extra inputs are not permitted"}]}), {"guided_json"}),
    (json.dumps({"detail": [{"type": "less_than_equal", "loc": ["body", "n"],
                             "msg": "Input should be less than or equal to 1"}]}), {"n"}),
    ("n must be 1 for this model", {"n"}),
    # llama.cpp's server.
    ('{"error": {"code": 400, "message": "Only one completion choice is allowed", '
     '"type": "invalid_request_error"}}', {"n"}),
    ("Unsupported param: json_schema", {"json_schema"}),
    # A proxy validating against OpenAI's schema with jsonschema.
    ("Additional properties are not allowed ('top_k', 'guided_json' were unexpected)",
     {"top_k", "guided_json"}),
    # Any other wording that quotes the field beside a refusal word.
    ("Invalid request: field `top_k` is not allowed here", {"top_k"}),
])
def test_each_servers_wording_names_the_field(text: str, refused: set[str]) -> None:
    assert refused_fields(text, SENT) == refused


@pytest.mark.parametrize("text", [
    "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens.",
    "The model `big` does not exist.",
    "Unrecognized request argument supplied: messages",  # not an optional field we sent
    "",
])
def test_other_errors_name_no_droppable_field(text: str) -> None:
    assert refused_fields(text, SENT) == set()


def test_a_range_error_quoting_no_field_drops_nothing() -> None:
    assert refused_fields("temperature must be between 0 and 2", SENT) == set()


def test_only_fields_the_request_carried_count() -> None:
    assert refused_fields("Unrecognized request argument supplied: top_k", {"temperature"}) == set()
