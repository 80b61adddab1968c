"""POST /repair and GET /jobs/{id}: an issue and files from CI/CD become a queued job; its result is read back."""

from __future__ import annotations

import hmac
import json
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response

from service.dispatch import Enqueuer
from service.webhook import BodyTooLarge, read_limited_body
from workers.intake.enqueue import EnqueueUnavailable
from workers.intake.jobs import Job, JobKind, TriggerSource, job_id_for_delivery
from workers.intake.repair_store import AsyncRepairStore, RepairRequest, RepairResult

log = logging.getLogger("iquest.repair")

MAX_TITLE_CHARS = 1_000
MAX_ISSUE_BODY_CHARS = 64 * 1024
MAX_PATH_CHARS = 1_000
_JOB_ID = re.compile(r"[0-9a-f]{32}")


def path_problem(path: str) -> str | None:
    """Why `path` is not a safe repository-relative file path, or None when it is."""
    if not path or len(path) > MAX_PATH_CHARS:
        return f"must be 1 to {MAX_PATH_CHARS} characters"
    if "\\" in path or "\x00" in path or ":" in path:
        return "must use '/' separators and contain no '\\', ':' or NUL"
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in path):
        # Cc: control characters (newlines break logs and diffs); Cf: format characters,
        # bidi overrides among them, which make a path read as another one.
        return "must contain no control or invisible formatting (bidi) characters"
    if path.startswith("/"):
        return "must be relative to the repository root"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "must not contain empty, '.' or '..' segments"
    # Case-insensitive file systems (macOS, Windows checkouts) treat .GIT as .git.
    if any(part.lower() == ".git" for part in parts):
        return "must not be inside .git (in any letter case)"
    return None


class RepairIssue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    body: str = Field(default="", max_length=MAX_ISSUE_BODY_CHARS)


class RepairBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue: RepairIssue
    files: dict[str, str] = Field(min_length=1)

    @field_validator("files")
    @classmethod
    def _safe_paths(cls, files: dict[str, str]) -> dict[str, str]:
        problems = [f"{path!r} {problem}" for path in files if (problem := path_problem(path))]
        if problems:
            raise ValueError("unsafe file paths: " + "; ".join(problems))
        # A path that is also another path's directory cannot be written as both.
        dirs = {str(parent) for path in files for parent in PurePosixPath(path).parents}
        clashes = sorted(path for path in files if path in dirs)
        if clashes:
            raise ValueError(f"paths used both as a file and as a directory: {', '.join(clashes)}")
        return files


class QueuedAnswer(BaseModel):
    status: str
    job_id: str
    status_url: str


class ErrorAnswer(BaseModel):
    error: str
    status: str | None = None


class InvalidAnswer(BaseModel):
    detail: list[dict[str, Any]]


class JobAnswer(RepairResult):
    job_id: str


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its `$defs` inlined: a `#/$defs/...` reference would resolve
    against the whole OpenAPI document, not the schema it sits in."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


# The routes read their bodies themselves (size-capped, validated once); these describe them in
# the app's OpenAPI document, which clients and the schemathesis tests read.
_AUTH_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorAnswer, "description": "missing or invalid bearer token"},
    503: {"model": ErrorAnswer,
          "description": "Redis unavailable (retry later), or no IQUEST_REPAIR_TOKEN configured"},
}
_REPAIR_DOC: dict[str, Any] = {
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inlined(RepairBody.model_json_schema())}},
        }
    },
    "status_code": 202,
    "response_model": QueuedAnswer,
    "responses": {
        **_AUTH_ANSWERS,
        413: {"model": ErrorAnswer, "description": "body too large"},
        429: {"model": ErrorAnswer, "description": "the token's daily repair jobs are used"},
        422: {"model": InvalidAnswer, "description": "invalid request"},
    },
}
_JOB_DOC: dict[str, Any] = {
    "response_model": JobAnswer,
    "responses": {**_AUTH_ANSWERS, 404: {"model": ErrorAnswer, "description": "no such job"}},
}


@dataclass(frozen=True)
class RepairLimits:
    max_bytes: int
    max_files: int
    max_file_bytes: int
    jobs_per_day: int = 500


def _answer(code: int, fields: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(fields), status_code=code, media_type="application/json", headers=headers)


def _invalid(errors: list[dict[str, Any]]) -> Response:
    return _answer(422, {"detail": errors})


def _limit_errors(body: RepairBody, limits: RepairLimits) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if len(body.files) > limits.max_files:
        errors.append({"loc": ["body", "files"], "type": "too_many_files",
                       "msg": f"at most {limits.max_files} files, got {len(body.files)}"})
    for path, content in body.files.items():
        if len(content.encode()) > limits.max_file_bytes:
            errors.append({"loc": ["body", "files", path], "type": "file_too_large",
                           "msg": f"larger than {limits.max_file_bytes} bytes"})
    return errors


def _authorized(request: Request, bearer: bytes | None) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (bearer is not None and scheme.lower() == "bearer"
            and hmac.compare_digest(token.strip().encode(), bearer))


_UNAUTHORIZED = ({"error": "missing or invalid bearer token"}, {"WWW-Authenticate": "Bearer"})
NOT_SERVED = ("POST /repair and GET /jobs are off: IQUEST_REPAIR_TOKEN is not set on this "
              "receiver (the webhook secret never authorises them)")


def _refusal(request: Request, bearer: bytes | None) -> Response | None:
    """503 while no repair token is configured, 401 for a wrong one, None when authorised."""
    if bearer is None:
        return _answer(503, {"status": "disabled", "error": NOT_SERVED})
    if not _authorized(request, bearer):
        return _answer(401, *_UNAUTHORIZED)
    return None
_UNAVAILABLE = {"status": "unavailable", "error": "queue unavailable, retry later"}


def build_repair_router(
    bearer: bytes | None, enqueuer: Enqueuer, store: AsyncRepairStore, limits: RepairLimits
) -> APIRouter:
    router = APIRouter()

    @router.post("/repair", **_REPAIR_DOC)
    async def repair(request: Request) -> Response:
        if (refused := _refusal(request, bearer)) is not None:
            return refused
        try:
            raw = await read_limited_body(request, limits.max_bytes)
        except BodyTooLarge:
            return _answer(413, {"error": f"body larger than {limits.max_bytes} bytes"})
        try:
            body = RepairBody.model_validate_json(raw)
        except ValidationError as error:
            # Inputs are left out: they can be whole files.
            return _invalid(error.errors(include_url=False, include_input=False, include_context=False))
        errors = _limit_errors(body, limits)
        if errors:
            return _invalid(errors)
        try:
            within_quota = await store.take_daily(bearer or b"", limits.jobs_per_day)
        except RedisError as error:
            log.error("repair quota read failed: %s", type(error).__name__)
            return _answer(503, _UNAVAILABLE)
        if not within_quota:
            return _answer(429, {"error": f"this token's {limits.jobs_per_day} repair jobs of "
                                 "the day (UTC) are used; try again tomorrow"},
                           {"Retry-After": "3600"})
        # A fresh id per request: a POST retried by the caller is a new job, as HTTP expects.
        delivery_id = f"repair-{uuid.uuid4()}"
        job = Job(kind=JobKind.REPAIR, job_id=job_id_for_delivery(delivery_id),
                  delivery_id=delivery_id, source=TriggerSource.API)
        try:
            # The request is stored before the job is queued, so the worker always finds it.
            await store.save_request(
                job.job_id,
                RepairRequest(title=body.issue.title, body=body.issue.body, files=body.files),
            )
            result = await enqueuer.enqueue(job)
        except EnqueueUnavailable as error:
            log.error("repair enqueue failed job=%s: %s", job.job_id, error)
            return _answer(503, _UNAVAILABLE)
        except RedisError as error:  # the store failed: nothing durable was promised
            log.error("repair store failed job=%s: %s", job.job_id, type(error).__name__)
            return _answer(503, _UNAVAILABLE)
        return _answer(202, {"status": "queued", "job_id": result.job_id,
                             "status_url": f"/jobs/{result.job_id}"})

    @router.get("/jobs/{job_id}", **_JOB_DOC)
    async def job_status(job_id: str, request: Request) -> Response:
        # The result holds the caller's code, so reading it takes the same token as writing.
        if (refused := _refusal(request, bearer)) is not None:
            return refused
        if not _JOB_ID.fullmatch(job_id):
            return _answer(404, {"error": "no such job"})
        try:
            result = await store.load_result(job_id)
        except RedisError as error:
            log.error("repair status read failed job=%s: %s", job_id, type(error).__name__)
            return _answer(503, {"status": "unavailable", "error": "store unavailable, retry later"})
        if result is None:
            return _answer(404, {"error": "no such job (unknown, or older than its time to live)"})
        return _answer(200, {"job_id": job_id, **result.model_dump(mode="json")})

    return router
