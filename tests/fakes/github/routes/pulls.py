"""Pull request routes: pulls, their files and commits, reviews and review comments."""

from __future__ import annotations

from .. import actions, pulldiff
from ..routing import PULLS_READ, PULLS_WRITE, Ctx, Reply, invalid, not_found, route
from ..state import Pull, Repo, now


def the_pull(ctx: Ctx) -> Pull:
    pull = ctx.the_repo.pulls.get(ctx.params["pull_number"])
    if pull is None:
        raise not_found()
    return pull


def head_repo(ctx: Ctx, owner: str) -> Repo | None:
    """The repository in the base's fork network that `owner` holds."""
    repo = ctx.the_repo
    network = [repo, *(r for r in ctx.world.repos.values() if r.fork_of is repo)]
    return next((r for r in network if r.owner.login.lower() == owner.lower()), None)


@route("get", "/repos/{owner}/{repo}/pulls", perms=PULLS_READ)
def list_pulls(ctx: Ctx) -> Reply:
    repo, q = ctx.the_repo, ctx.params
    pulls = list(repo.pulls.values())
    state = q.get("state", "open")
    if state != "all":
        pulls = [p for p in pulls if repo.issues[p.number].state == state]
    # GitHub ignores a `head` without the "owner:" part (and so lists every PR): mimic that.
    if ":" in q.get("head", ""):
        owner, branch = q["head"].split(":", 1)
        pulls = [p for p in pulls if p.head_ref == branch
                 and p.head_repo.owner.login.lower() == owner.lower()]
    if q.get("base"):
        pulls = [p for p in pulls if p.base_ref == q["base"]]
    key = "updated_at" if q.get("sort") == "updated" else "created_at"
    desc = q.get("direction", "desc") == "desc"
    pulls.sort(key=lambda p: (getattr(repo.issues[p.number], key), p.number), reverse=desc)
    # The list holds `pull-request-simple`s: no additions, mergeable, commits, ... as on GitHub.
    return ctx.page([ctx.shapes.only("pull-request-simple", ctx.shapes.pull(repo, p))
                     for p in pulls])


@route("post", "/repos/{owner}/{repo}/pulls", perms=PULLS_WRITE)
def create_pull(ctx: Ctx) -> Reply:
    repo, body = ctx.the_repo, ctx.body
    if "title" not in body:
        raise invalid("Validation Failed", {"resource": "PullRequest", "field": "title",
                                            "code": "missing_field"})
    owner, _, branch = body["head"].rpartition(":")
    source = head_repo(ctx, owner) if owner else repo
    if source is None:
        raise invalid("Validation Failed", {"resource": "PullRequest", "field": "head",
                                            "code": "invalid"})
    pull = actions.new_pull(ctx.world, repo, source, branch, body["base"], body["title"],
                            body.get("body"), ctx.actor, bool(body.get("draft")),
                            bool(body.get("maintainer_can_modify")))
    out = ctx.shapes.pull(repo, pull)
    return Reply(201, out, {"Location": out["url"]})


@route("get", "/repos/{owner}/{repo}/pulls/{pull_number}", perms=PULLS_READ)
def get_pull(ctx: Ctx) -> Reply:
    return Reply(200, ctx.shapes.pull(ctx.the_repo, the_pull(ctx)))


@route("patch", "/repos/{owner}/{repo}/pulls/{pull_number}", perms=PULLS_WRITE)
def update_pull(ctx: Ctx) -> Reply:
    repo, pull, body = ctx.the_repo, the_pull(ctx), ctx.body
    issue = repo.issues[pull.number]
    if "base" in body:
        if repo.branch(body["base"]) is None:
            raise invalid("Validation Failed", {"resource": "PullRequest", "field": "base",
                                                "code": "invalid"})
        pull.base_ref = body["base"]
    if "title" in body:
        issue.title = body["title"]
    if "body" in body:
        issue.body = body["body"]
    if body.get("state") in ("open", "closed") and body["state"] != issue.state:
        issue.state = body["state"]
        issue.closed_at = now() if issue.state == "closed" else None
    if "maintainer_can_modify" in body:
        pull.maintainer_can_modify = body["maintainer_can_modify"]
    issue.updated_at = now()
    return Reply(200, ctx.shapes.pull(repo, pull))


@route("get", "/repos/{owner}/{repo}/pulls/{pull_number}/files", perms=PULLS_READ)
def list_files(ctx: Ctx) -> Reply:
    repo, pull = ctx.the_repo, the_pull(ctx)
    head = pull.head_sha()
    return ctx.page([ctx.shapes.diff_entry(repo, head, f) for f in pulldiff.files(repo, pull)])


@route("get", "/repos/{owner}/{repo}/pulls/{pull_number}/commits", perms=PULLS_READ)
def list_commits(ctx: Ctx) -> Reply:
    repo, pull = ctx.the_repo, the_pull(ctx)
    return ctx.page([ctx.shapes.commit(repo, sha) for sha in pulldiff.commits(repo, pull)])


@route("post", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", perms=PULLS_WRITE)
def create_review(ctx: Ctx) -> Reply:
    body = ctx.body
    review = actions.new_review(ctx.world, ctx.the_repo, the_pull(ctx), ctx.actor,
                                body.get("body", ""), body.get("event"),
                                body.get("comments", []), body.get("commit_id"), ctx.acting_app)
    return Reply(200, ctx.shapes.review(ctx.the_repo, review))


@route("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", perms=PULLS_READ)
def list_reviews(ctx: Ctx) -> Reply:
    repo, pull = ctx.the_repo, the_pull(ctx)
    reviews = [r for r in repo.reviews.values() if r.pull_number == pull.number]
    return ctx.page([ctx.shapes.review(repo, r) for r in reviews])


@route("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}", perms=PULLS_READ)
def get_review(ctx: Ctx) -> Reply:
    repo, pull = ctx.the_repo, the_pull(ctx)
    review = repo.reviews.get(ctx.params["review_id"])
    if review is None or review.pull_number != pull.number:
        raise not_found()
    return Reply(200, ctx.shapes.review(repo, review))


@route("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments",
       perms=PULLS_READ)
def list_review_comments_of_review(ctx: Ctx) -> Reply:
    repo, pull = ctx.the_repo, the_pull(ctx)
    review = repo.reviews.get(ctx.params["review_id"])
    if review is None or review.pull_number != pull.number:
        raise not_found()
    comments = [c for c in repo.review_comments.values() if c.review_id == review.id]
    return ctx.page([ctx.shapes.review_comment(repo, c) for c in comments])


@route("get", "/repos/{owner}/{repo}/pulls/{pull_number}/comments", perms=PULLS_READ)
def list_review_comments(ctx: Ctx) -> Reply:
    repo, pull = ctx.the_repo, the_pull(ctx)
    comments = [c for c in repo.review_comments.values() if c.pull_number == pull.number]
    comments.sort(key=lambda c: (c.created_at, c.id),
                  reverse=ctx.params.get("direction") == "desc")
    return ctx.page([ctx.shapes.review_comment(repo, c) for c in comments])


@route("get", "/repos/{owner}/{repo}/pulls/comments/{comment_id}", perms=PULLS_READ)
def get_review_comment(ctx: Ctx) -> Reply:
    comment = ctx.the_repo.review_comments.get(ctx.params["comment_id"])
    if comment is None:
        raise not_found()
    return Reply(200, ctx.shapes.review_comment(ctx.the_repo, comment))


@route("post", "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies",
       perms=PULLS_WRITE)
def reply_to_comment(ctx: Ctx) -> Reply:
    rc = actions.reply_to(ctx.world, ctx.the_repo, the_pull(ctx), ctx.params["comment_id"],
                          ctx.body["body"], ctx.actor, ctx.acting_app)
    out = ctx.shapes.review_comment(ctx.the_repo, rc)
    return Reply(201, out, {"Location": out["url"]})
