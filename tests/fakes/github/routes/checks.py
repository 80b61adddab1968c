"""Check run routes: create, update, read one and its annotations, and list for a ref."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..routing import (
    CHECKS_READ,
    CHECKS_WRITE,
    ApiError,
    Ctx,
    Reply,
    invalid,
    not_found,
    route,
)
from ..state import CheckRun, now

FIELDS = ("name", "details_url", "external_id")


def apply_fields(run: CheckRun, body: dict[str, Any]) -> None:
    for key in FIELDS:
        if key in body:
            setattr(run, key, body[key])
    for key in ("started_at", "completed_at"):
        if body.get(key):
            setattr(run, key, datetime.fromisoformat(body[key]))
    if "output" in body:
        run.output = dict(body["output"])
    if body.get("status"):
        run.status = body["status"]
    # Giving a conclusion completes the run, whatever `status` said.
    if body.get("conclusion"):
        run.conclusion, run.status = body["conclusion"], "completed"
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = now()


@route("post", "/repos/{owner}/{repo}/check-runs", perms=CHECKS_WRITE)
def create_check_run(ctx: Ctx) -> Reply:
    repo, body = ctx.the_repo, ctx.body
    if not repo.git.is_commit(body["head_sha"]):
        raise invalid("No commit found for SHA: " + body["head_sha"])
    run = CheckRun(ctx.world.next_id("check_run"), body["name"], body["head_sha"],
                   ctx.fake.app, check_suite_id=ctx.world.next_id("check_suite"))
    apply_fields(run, body)
    repo.check_runs[run.id] = run
    return Reply(201, ctx.shapes.check_run(repo, run))


@route("patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}", perms=CHECKS_WRITE)
def update_check_run(ctx: Ctx) -> Reply:
    run = ctx.the_repo.check_runs.get(ctx.params["check_run_id"])
    if run is None:
        raise not_found()
    if run.app is not ctx.fake.app:
        # An app may only update the check runs it created.
        raise ApiError(403, f"Invalid app_id `{ctx.fake.app.id}` - check run can only be "
                            "modified by its creator.",
                       failure=f"updating check run {run.id} of app {run.app.slug}")
    apply_fields(run, ctx.body)
    return Reply(200, ctx.shapes.check_run(ctx.the_repo, run))


def _the_run(ctx: Ctx) -> CheckRun:
    run = ctx.the_repo.check_runs.get(ctx.params["check_run_id"])
    if run is None:
        raise not_found()
    return run


@route("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}", perms=CHECKS_READ)
def get_check_run(ctx: Ctx) -> Reply:
    return Reply(200, ctx.shapes.check_run(ctx.the_repo, _the_run(ctx)))


@route("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", perms=CHECKS_READ)
def list_annotations(ctx: Ctx) -> Reply:
    run = _the_run(ctx)
    reply = ctx.page(list(run.output.get("annotations", [])))
    reply.body = [ctx.shapes.check_annotation(ctx.the_repo, run, a) for a in reply.body]
    return reply


@route("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs", perms=CHECKS_READ)
def list_for_ref(ctx: Ctx) -> Reply:
    repo, q = ctx.the_repo, ctx.params
    sha = repo.resolve(q["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {q['ref']}", errors=[])
    runs = [r for r in repo.check_runs.values() if r.head_sha == sha]
    if q.get("check_name"):
        runs = [r for r in runs if r.name == q["check_name"]]
    if q.get("status"):
        runs = [r for r in runs if r.status == q["status"]]
    if q.get("app_id"):
        runs = [r for r in runs if r.app.id == q["app_id"]]
    if q.get("filter", "latest") == "latest":  # newest run per name, GitHub's default
        latest: dict[str, CheckRun] = {}
        for r in sorted(runs, key=lambda r: r.id):
            latest[r.name] = r
        runs = list(latest.values())
    runs.sort(key=lambda r: r.id, reverse=True)
    reply = ctx.page(runs)
    reply.body = {"total_count": len(runs),
                  "check_runs": [ctx.shapes.check_run(repo, r) for r in reply.body]}
    return reply
