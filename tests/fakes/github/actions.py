"""State changes shared by the HTTP routes and the seeding API, with GitHub's own checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import pulldiff
from .gitobjects import Entry, Signature
from .routing import ApiError, invalid
from .state import (
    App,
    Comment,
    Issue,
    Pull,
    Reaction,
    Repo,
    Review,
    ReviewComment,
    User,
    World,
    now,
)


def signature(user: User, when: datetime | None = None) -> Signature:
    # Bots commit as <id>+<login>@users.noreply.github.com, which GitHub links to the account.
    email = (f"{user.id}+{user.login}@users.noreply.github.com" if user.type == "Bot"
             else f"{user.login}@example.com")
    return Signature(user.login, email, int((when or now()).timestamp()))


def parse_signature(data: dict[str, Any] | None, fallback: Signature) -> Signature:
    if not data:
        return fallback
    when = datetime.fromisoformat(data["date"]) if data.get("date") else None
    if when is None:
        return Signature(data["name"], data["email"], fallback.timestamp, fallback.offset)
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    return Signature(data["name"], data["email"], int(when.timestamp()),
                     f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}")


def commit_changes(repo: Repo, parent: str | None, changes: dict[str, bytes | None],
                   message: str, author: Signature) -> str:
    """A commit on top of `parent` with files set (bytes) or deleted (None)."""
    files = repo.git.files(repo.git.read_commit(parent).tree) if parent else {}
    for path, data in changes.items():
        if data is None:
            files.pop(path, None)
        else:
            mode = files[path].mode if path in files else "100644"
            files[path] = Entry(mode, path, repo.git.put_blob(data))
    tree = repo.git.build_tree(files)
    return repo.git.put_commit(tree, [parent] if parent else [], author, author, message)


def ensure_labels(world: World, repo: Repo, names: list[str]) -> None:
    # Adding an unknown label to an issue creates it, as GitHub does.
    for name in names:
        if name not in repo.labels:
            repo.labels[name] = (world.next_id("label"), "ededed", None)


def new_issue(world: World, repo: Repo, title: str, body: str | None, user: User,
              labels: list[str] | tuple[str, ...] = (), is_pull: bool = False) -> Issue:
    ensure_labels(world, repo, list(labels))
    issue = Issue(repo.next_number(), world.next_id("issue"), title, body, user,
                  list(dict.fromkeys(labels)), is_pull=is_pull)
    repo.issues[issue.number] = issue
    return issue


def new_comment(world: World, repo: Repo, issue: Issue, body: str, user: User,
                via_app: App | None = None) -> Comment:
    comment = Comment(world.next_id("comment"), issue.number, body, user, via_app)
    issue.comments.append(comment)
    issue.updated_at = now()
    return comment


def find_comment(repo: Repo, comment_id: int) -> Comment | None:
    return next((c for i in repo.issues.values() for c in i.comments if c.id == comment_id), None)


def react(world: World, reactions: list[Reaction], user: User,
          content: str) -> tuple[Reaction, bool]:
    """(reaction, created): the same user and content again returns the existing one (200)."""
    for r in reactions:
        if r.user is user and r.content == content:
            return r, False
    reaction = Reaction(world.next_id("reaction"), user, content)
    reactions.append(reaction)
    return reaction, True


def new_pull(world: World, repo: Repo, head_repo: Repo, head_ref: str, base_ref: str,
             title: str, body: str | None, user: User, draft: bool = False,
             maintainer_can_modify: bool = False) -> Pull:
    if repo.branch(base_ref) is None:
        raise invalid("Validation Failed",
                      {"resource": "PullRequest", "field": "base", "code": "invalid"})
    if head_repo.branch(head_ref) is None:
        raise invalid("Validation Failed",
                      {"resource": "PullRequest", "field": "head", "code": "invalid"})
    for p in repo.pulls.values():
        if (p.head_repo is head_repo and p.head_ref == head_ref and p.base_ref == base_ref
                and repo.issues[p.number].state == "open"):
            label = f"{head_repo.owner.login}:{head_ref}"
            raise invalid("Validation Failed", {
                "resource": "PullRequest", "code": "custom",
                "message": f"A pull request already exists for {label}."})
    issue = new_issue(world, repo, title, body, user, is_pull=True)
    pull = Pull(issue.number, world.next_id("pull"), head_repo, head_ref, base_ref,
                draft=draft, maintainer_can_modify=maintainer_can_modify)
    if not pulldiff.commits(repo, pull):
        del repo.issues[issue.number]
        raise invalid("Validation Failed", {
            "resource": "PullRequest", "code": "custom",
            "message": f"No commits between {base_ref} and {head_ref}"})
    pull.head_sha()
    repo.pulls[pull.number] = pull
    return pull


def new_review(world: World, repo: Repo, pull: Pull, user: User, body: str,
               event: str | None, comments: list[dict[str, Any]],
               commit_id: str | None = None, via_app: App | None = None) -> Review:
    """A review with its inline comments, refused whole (422) when any comment misses the diff."""
    author = repo.issues[pull.number].user
    if event in ("APPROVE", "REQUEST_CHANGES") and author is user:
        verb = "approve" if event == "APPROVE" else "request changes on"
        raise invalid("Unprocessable Entity", f"Can not {verb} your own pull request")
    if event == "REQUEST_CHANGES" and not body:
        raise invalid("Unprocessable Entity", "Body is required when requesting changes")
    if event is None and any(r.user is user and r.state == "PENDING"
                             for r in repo.reviews.values() if r.pull_number == pull.number):
        raise invalid("Unprocessable Entity",
                      "User can only have one pending review per pull request")
    head = pull.head_sha()
    if commit_id is not None and commit_id not in repo.git.ancestors(head):
        raise invalid("Unprocessable Entity", "commit_id is not part of the pull request")
    placed = [place_comment(repo, pull, c) for c in comments]
    state = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED",
             "COMMENT": "COMMENTED"}.get(event or "", "PENDING")
    review = Review(world.next_id("review"), pull.number, user, body, state, commit_id or head,
                    None if state == "PENDING" else now())
    repo.reviews[review.id] = review
    for spec in placed:
        rc = ReviewComment(world.next_id("review_comment"), pull.number, review.id, user,
                           commit_id=review.commit_id, via_app=via_app, **spec)
        repo.review_comments[rc.id] = rc
    return review


def place_comment(repo: Repo, pull: Pull, c: dict[str, Any]) -> dict[str, Any]:
    """Where an inline comment lands; GitHub only takes lines inside the diff's hunks."""
    fd = pulldiff.file_diff(repo, pull, c["path"])
    if fd is None:
        raise invalid("Unprocessable Entity", "Path could not be resolved")
    side, line = c.get("side", "RIGHT"), c.get("line")
    if line is None and c.get("position") is not None:
        found = fd.line_at(c["position"])
        if found is None:
            raise invalid("Unprocessable Entity", "Position could not be resolved")
        side, line = found
    if line is None:
        raise invalid("Unprocessable Entity", "Line could not be resolved")
    if line not in fd.commentable(side):
        raise invalid("Unprocessable Entity",
                      "Pull request review thread line must be part of the diff")
    start_line, start_side = c.get("start_line"), None
    if start_line is not None:
        start_side = c.get("start_side", side)
        # Strict on purpose: a one-line comment is sent without start_line.
        if start_line >= line:
            raise invalid("Unprocessable Entity",
                          "Pull request review thread start line must precede the end line")
        if (start_line not in fd.commentable(start_side)
                or fd.hunk_of(start_side, start_line) != fd.hunk_of(side, line)):
            raise invalid("Unprocessable Entity", "Pull request review thread start line must "
                          "be part of the same hunk as the line")
    return {"body": c["body"], "path": c["path"], "side": side, "line": line,
            "start_line": start_line, "start_side": start_side,
            "diff_hunk": fd.diff_hunk(side, line), "position": fd.position_of(side, line)}


def reply_to(world: World, repo: Repo, pull: Pull, parent_id: int, body: str, user: User,
             via_app: App | None = None) -> ReviewComment:
    parent = repo.review_comments.get(parent_id)
    if parent is None or parent.pull_number != pull.number:
        raise ApiError(404, "Not Found")
    if parent.in_reply_to_id is not None:
        # GitHub documents replies to replies as unsupported; answer the thread's first comment.
        raise invalid("Validation Failed", "Replies to replies are not supported; reply to "
                      f"comment {parent.in_reply_to_id}, the thread's first comment")
    review = Review(world.next_id("review"), pull.number, user, "", "COMMENTED",
                    pull.head_sha())
    repo.reviews[review.id] = review
    rc = ReviewComment(world.next_id("review_comment"), pull.number, review.id, user, body,
                       parent.path, parent.commit_id, parent.side, parent.line,
                       parent.start_line, parent.start_side, parent.diff_hunk, parent.position,
                       parent.subject_type, parent.id, via_app)
    repo.review_comments[rc.id] = rc
    return rc
