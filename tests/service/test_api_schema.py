"""Schemathesis over the app's own OpenAPI document: /repair and /jobs never answer 5xx, and
every answer matches what the document promises (status codes, content types, bodies)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.receiver import ReceiverThread, receiver_settings
from tests.support.webhooks import TEST_REPAIR_TOKEN

AUTH = {"Authorization": f"Bearer {TEST_REPAIR_TOKEN}"}


@pytest.fixture(scope="module")
def api(redis_server) -> Iterator[ReceiverThread]:
    thread = ReceiverThread(
        receiver_settings(repair_max_files=5, repair_max_file_bytes=2000, repair_max_bytes=20_000),
        redis_server.url,
    )
    thread.start()
    yield thread
    thread.stop()


CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("path", ["/repair", "/jobs/{job_id}"])
def test_repair_and_jobs_never_fail_and_keep_their_schema(api, path) -> None:
    # The document is the one the running app serves, not a copy.
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    operations = [
        result.ok() for result in schema.get_all_operations() if result.ok().path == path
    ]
    assert operations, f"{path} is missing from the app's OpenAPI document"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=60,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case) -> None:
            case.call_and_validate(base_url=api.url, headers=AUTH, checks=CHECKS)

        call()
