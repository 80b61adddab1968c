"""Issue routes: issues, issue comments, reactions (also on review comments) and labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import actions
from ..routing import (
    ISSUES_READ,
    ISSUES_WRITE,
    PULLS_WRITE,
    ApiError,
    Ctx,
    Reply,
    invalid,
    not_found,
    route,
)
from ..state import Comment, Issue, Reaction, now


def the_issue(ctx: Ctx) -> Issue:
    issue = ctx.the_repo.issues.get(ctx.params["issue_number"])
    if issue is None:
        raise not_found()
    return issue


@route("get", "/repos/{owner}/{repo}/issues/{issue_number}", perms=ISSUES_READ)
def get_issue(ctx: Ctx) -> Reply:
    return Reply(200, ctx.shapes.issue(ctx.the_repo, the_issue(ctx)))


@route("patch", "/repos/{owner}/{repo}/issues/{issue_number}", perms=ISSUES_WRITE)
def update_issue(ctx: Ctx) -> Reply:
    issue, body = the_issue(ctx), ctx.body
    if body.get("title") is not None:
        issue.title = str(body["title"])
    if "body" in body:
        issue.body = body["body"]
    if body.get("state") in ("open", "closed") and body["state"] != issue.state:
        issue.state = body["state"]
        issue.closed_at = now() if issue.state == "closed" else None
        issue.state_reason = body.get("state_reason") or (
            "completed" if issue.state == "closed" else "reopened")
    elif "state_reason" in body:
        issue.state_reason = body["state_reason"]
    if body.get("labels") is not None:
        issue.labels = label_names(body["labels"])
        actions.ensure_labels(ctx.world, ctx.the_repo, issue.labels)
    issue.updated_at = now()
    return Reply(200, ctx.shapes.issue(ctx.the_repo, issue))


@route("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments", perms=ISSUES_READ)
def list_comments(ctx: Ctx) -> Reply:
    comments = the_issue(ctx).comments
    if ctx.params.get("since"):
        since = datetime.fromisoformat(ctx.params["since"])
        comments = [c for c in comments if c.updated_at >= since]
    return ctx.page([ctx.shapes.comment(ctx.the_repo, c) for c in comments])


@route("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments", perms=ISSUES_WRITE)
def create_comment(ctx: Ctx) -> Reply:
    comment = actions.new_comment(ctx.world, ctx.the_repo, the_issue(ctx), ctx.body["body"],
                                  ctx.actor, ctx.acting_app)
    body = ctx.shapes.comment(ctx.the_repo, comment)
    return Reply(201, body, {"Location": body["url"]})


def the_comment(ctx: Ctx) -> Comment:
    comment = actions.find_comment(ctx.the_repo, ctx.params["comment_id"])
    if comment is None:
        raise not_found()
    return comment


@route("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}", perms=ISSUES_READ)
def get_comment(ctx: Ctx) -> Reply:
    return Reply(200, ctx.shapes.comment(ctx.the_repo, the_comment(ctx)))


@route("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}", perms=ISSUES_WRITE)
def update_comment(ctx: Ctx) -> Reply:
    comment = the_comment(ctx)
    comment.body, comment.updated_at = ctx.body["body"], now()
    return Reply(200, ctx.shapes.comment(ctx.the_repo, comment))


def reaction_reply(ctx: Ctx, reactions: list[Reaction]) -> Reply:
    reaction, is_new = actions.react(ctx.world, reactions, ctx.actor, ctx.body["content"])
    # 201 for a new reaction, 200 when this user had already reacted the same way.
    return Reply(201 if is_new else 200, ctx.shapes.reaction(reaction))


@route("post", "/repos/{owner}/{repo}/issues/{issue_number}/reactions", perms=ISSUES_WRITE)
def react_issue(ctx: Ctx) -> Reply:
    return reaction_reply(ctx, the_issue(ctx).reactions)


@route("post", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
       perms=ISSUES_WRITE)
def react_comment(ctx: Ctx) -> Reply:
    return reaction_reply(ctx, the_comment(ctx).reactions)


@route("post", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
       perms=PULLS_WRITE)
def react_review_comment(ctx: Ctx) -> Reply:
    comment = ctx.the_repo.review_comments.get(ctx.params["comment_id"])
    if comment is None:
        raise not_found()
    return reaction_reply(ctx, comment.reactions)


@route("get", "/repos/{owner}/{repo}/issues/{issue_number}/labels", perms=ISSUES_READ)
def list_labels(ctx: Ctx) -> Reply:
    return ctx.page([ctx.shapes.label(ctx.the_repo, n) for n in the_issue(ctx).labels])


def label_names(value: Any) -> list[str]:
    """The label names in any of the body forms GitHub takes (object, bare array, string)."""
    if isinstance(value, dict):
        value = value.get("labels", [])
    if isinstance(value, str):
        value = [value]
    names = [v["name"] if isinstance(v, dict) else str(v) for v in value]
    return list(dict.fromkeys(names))


@route("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels", perms=ISSUES_WRITE)
def add_labels(ctx: Ctx) -> Reply:
    issue, names = the_issue(ctx), label_names(ctx.body)
    if not names:
        raise invalid("Invalid request.", "No labels were given")
    if any(not n.strip() for n in names):
        raise ApiError(422, "Validation Failed",
                       errors=[{"resource": "Label", "field": "name", "code": "invalid"}])
    actions.ensure_labels(ctx.world, ctx.the_repo, names)
    issue.labels = list(dict.fromkeys(issue.labels + names))
    issue.updated_at = now()
    return Reply(200, [ctx.shapes.label(ctx.the_repo, n) for n in issue.labels])
