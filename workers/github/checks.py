"""The checks half of GitHubRepoClient: read a check run back with its output and annotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workers.github.port import CheckAction, CheckAnnotation, CheckOutput, CheckRun

# GitHub takes at most 50 annotations per request.
MAX_ANNOTATIONS = 50


def _text(data: Any, name: str) -> str:
    # githubkit leaves absent fields as its UNSET sentinel, and GitHub sends null for unset ones.
    value = getattr(data, name, None)
    return value if isinstance(value, str) else ""


def check_run_from(data: Any) -> CheckRun:
    output = getattr(data, "output", None)
    app = getattr(data, "app", None)
    return CheckRun(
        id=data.id,
        name=data.name,
        head_sha=data.head_sha,
        status=data.status,
        conclusion=getattr(data, "conclusion", None) or None,
        html_url=_text(data, "html_url"),
        app_slug=_text(app, "slug") if app else "",
        title=_text(output, "title"),
        summary=_text(output, "summary"),
        text=_text(output, "text"),
    )


def annotation_from(data: Any) -> CheckAnnotation:
    return CheckAnnotation(
        path=data.path,
        start_line=data.start_line,
        end_line=data.end_line,
        level=_text(data, "annotation_level") or "failure",
        message=_text(data, "message"),
        title=_text(data, "title"),
    )


class ChecksMixin:
    """Needs the host class's `owner`, `repo`, `_rest`, and its `_call`/`_paginate` error mapping."""

    owner: str
    repo: str
    _rest: Any
    _call: Callable[..., Any]
    _paginate: Callable[..., list[Any]]

    def get_check_run(self, check_run_id: int) -> CheckRun:
        return check_run_from(self._call(self._rest.checks.get, self.owner, self.repo, check_run_id))

    def list_check_run_annotations(self, check_run_id: int) -> list[CheckAnnotation]:
        items = self._paginate(self._rest.checks.list_annotations, check_run_id=check_run_id)
        return [annotation_from(item) for item in items]

    def create_check_run(
        self, name: str, head_sha: str, external_id: str, completed: CheckOutput | None = None
    ) -> int:
        body: dict[str, Any] = {"name": name, "head_sha": head_sha, "external_id": external_id,
                                "status": "queued"}
        if completed is not None:
            body.update(status="completed", conclusion=completed.conclusion, output=_output(completed))
        return self._call(self._rest.checks.create, self.owner, self.repo, data=body).id

    def update_check_run(
        self,
        check_run_id: int,
        status: str,
        conclusion: str | None = None,
        output: CheckOutput | None = None,
        actions: tuple[CheckAction, ...] = (),
    ) -> None:
        body: dict[str, Any] = {"status": status}
        if conclusion is not None:
            body["conclusion"] = conclusion
        if output is not None:
            body["output"] = _output(output)
        if actions:
            body["actions"] = [
                {"label": a.label, "description": a.description, "identifier": a.identifier}
                for a in actions
            ]
        self._call(self._rest.checks.update, self.owner, self.repo, check_run_id, data=body)


# GitHub's limit on a check run's `output.text` (and summary): 65535 characters.
MAX_TEXT_CHARS = 65535


def _output(output: CheckOutput) -> dict[str, Any]:
    extra = {"text": output.text[:MAX_TEXT_CHARS]} if output.text else {}
    return {
        **extra,
        "title": output.title,
        "summary": output.summary,
        "annotations": [
            {"path": a.path, "start_line": a.start_line, "end_line": a.end_line,
             "annotation_level": a.level, "message": a.message, "title": a.title}
            for a in output.annotations[:MAX_ANNOTATIONS]
        ],
    }
